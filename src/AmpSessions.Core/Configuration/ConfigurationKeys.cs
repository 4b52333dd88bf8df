namespace AmpSessions.Core.Configuration;

/// <summary>The shape of a top-level setting's value.</summary>
public enum SettingKind
{
    Text,
    Integer,
    Boolean,
    TextList,
    /// <summary>A port range written first-last, e.g. 20000-29999.</summary>
    PortRange,
}

/// <summary>One top-level setting of the configuration files: its key, shape, limits and meaning.</summary>
public sealed record SettingDefinition(string Key, SettingKind Kind, string Description, long Minimum = long.MinValue, long Maximum = long.MaxValue);

/// <summary>A first-last range of TCP ports.</summary>
public readonly record struct PortRange(int First, int Last)
{
    public int Count => Last - First + 1;

    public override string ToString() => $"{First}-{Last}";

    public static bool TryParse(string text, out PortRange range)
    {
        range = default;
        var parts = text.Split('-', StringSplitOptions.TrimEntries);
        if (parts.Length != 2 || !int.TryParse(parts[0], out var first) || !int.TryParse(parts[1], out var last)
            || first < 1024 || last > 65535 || first > last)
        {
            return false;
        }
        range = new PortRange(first, last);
        return true;
    }
}

/// <summary>
/// The keys of the configuration files (`.amp-sessions.yaml` in a repository, `config.yaml` in the
/// data directory). Top-level settings are listed in <see cref="Settings"/>: adding one is one line
/// here and one accessor on <see cref="EffectiveConfiguration"/>. The named sections each have a reader
/// in <see cref="ConfigurationReaders"/>.
/// </summary>
public static class ConfigurationKeys
{
    public const string RepositoryFileName = ".amp-sessions.yaml";
    public const string UserFileName = "config.yaml";
    /// <summary>Slash commands as markdown files: .amp-sessions/commands/&lt;name&gt;.md in a repository, commands/&lt;name&gt;.md in the data directory.</summary>
    public const string RepositoryCommandsFolder = ".amp-sessions/commands";
    public const string UserCommandsFolder = "commands";
    public const string WorktreeIncludeFileName = ".worktreeinclude";

    public const string Environment = "environment";
    public const string Agent = "agent";
    public const string Preset = "preset";
    public const string Setup = "setup";
    public const string SetupTimeout = "setup_timeout_sec";
    public const string Ports = "ports";
    public const string PortRange = "port_range";
    public const string Guard = "guard";
    public const string WebhookUrl = "webhook_url";

    public const string Environments = "environments";
    public const string Agents = "agents";
    public const string McpServers = "mcp_servers";
    public const string Presets = "presets";
    public const string Commands = "commands";
    public const string Prices = "prices";

    public static readonly IReadOnlyList<SettingDefinition> Settings =
    [
        new(Environment, SettingKind.Text, "The environment sessions run in unless they name one (built in: production; ci when the CI variable is true)."),
        new(Agent, SettingKind.Text, "The agent profile (or agent: amp, claude, amp:<command>, claude:<command>, exec:<command>) sessions use unless they name one."),
        new(Preset, SettingKind.Text, "The permission preset sessions use unless their agent profile, environment or the session names one."),
        new(Setup, SettingKind.Text, "A shell command run in each new worktree after it is created (for example `npm ci`); its output goes to the session's setup.log."),
        new(SetupTimeout, SettingKind.Integer, "How many seconds the setup command may run before it is stopped.", 1, 86_400),
        new(Ports, SettingKind.Integer, "How many TCP ports each session gets (AMP_SESSION_PORT is the first); 0 gives none.", 0, 1000),
        new(PortRange, SettingKind.PortRange, "The ports sessions' blocks are taken from, first-last."),
        new(Guard, SettingKind.Boolean, "Whether AmpSessions' guard vets an Amp agent's file edits and shell commands through Amp's delegate hook (default true); the main-checkout detector runs either way."),
        new(WebhookUrl, SettingKind.Text, "An http(s) URL every event is POSTed to as JSON, in the background, with retries; unset: no webhook."),
    ];

    public static readonly IReadOnlyList<string> Sections = [Environments, Agents, McpServers, Presets, Commands, Prices];

    /// <summary>Every key allowed at the top of a configuration file.</summary>
    public static IReadOnlyList<string> RootKeys { get; } = [.. Settings.Select(s => s.Key), .. Sections];

    public static SettingDefinition? Setting(string key) => Settings.FirstOrDefault(s => s.Key == key);

    // Keys of the sections' entries. Environments and agents are also read from batch files.
    public static readonly string[] EnvironmentKeys = ["amp_cli_path", "command_prefix", "amp_server_url", "env", "settings_file", "allowed_modes", "ci", "preset"];
    public static readonly string[] AgentKeys = ["type", "command", "agent_mode", "model_override", "environment", "env", "toolbox_path", "toolbox_paths", "mcp_servers", "skills", "preset", "allowed_tools"];
    public static readonly string[] McpServerKeys = ["command", "args", "env", "url", "headers"];
    public static readonly string[] PresetKeys = ["description", "permissions", "allowed_tools", "disallowed_tools", "allow_all"];
    public static readonly string[] PermissionRuleKeys = ["tool", "action", "matches", "message", "to", "context"];
    public static readonly string[] CommandKeys = ["description", "parameters", "prompt"];
    public static readonly string[] CommandParameterKeys = ["description", "default", "required"];
    /// <summary>The kinds of tokens a price names, in US dollars per million (the batch file's prices are the same).</summary>
    public static readonly string[] PriceKeys = ["input", "output", "cache_creation", "cache_read"];
}
