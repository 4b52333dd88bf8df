using System.Text.Json.Serialization;
using AmpSessions.Core.Errors;

namespace AmpSessions.Core.Configuration;

/// <summary>One effective value and where it came from (`config get --json` prints key, value and source).</summary>
public sealed record ConfigSetting
{
    /// <summary>The dotted key: ports, environments.ci.allowed_modes, mcp_servers.github.env.GITHUB_TOKEN.</summary>
    public required string Key { get; init; }

    /// <summary>Text, a number, true/false, a list of text, or a mapping.</summary>
    public required object? Value { get; init; }

    /// <summary>The file it came from, or default, parameter, session &lt;id&gt;, template &lt;name&gt;.</summary>
    public required string Source { get; init; }

    /// <summary>Which layer the source is.</summary>
    [JsonIgnore]
    public ConfigurationLayerKind Layer { get; init; }

    /// <summary>The value as one line of text.</summary>
    [JsonIgnore]
    public string DisplayValue => Display(Value);

    public static string Display(object? value) => value switch
    {
        null => "",
        bool b => b ? "true" : "false",
        string text => text.ReplaceLineEndings(" "),
        IReadOnlyDictionary<string, string> map => "{" + string.Join(", ", map.Select(e => $"{e.Key}: {e.Value}")) + "}",
        IReadOnlyDictionary<string, object?> map => "{" + string.Join(", ", map.Select(e => $"{e.Key}: {Display(e.Value)}")) + "}",
        IEnumerable<string> list => "[" + string.Join(", ", list) + "]",
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };
}

/// <summary>
/// The configuration as it applies: the layers (built-in defaults &lt; user file &lt; repository file
/// &lt; batch / template / session values &lt; parameters) merged, each value knowing its source. A
/// top-level setting comes from the highest layer that sets it; a named entry (an environment, agent
/// profile, MCP server, preset or slash command) from the highest layer that defines that name, whole.
/// </summary>
public sealed class EffectiveConfiguration
{
    /// <summary>The derived key that shows the permission rules of the effective preset.</summary>
    public const string PermissionsKey = "permissions";

    private readonly Dictionary<string, (object Value, ConfigurationLayer Layer)> settings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, EnvironmentDefinition> environments = new(StringComparer.Ordinal);
    private readonly Dictionary<string, AgentProfile> agents = new(StringComparer.Ordinal);
    private readonly Dictionary<string, McpServerDefinition> mcpServers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PermissionPreset> presets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SlashCommand> commands = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PriceEntry> prices = new(StringComparer.Ordinal);
    private readonly Dictionary<object, ConfigurationLayerKind> entryLayers = new(ReferenceEqualityComparer.Instance);

    public EffectiveConfiguration(IReadOnlyList<ConfigurationLayer> layers, string? repositoryRoot = null)
    {
        Layers = layers.OrderBy(l => l.Kind).ToList();
        RepositoryRoot = repositoryRoot;
        foreach (var layer in Layers)
        {
            foreach (var (key, value) in layer.Settings)
            {
                settings[key] = (value, layer);
            }
            Merge(environments, layer.Environments, layer.Kind);
            Merge(agents, layer.Agents, layer.Kind);
            Merge(mcpServers, layer.McpServers, layer.Kind);
            Merge(presets, layer.Presets, layer.Kind);
            Merge(commands, layer.Commands, layer.Kind);
            Merge(prices, layer.Prices, layer.Kind);
        }
    }

    public IReadOnlyList<ConfigurationLayer> Layers { get; }

    /// <summary>The repository whose file is a layer, if any.</summary>
    public string? RepositoryRoot { get; }

    /// <summary>The same configuration with more layers on top (a session's, a template's, parameters).</summary>
    public EffectiveConfiguration With(params ConfigurationLayer[] more) => new([.. Layers, .. more], RepositoryRoot);

    private void Merge<T>(Dictionary<string, T> target, IEnumerable<T> entries, ConfigurationLayerKind kind) where T : ConfigurationEntry
    {
        foreach (var entry in entries)
        {
            target[entry.Name] = entry;
            entryLayers[entry] = kind;
        }
    }

    // ---- typed access ----

    public IReadOnlyDictionary<string, EnvironmentDefinition> Environments => environments;
    public IReadOnlyDictionary<string, AgentProfile> Agents => agents;
    public IReadOnlyDictionary<string, McpServerDefinition> McpServers => mcpServers;
    public IReadOnlyDictionary<string, PermissionPreset> Presets => presets;
    public IReadOnlyDictionary<string, SlashCommand> Commands => commands;

    /// <summary>The prices as they apply: each key (agent, model, default) from the highest layer that prices it.</summary>
    public Batches.PriceTable Prices => Batches.PriceTable.Of(prices.Values);

