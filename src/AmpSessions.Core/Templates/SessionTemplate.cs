namespace AmpSessions.Core.Templates;

/// <summary>
/// A saved starting point for sessions: a prompt (which may be a slash command, expanded when a
/// session is made from it) with its repository, base and script, and configuration: the
/// environment, agent profile, permission preset, MCP servers and setup command its sessions use.
/// </summary>
public sealed record SessionTemplate
{
    public required string Name { get; init; }
    public required string Prompt { get; init; }
    public string? RepoRoot { get; init; }
    public string? BaseBranch { get; init; }
    public string? ScriptCommand { get; init; }
    public string? ModelOverride { get; init; }
    public string? AgentMode { get; init; }
    public string? Environment { get; init; }
    /// <summary>An agent profile name, or an agent (amp, claude, amp:&lt;command&gt;, ...).</summary>
    public string? Agent { get; init; }
    public string? Preset { get; init; }
    public IReadOnlyList<string> McpServers { get; init; } = [];
    /// <summary>The setup command for its sessions' new worktrees, instead of the configured one.</summary>
    public string? Setup { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
}
