using AmpSessions.Core.Agents;

namespace AmpSessions.Core.Configuration;

/// <summary>The lowest layer: what AmpSessions does when no file says otherwise.</summary>
public static class BuiltInConfiguration
{
    public const string ProductionEnvironment = "production";
    public const string CiEnvironment = "ci";
    public const int DefaultPorts = 10;
    public static readonly PortRange DefaultPortRange = new(20000, 29999);
    public const long DefaultSetupTimeoutSeconds = 30 * 60;

    /// <summary>Whether this process runs as a CI job: CI is set to true (GitHub Actions, GitLab, and most others set it).</summary>
    public static bool IsCiRun(Func<string, string?> variables) =>
        variables("CI") is { } ci && (ci.Equals("true", StringComparison.OrdinalIgnoreCase) || ci == "1");

    public static ConfigurationLayer Layer(Func<string, string?> variables) => new()
    {
        Kind = ConfigurationLayerKind.Default,
        Source = ConfigurationSources.Default,
        Settings = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            [ConfigurationKeys.Environment] = IsCiRun(variables) ? CiEnvironment : ProductionEnvironment,
            [ConfigurationKeys.Agent] = variables(AgentSpec.EnvironmentVariable) is { Length: > 0 } agent ? agent.Trim() : "amp",
            [ConfigurationKeys.Ports] = (long)DefaultPorts,
            [ConfigurationKeys.PortRange] = DefaultPortRange,
            [ConfigurationKeys.SetupTimeout] = DefaultSetupTimeoutSeconds,
        },
        Environments =
        [
            new EnvironmentDefinition { Name = ProductionEnvironment },
            new EnvironmentDefinition { Name = CiEnvironment, Ci = true },
        ],
        Agents =
        [
            new AgentProfile { Name = "amp", Type = AgentDialect.Amp, TypeGiven = true },
            new AgentProfile { Name = "claude", Type = AgentDialect.Claude, TypeGiven = true },
        ],
        Presets = Presets,
        Commands = SlashCommands.BuiltInSlashCommands.All,
    };

    // Amp's tool names, and Claude Code's where they differ: a rule for a tool an agent lacks does nothing.
    private static readonly string[] ReadingTools = ["Read", "Grep", "glob", "Glob", "finder", "read_web_page", "web_search", "WebFetch", "WebSearch", "todo_read", "todo_write", "TodoWrite"];
    private static readonly string[] EditingTools = ["edit_file", "create_file", "undo_edit", "format_file", "Edit", "Write", "MultiEdit", "NotebookEdit"];

    public static IReadOnlyList<PermissionPreset> Presets { get; } =
    [
        new PermissionPreset
        {
            Name = "read-only",
            Description = "Read and search the code; no edits and no shell commands.",
            AllowedTools = ReadingTools,
            DisallowedTools = [.. EditingTools, "Bash"],
        },
        new PermissionPreset
        {
            Name = "safe-edit",
            Description = "Read and edit files; of the shell, only git's read-only commands.",
            Permissions =
            [
                .. new[] { "git status*", "git diff*", "git log*", "git show*" }.Select(pattern => new PermissionRule
                {
                    Tool = "Bash",
                    Action = "allow",
                    Matches = new Dictionary<string, IReadOnlyList<string>> { ["cmd"] = [pattern] },
                }),
                new PermissionRule { Tool = "Bash", Action = "reject", Message = "The safe-edit preset runs no shell commands but git status, diff, log and show." },
            ],
            AllowedTools = [.. ReadingTools, .. EditingTools],
        },
        new PermissionPreset
        {
            Name = "full-auto",
            Description = "Every tool without approval (Amp's --dangerously-allow-all): for sandboxes and CI.",
            AllowAll = true,
        },
    ];
}