    public string EnvironmentName => Text(ConfigurationKeys.Environment) ?? BuiltInConfiguration.ProductionEnvironment;
    public string AgentName => Text(ConfigurationKeys.Agent) ?? "amp";
    public string? PresetName => Text(ConfigurationKeys.Preset);
    public string? SetupCommand => Text(ConfigurationKeys.Setup);
    public TimeSpan SetupTimeout => TimeSpan.FromSeconds(Integer(ConfigurationKeys.SetupTimeout) ?? BuiltInConfiguration.DefaultSetupTimeoutSeconds);
    public int Ports => (int)(Integer(ConfigurationKeys.Ports) ?? BuiltInConfiguration.DefaultPorts);
    public PortRange PortRange => settings.TryGetValue(ConfigurationKeys.PortRange, out var entry) && entry.Value is PortRange range ? range : BuiltInConfiguration.DefaultPortRange;

    public string? Text(string key) => settings.TryGetValue(key, out var entry) && entry.Value is string text ? text : null;

    public long? Integer(string key) => settings.TryGetValue(key, out var entry) && entry.Value is long number ? number : null;

    public bool? Boolean(string key) => settings.TryGetValue(key, out var entry) && entry.Value is bool flag ? flag : null;

    /// <summary>The effective top-level setting with its source; null when no layer sets it.</summary>
    public ConfigSetting? Setting(string key) => settings.TryGetValue(key, out var entry)
        ? new ConfigSetting { Key = key, Value = entry.Value is PortRange range ? range.ToString() : entry.Value, Source = entry.Layer.Source, Layer = entry.Layer.Kind }
        : null;

    public EnvironmentDefinition Environment(string name) => environments.TryGetValue(name, out var environment)
        ? environment
        : throw Unknown("AmpEnvironmentUnknown", "environment", name, environments.Keys, ConfigurationKeys.Environments);

    public PermissionPreset Preset(string name) => presets.TryGetValue(name, out var preset)
        ? preset
        : throw Unknown("AmpPresetUnknown", "permission preset", name, presets.Keys, ConfigurationKeys.Presets);

    public McpServerDefinition McpServer(string name) => mcpServers.TryGetValue(name, out var server)
        ? server
        : throw Unknown("AmpMcpServerUnknown", "MCP server", name, mcpServers.Keys, ConfigurationKeys.McpServers);

    public SlashCommand Command(string name) => commands.TryGetValue(name, out var command)
        ? command
        : throw Unknown("AmpSlashCommandUnknown", "slash command", "/" + name, commands.Keys.Select(k => "/" + k), ConfigurationKeys.Commands);

    private AmpSessionsException Unknown(string id, string what, string name, IEnumerable<string> known, string section) =>
        new(id, ErrorKind.InvalidArgument,
            $"Unknown {what} '{name}' (known: {string.Join(", ", known.Order(StringComparer.Ordinal))}): define it under '{section}' in {WhereToDefine()}, or choose a known one.", name);

    /// <summary>The file a person would add a definition to: the repository's, else the user's.</summary>
    internal string WhereToDefine() =>
        RepositoryRoot is not null ? Path.Combine(RepositoryRoot, ConfigurationKeys.RepositoryFileName) : $"the user configuration ({ConfigurationKeys.UserFileName} in the data directory)";

    // ---- keys, for Get-AmpConfig and `config get|list` ----

    /// <summary>Every effective key with its value and source: the settings, each entry's keys, and the effective preset's permission rules.</summary>
    public IReadOnlyList<ConfigSetting> List()
    {
        var list = new List<ConfigSetting>();
        foreach (var definition in ConfigurationKeys.Settings)
        {
            list.Add(Setting(definition.Key) ?? new ConfigSetting { Key = definition.Key, Value = null, Source = ConfigurationSources.Default, Layer = ConfigurationLayerKind.Default });
        }
        if (PermissionsSetting() is { } permissions)
        {
            list.Add(permissions);
        }
        foreach (var (section, entries) in Sections())
        {
            foreach (var entry in entries.OrderBy(e => e.Name, StringComparer.Ordinal))
            {
                var values = entry.Describe();
                var key = $"{section}.{entry.Name}";
                if (values.Count == 0)
                {
                    list.Add(Entry(key, new Dictionary<string, object?>(), entry));
                }
                foreach (var (field, value) in values)
                {
                    list.Add(Entry($"{key}.{field}", value, entry));
                }
            }
        }
        return list;
    }

