namespace AmpSessions.Core.Sessions;

/// <summary>Changes to a session's settings; null leaves a field as it is, an empty string clears it.</summary>
public sealed record SessionUpdate
{
    public string? Name { get; init; }
    public string? Prompt { get; init; }
    public string? ScriptCommand { get; init; }
    /// <summary>The shell for the script: sh, bash, pwsh, cmd; empty: the platform's.</summary>
    public string? ScriptShell { get; init; }
    public string? ModelOverride { get; init; }
    public string? AgentMode { get; init; }
    public string? Agent { get; init; }
    public string? Notes { get; init; }
    public string? McpConfig { get; init; }
    /// <summary>The time limit of one turn; <see cref="TimeSpan.Zero"/> clears it (the default applies again).</summary>
    public TimeSpan? Timeout { get; init; }
    public bool? AllowAllTools { get; init; }
    /// <summary>Tools to add to the allowed list.</summary>
    public IReadOnlyList<string> AllowTools { get; init; } = [];
    /// <summary>Tools to remove from the allowed list.</summary>
    public IReadOnlyList<string> DisallowTools { get; init; } = [];
    public bool? NotificationsEnabled { get; init; }
    /// <summary>Agent environment entries to set (NAME=VALUE); an empty value removes the entry.</summary>
    public IReadOnlyDictionary<string, string> AgentEnvironment { get; init; } = new Dictionary<string, string>();
    /// <summary>Forget the agent thread, so the next iteration starts a new one.</summary>
    public bool NewThread { get; init; }
    /// <summary>Budget limits to change: null keeps one, 0 removes it.</summary>
    public long? BudgetTokens { get; init; }
    public decimal? BudgetCost { get; init; }
    public int? BudgetIterations { get; init; }
    public TimeSpan? BudgetTime { get; init; }

    /// <summary>Whether the guard lets the agent push.</summary>
    public bool? AllowPush { get; init; }

    public bool ChangesBudget => BudgetTokens is not null || BudgetCost is not null || BudgetIterations is not null || BudgetTime is not null;

    /// <summary>The environment (see docs/CONFIGURATION.md).</summary>
    public string? Environment { get; init; }
    /// <summary>The permission preset.</summary>
    public string? Preset { get; init; }
    /// <summary>The MCP servers by name, replacing the session's; an empty list clears them.</summary>
    public IReadOnlyList<string>? McpServers { get; init; }

    public bool IsEmpty =>
        Name is null && Prompt is null && ScriptCommand is null && ScriptShell is null && ModelOverride is null && AgentMode is null && Agent is null && Notes is null
        && McpConfig is null && Timeout is null && AllowAllTools is null && AllowTools.Count == 0 && DisallowTools.Count == 0
        && NotificationsEnabled is null && AgentEnvironment.Count == 0 && !NewThread && !ChangesBudget && AllowPush is null
        && Environment is null && Preset is null && McpServers is null;
}
