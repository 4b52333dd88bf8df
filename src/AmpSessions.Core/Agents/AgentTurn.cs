namespace AmpSessions.Core.Agents;

/// <summary>One agent turn to run.</summary>
public sealed record AgentTurnRequest
{
    public required string Prompt { get; init; }
    public required string WorkingDirectory { get; init; }
    /// <summary>The session the turn belongs to, named in messages that tell a person what to do.</summary>
    public string? SessionId { get; init; }
    /// <summary>The thread to continue; null starts a new one.</summary>
    public string? ThreadId { get; init; }
    public string? Mode { get; init; }
    public string? Model { get; init; }
    /// <summary>A session's own MCP servers: JSON or the path of a JSON file (never passed as it is: composed into a private file).</summary>
    public string? McpConfig { get; init; }
    /// <summary>MCP servers from the configuration, by name; their ${NAME} references are resolved when the turn starts.</summary>
    public IReadOnlyList<Configuration.McpServerDefinition> McpServers { get; init; } = [];
    public bool AllowAllTools { get; init; }
    /// <summary>Tools allowed without approval: allow rules for Amp, --allowedTools for Claude Code.</summary>
    public IReadOnlyList<string> AllowedTools { get; init; } = [];
    /// <summary>Permission rules (Amp's settings format) that go before every other rule: the guard's delegates.</summary>
    public IReadOnlyList<System.Text.Json.Nodes.JsonObject> LeadingPermissionRules { get; init; } = [];
    /// <summary>Tools refused: --disallowedTools for Claude Code (Amp gets reject rules in <see cref="PermissionRules"/>).</summary>
    public IReadOnlyList<string> DisallowedTools { get; init; } = [];
    /// <summary>Amp permission rules (a preset's), after the allowed tools and before the user's own.</summary>
    public IReadOnlyList<Configuration.PermissionRule> PermissionRules { get; init; } = [];
    /// <summary>Skill folders (Amp's amp.skills.path), before the user's own.</summary>
    public IReadOnlyList<string> Skills { get; init; } = [];
    /// <summary>Where the turn's private files go (the data directory's runs/); null: the temp folder.</summary>
    public string? RunFilesRoot { get; init; }
    public IReadOnlyList<string> Labels { get; init; } = [];
    public IReadOnlyList<string> ToolboxPaths { get; init; } = [];
    /// <summary>A title for a new thread.</summary>
    public string? Title { get; init; }
    public TimeSpan Timeout { get; init; } = AgentDefaults.Timeout;
    /// <summary>Extra environment for the agent process.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
    /// <summary>Where to write the raw stream (redacted); null: nowhere.</summary>
    public string? TranscriptPath { get; init; }
    /// <summary>Check for Amp credentials before starting (a missing key would start a browser login that never ends).</summary>
    public bool CheckCredentials { get; init; } = true;
}

/// <summary>How a turn ended.</summary>
public enum AgentOutcome
{
    Succeeded,
    /// <summary>The agent reported an error result.</summary>
    Failed,
    /// <summary>A tool needed approval, which execute mode cannot ask for: a person must decide.</summary>
    AwaitingInput,
    /// <summary>Amp has no credentials and started a login flow.</summary>
    NotLoggedIn,
    /// <summary>Amp could not reach its server.</summary>
    ServerUnreachable,
    TimedOut,
    Cancelled,
    /// <summary>The process ended without a result line.</summary>
    Crashed,
}

/// <summary>What one turn produced.</summary>
public sealed record AgentTurnResult
{
    public required AgentOutcome Outcome { get; init; }
    public bool Succeeded => Outcome == AgentOutcome.Succeeded;
    /// <summary>Why it did not succeed, for people; null on success.</summary>
    public string? Error { get; init; }
    /// <summary>The agent's final message (the result text, else its last text).</summary>
    public string? FinalMessage { get; init; }
    public string? ThreadId { get; init; }
    public TokenUsage Tokens { get; init; }
    public IReadOnlyDictionary<string, int> ToolCalls { get; init; } = new Dictionary<string, int>();
    public TimeSpan Duration { get; init; }
    public int? ExitCode { get; init; }
    /// <summary>Tools that needed approval (AwaitingInput).</summary>
    public IReadOnlyList<string> BlockedTools { get; init; } = [];
    public IReadOnlyList<string> ProtocolWarnings { get; init; } = [];
    public int? NumTurns { get; init; }
}

public static class AgentDefaults
{
    /// <summary>An agent turn may run this long unless the session or the call says otherwise.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(30);
}

/// <summary>Anything that can run one agent turn and stream its events.</summary>
public interface IAgent
{
    /// <summary>For records and messages: "amp", "claude", or the custom command.</summary>
    string Name { get; }

    Task<AgentTurnResult> RunTurnAsync(AgentTurnRequest request, Action<AgentEvent>? onEvent, CancellationToken cancellationToken);
}
