namespace AmpSessions.Core.Configuration;

/// <summary>The layers of the configuration, lowest first: each overrides the ones before it.</summary>
public enum ConfigurationLayerKind
{
    /// <summary>Built into AmpSessions.</summary>
    Default,
    /// <summary>The user's file in the data directory (config.yaml).</summary>
    User,
    /// <summary>The repository's .amp-sessions.yaml, committed with the code.</summary>
    Repository,
    /// <summary>What a batch file says for its items.</summary>
    Batch,
    /// <summary>What a template says for the sessions made from it.</summary>
    Template,
    /// <summary>What a session was created (or set) with.</summary>
    Session,
    /// <summary>The command line's (or cmdlet's) parameters.</summary>
    Parameter,
}

/// <summary>The words a source is named by, where it is no file.</summary>
public static class ConfigurationSources
{
    public const string Default = "default";
    public const string Parameter = "parameter";

    public static string Session(string id) => $"session {id}";

    public static string Template(string name) => $"template {name}";
}

/// <summary>One layer: its top-level settings and named entries, each knowing the file it came from.</summary>
public sealed record ConfigurationLayer
{
    public required ConfigurationLayerKind Kind { get; init; }

    /// <summary>A file path, "default", "session &lt;id&gt;", "template &lt;name&gt;" or "parameter".</summary>
    public required string Source { get; init; }

    /// <summary>Top-level settings by key (text, long, bool, string list or PortRange values).</summary>
    public IReadOnlyDictionary<string, object> Settings { get; init; } = new Dictionary<string, object>();

    /// <summary>The line each setting was written on, when it came from a file.</summary>
    public IReadOnlyDictionary<string, int> SettingLines { get; init; } = new Dictionary<string, int>();

    public IReadOnlyList<EnvironmentDefinition> Environments { get; init; } = [];
    public IReadOnlyList<AgentProfile> Agents { get; init; } = [];
    public IReadOnlyList<McpServerDefinition> McpServers { get; init; } = [];
    public IReadOnlyList<PermissionPreset> Presets { get; init; } = [];
    public IReadOnlyList<SlashCommand> Commands { get; init; } = [];
    public IReadOnlyList<PriceEntry> Prices { get; init; } = [];

    /// <summary>A layer of settings only (session, template, parameters); null or blank values are left out.</summary>
    public static ConfigurationLayer OfSettings(ConfigurationLayerKind kind, string source, IEnumerable<KeyValuePair<string, object?>> settings) => new()
    {
        Kind = kind,
        Source = source,
        Settings = settings.Where(s => s.Value is not null && !(s.Value is string text && string.IsNullOrWhiteSpace(text)))
            .ToDictionary(s => s.Key, s => s.Value!, StringComparer.Ordinal),
    };
}
