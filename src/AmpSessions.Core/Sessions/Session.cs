namespace AmpSessions.Core.Sessions;

/// <summary>Where a session is in its life.</summary>
public enum SessionStatus
{
    /// <summary>The row exists; the branch and worktree are being made.</summary>
    Initializing,
    /// <summary>Ready for an iteration, a manual edit or integration.</summary>
    Idle,
    /// <summary>An agent turn is running.</summary>
    Running,
    /// <summary>The agent stopped for a person (a tool needs approval).</summary>
    AwaitingInput,
    /// <summary>The test script or grading command is running.</summary>
    Evaluating,
    /// <summary>A rebase stopped on conflicts.</summary>
    Conflicted,
    /// <summary>The last operation failed; <see cref="Session.StatusMessage"/> says why.</summary>
    Error,
    /// <summary>The session's change is in the base branch.</summary>
    Merged,
    /// <summary>Cleaned up: the worktree is gone.</summary>
    Archived,
    /// <summary>The agent changed the user's main checkout: nothing merges or iterates until a person acknowledges it (`amp-sessions ack`).</summary>
    Blocked,
    /// <summary>A budget (tokens, cost, iterations, time) is spent: raise it with `set --budget-*` to go on.</summary>
    BudgetExceeded,
}

/// <summary>One goal worked on its own branch and worktree.</summary>
public sealed record Session
{
    /// <summary>Short, unique and typable; commands also accept an unambiguous prefix or the name.</summary>
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required string Prompt { get; init; }
    public required string RepoRoot { get; init; }
    public required string BaseBranch { get; init; }
    /// <summary>The base-branch commit the session is built on: set when it is created, moved by rebase and merge.</summary>
    public required string BaseCommit { get; init; }
    public required string BranchName { get; init; }
    public required string WorktreePath { get; init; }
    public required SessionStatus Status { get; init; }
    public string? StatusMessage { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? LastRunAt { get; init; }
    public string? ScriptCommand { get; init; }
    public string? ModelOverride { get; init; }
    public string? AgentMode { get; init; }
    public IReadOnlyList<string> ToolboxPaths { get; init; } = [];
    public IReadOnlyList<string> McpServers { get; init; } = [];
    public string? Notes { get; init; }
    public string? BatchId { get; init; }
    /// <summary>Which agent runs the iterations: null for the configured default (Amp); see AgentSpec.</summary>
    public string? Agent { get; init; }
    /// <summary>The agent's thread, continued by later iterations.</summary>
    public string? ThreadId { get; init; }
    /// <summary>The time limit of one agent turn; null: the default (30 minutes).</summary>
    public TimeSpan? Timeout { get; init; }
    /// <summary>Run the agent with every tool allowed (Amp's --dangerously-allow-all).</summary>
    public bool AllowAllTools { get; init; }
    /// <summary>Tools the agent may use without approval (Amp permission rules).</summary>
    public IReadOnlyList<string> AllowedTools { get; init; } = [];
    /// <summary>MCP servers for the agent: JSON or the path of a JSON file (Amp's --mcp-config).</summary>
    public string? McpConfig { get; init; }
    /// <summary>Extra environment for the agent (AMP_URL and the like; never secrets).</summary>
    public IReadOnlyDictionary<string, string> AgentEnvironment { get; init; } = new Dictionary<string, string>();
    /// <summary>Whether desktop notifications fire for this session.</summary>
    public bool NotificationsEnabled { get; init; } = true;
    /// <summary>The best-of-N group this session is an attempt of (`new --attempts N`); null for a lone session.</summary>
    public string? AttemptGroup { get; init; }
    /// <summary>The environment it runs in (see docs/CONFIGURATION.md); null: the configured default.</summary>
    public string? Environment { get; init; }
    /// <summary>The permission preset; null: its agent profile's, its environment's, or the configured default.</summary>
    public string? Preset { get; init; }
    /// <summary>Its TCP ports (AMP_SESSION_PORT is the first), unique among live sessions on this machine; null: none.</summary>
    public PortBlock? Ports { get; init; }
    /// <summary>Skill folders for the agent (Amp's amp.skills.path), on top of its agent profile's.</summary>
    public IReadOnlyList<string> Skills { get; init; } = [];
}

/// <summary>A block of consecutive TCP ports held by one session.</summary>
public sealed record PortBlock(int First, int Count)
{
    public int Last => First + Count - 1;

    public override string ToString() => Count == 1 ? $"{First}" : $"{First}-{Last}";
}
