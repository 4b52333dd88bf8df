namespace AmpSessions.Core.Templates;

/// <summary>A saved starting point for sessions: a prompt with its repository, base and script.</summary>
public sealed record SessionTemplate
{
    public required string Name { get; init; }
    public required string Prompt { get; init; }
    public string? RepoRoot { get; init; }
    public string? BaseBranch { get; init; }
    public string? ScriptCommand { get; init; }
    public string? ModelOverride { get; init; }
    public string? AgentMode { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
}