    /// <summary>One key: a setting, a section, an entry, an entry's key, or one variable of an entry's env/headers; unknown keys are a clear error.</summary>
    public ConfigSetting Get(string key)
    {
        var parts = SplitKey(key);
        if (parts.Length == 1 && ConfigurationKeys.Setting(parts[0]) is not null)
        {
            return Setting(parts[0]) ?? new ConfigSetting { Key = parts[0], Value = null, Source = ConfigurationSources.Default, Layer = ConfigurationLayerKind.Default };
        }
        if (parts is [PermissionsKey])
        {
            return PermissionsSetting() ?? new ConfigSetting { Key = PermissionsKey, Value = Array.Empty<string>(), Source = ConfigurationSources.Default };
        }
        var sections = Sections().ToDictionary(s => s.Section, s => s.Entries, StringComparer.Ordinal);
        if (parts.Length >= 1 && sections.TryGetValue(parts[0], out var entries))
        {
            if (parts.Length == 1)
            {
                var all = entries.OrderBy(e => e.Name, StringComparer.Ordinal).ToDictionary(e => e.Name, e => (object?)e.Describe(), StringComparer.Ordinal);
                var sources = entries.Select(e => e.Source).Distinct().ToList();
                return new ConfigSetting { Key = parts[0], Value = all, Source = sources.Count == 0 ? ConfigurationSources.Default : sources.Count == 1 ? sources[0] : string.Join(", ", sources.Order(StringComparer.Ordinal)) };
            }
            if (entries.FirstOrDefault(e => e.Name == parts[1]) is { } entry)
            {
                var values = entry.Describe();
                if (parts.Length == 2)
                {
                    return Entry(key!, values, entry);
                }
                if (values.TryGetValue(parts[2], out var value) || EntryKeys(parts[0]).Contains(parts[2]))
                {
                    if (parts.Length == 3)
                    {
                        return Entry(key!, value, entry);
                    }
                    if (parts.Length == 4 && value is IReadOnlyDictionary<string, string> map)
                    {
                        return Entry(key!, map.TryGetValue(parts[3], out var item) ? item : null, entry);
                    }
                }
            }
            else if (parts.Length >= 2)
            {
                throw new AmpSessionsException("AmpConfigKeyUnknown", ErrorKind.NotFound,
                    $"No {parts[0]} entry is named '{parts[1]}' (defined: {string.Join(", ", entries.Select(e => e.Name).Order(StringComparer.Ordinal))}).", key);
            }
        }
        throw UnknownKey(key ?? "");
    }

    /// <summary>
    /// A dotted key in its parts: section, name, key, variable. A price's name is a model or agent and may
    /// have dots of its own (prices.gpt-4.1.input), so under prices the name is everything between the
    /// section and a price key.
    /// </summary>
    internal static string[] SplitKey(string? key)
    {
        var parts = (key ?? "").Trim().Split('.');
        if (parts.Length > 2 && parts[0] == ConfigurationKeys.Prices)
        {
            var field = ConfigurationKeys.PriceKeys.Contains(parts[^1]) ? 1 : 0;
            return [parts[0], string.Join('.', parts[1..^field]), .. parts[^field..]];
        }
        return parts;
    }

    internal static AmpSessionsException UnknownKey(string key) => new("AmpConfigKeyUnknown", ErrorKind.InvalidArgument,
        $"Unknown configuration key '{key}': use one of {string.Join(", ", ConfigurationKeys.Settings.Select(s => s.Key))}, {PermissionsKey}, or <section>.<name>[.<key>] for {string.Join(", ", ConfigurationKeys.Sections)} (see docs/CONFIGURATION.md).", key);

    internal static IReadOnlyList<string> EntryKeys(string section) => section switch
    {
        ConfigurationKeys.Environments => ConfigurationKeys.EnvironmentKeys,
        ConfigurationKeys.Agents => ConfigurationKeys.AgentKeys,
        ConfigurationKeys.McpServers => ConfigurationKeys.McpServerKeys,
        ConfigurationKeys.Presets => ConfigurationKeys.PresetKeys,
        ConfigurationKeys.Commands => ConfigurationKeys.CommandKeys,
        ConfigurationKeys.Prices => ConfigurationKeys.PriceKeys,
        _ => [],
    };

    private IEnumerable<(string Section, IReadOnlyCollection<ConfigurationEntry> Entries)> Sections()
    {
        yield return (ConfigurationKeys.Environments, environments.Values);
        yield return (ConfigurationKeys.Agents, agents.Values);
        yield return (ConfigurationKeys.McpServers, mcpServers.Values);
        yield return (ConfigurationKeys.Presets, presets.Values);
        yield return (ConfigurationKeys.Commands, commands.Values);
        yield return (ConfigurationKeys.Prices, prices.Values);
    }

    private ConfigSetting Entry(string key, object? value, ConfigurationEntry entry) => new()
    {
        Key = key,
        Value = value,
        Source = entry.Source,
        Layer = LayerOf(entry),
    };

    private ConfigurationLayerKind LayerOf(ConfigurationEntry entry) => entryLayers.TryGetValue(entry, out var kind) ? kind : ConfigurationLayerKind.Default;

    private ConfigSetting? PermissionsSetting()
    {
        if (PresetName is not { } name || !presets.TryGetValue(name, out var preset))
        {
            return null;
        }
        var rules = preset.AllowAll ? ["allow every tool (--dangerously-allow-all)"] : preset.EffectiveRules().Select(r => r.ToString()).ToList();
        return new ConfigSetting { Key = PermissionsKey, Value = rules, Source = preset.Source, Layer = LayerOf(preset) };
    }
}
