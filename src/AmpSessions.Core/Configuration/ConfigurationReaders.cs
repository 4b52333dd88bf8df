using System.Text.RegularExpressions;
using AmpSessions.Core.Agents;
using AmpSessions.Core.Batches;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Processes;
using YamlDotNet.RepresentationModel;

namespace AmpSessions.Core.Configuration;

/// <summary>Paths as written in a file: relative ones start at the file's folder, ~ is the home folder.</summary>
internal sealed class ConfigurationPaths(string folder)
{
    public string Folder { get; } = folder;

    public string Resolve(string written) => Path.GetFullPath(Path.Combine(Folder, ExpandHome(written.Trim())));

    /// <summary>A bare name (amp, node) is looked up on PATH when it runs; anything with a folder in it is a path.</summary>
    public string ResolveExecutable(string written)
    {
        var text = written.Trim();
        return text.Contains('/') || text.Contains('\\') || text.StartsWith('~') ? Resolve(text) : text;
    }

    private static string ExpandHome(string path) =>
        path == "~" || path.StartsWith("~/", StringComparison.Ordinal)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path.Length > 1 ? path[2..] : "")
            : path;
}

/// <summary>
/// Readers of the configuration's named entries, shared by the configuration files and the batch
/// file (whose environments and agents are the same model): each records positioned errors in the
/// file instead of throwing.
/// </summary>
internal static partial class ConfigurationReaders
{
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    /// <summary>Whether a text is a valid entry name: letters, digits, - and _ (no dots: keys are dotted paths).</summary>
    public static bool IsValidName(string name) => NamePattern().IsMatch(name) && name.Length <= 64;

    /// <summary>The entries of a section written as a mapping of names to mappings; an empty value is an entry with no keys.</summary>
    public static IEnumerable<(string Name, YamlNode NameNode, YamlMap? Body)> NamedEntries(YamlMap root, string section, string what, IReadOnlyCollection<string> allowedKeys)
    {
        var file = root.File;
        if (root.Mapping(section) is not { } node)
        {
            yield break;
        }
        foreach (var (nameNode, value) in node.Children)
        {
            if (nameNode is not YamlScalarNode { Value: { Length: > 0 } name } || YamlFile.IsNull(nameNode))
            {
                file.Error(nameNode, BatchFileErrorKind.WrongType, $"A name in '{section}' must be plain text, not {YamlFile.Describe(nameNode)}.");
                continue;
            }
            if (!IsValidName(name))
            {
                file.Error(nameNode, BatchFileErrorKind.InvalidValue,
                    $"'{name}' is not a valid {what} name: use letters, digits, - and _ (at most 64), starting with a letter or digit.");
                continue;
            }
            if (value is YamlMappingNode body)
            {
                yield return (name, nameNode, file.Map(body, $"{what} '{name}'", allowedKeys));
            }
            else if (YamlFile.IsNull(value))
            {
                yield return (name, nameNode, null);
            }
            else
            {
                file.Error(value, BatchFileErrorKind.WrongType, $"{Capitalize(what)} '{name}' must be a mapping of keys ({string.Join(", ", allowedKeys.Take(4))}, ...), not {YamlFile.Describe(value)}.");
            }
        }
    }

    /// <summary>
    /// The <c>prices</c> mapping, the same in a batch file and a configuration file: each key an agent id,
    /// a model or <c>default</c> (any text: model names have dots), each value USD per million tokens of
    /// each kind (zero or more; a kind left out costs nothing).
    /// </summary>
    public static List<PriceEntry> ReadPrices(YamlMap root, string source)
    {
        var prices = new List<PriceEntry>();
        var file = root.File;
        if (root.Mapping(ConfigurationKeys.Prices) is not { } node)
        {
            return prices;
        }
        foreach (var (keyNode, value) in node.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { Length: > 0 } key } || YamlFile.IsNull(keyNode) || key.Trim().Length == 0)
            {
                file.Error(keyNode, BatchFileErrorKind.WrongType, $"A key in prices must be an agent id, a model name or default, not {YamlFile.Describe(keyNode)}.");
                continue;
            }
            if (value is not YamlMappingNode body)
            {
                file.Error(value, BatchFileErrorKind.WrongType,
                    $"prices.{key} must be a mapping ({string.Join(", ", ConfigurationKeys.PriceKeys)}: USD per million tokens), not {YamlFile.Describe(value)}.");
                continue;
            }
            var map = file.Map(body, $"prices.{key}", ConfigurationKeys.PriceKeys);
            const string rule = "zero or more US dollars per million tokens";
            prices.Add(new PriceEntry
            {
                Name = key.Trim(),
                Source = source,
                Line = (int)keyNode.Start.Line + file.LineOffset,
                Price = new ModelPrice
                {
                    InputPerMillion = map.Number("input", rule, p => p >= 0) ?? 0,
                    OutputPerMillion = map.Number("output", rule, p => p >= 0) ?? 0,
                    CacheCreationPerMillion = map.Number("cache_creation", rule, p => p >= 0) ?? 0,
                    CacheReadPerMillion = map.Number("cache_read", rule, p => p >= 0) ?? 0,
                },
            });
        }
        return prices;
    }

    public static List<EnvironmentDefinition> ReadEnvironments(YamlMap root, ConfigurationPaths paths, string source)
    {
        var environments = new List<EnvironmentDefinition>();
        foreach (var (name, nameNode, map) in NamedEntries(root, ConfigurationKeys.Environments, "environment", ConfigurationKeys.EnvironmentKeys))
        {
            var line = (int)nameNode.Start.Line + root.File.LineOffset;
            environments.Add(map is null
                ? new EnvironmentDefinition { Name = name, Source = source, Line = line }
                : ReadEnvironment(map, name, paths) with { Source = source, Line = line });
        }
        return environments;
    }

    public static EnvironmentDefinition ReadEnvironment(YamlMap map, string name, ConfigurationPaths paths)
    {
        var cliPath = map.Text("amp_cli_path", hint: "give the path of the amp executable or remove the key");
        var prefix = ReadCommand(map, "command_prefix", paths);
        if (cliPath is not null && prefix.Count > 0)
        {
            map.Error("command_prefix", BatchFileErrorKind.InvalidValue,
                $"Environment '{name}' sets both amp_cli_path and command_prefix: keep one (command_prefix is the program and arguments to run amp with).");
        }
        var url = map.Text("amp_server_url", hint: "give the server URL or remove the key");
        if (url is not null && !(Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
        {
            map.Error("amp_server_url", BatchFileErrorKind.InvalidValue, $"amp_server_url '{url}' of environment '{name}' is not an http(s) URL: write it like https://ampcode.com.");
        }
        var settings = map.Text("settings_file", hint: "give the path of an Amp settings file or remove the key");
        var resolvedCli = cliPath is null ? null : paths.ResolveExecutable(cliPath);
        var preset = ReadName(map, "preset", "a preset");
        return new EnvironmentDefinition
        {
            Name = name,
            AmpCliPath = resolvedCli,
            // A local development build is a JavaScript file that node runs.
            Command = prefix.Count > 0 ? prefix : resolvedCli is null ? [] : Path.GetExtension(resolvedCli) is ".js" or ".mjs" or ".cjs" ? ["node", resolvedCli] : [resolvedCli],
            AmpServerUrl = url,
            Env = ReadEnv(map, "env", $"environment '{name}'"),
            SettingsFile = settings is null ? null : paths.Resolve(settings),
            AllowedModes = map.TextList("allowed_modes", allowSingle: true).Select(m => m.Text.Trim()).Distinct(StringComparer.Ordinal).ToList(),
            Ci = map.Boolean("ci") ?? false,
            Preset = preset,
        };
    }

    public static List<AgentProfile> ReadAgents(YamlMap root, ConfigurationPaths paths, string source)
    {
        var agents = new List<AgentProfile>();
        foreach (var (name, nameNode, map) in NamedEntries(root, ConfigurationKeys.Agents, "agent profile", ConfigurationKeys.AgentKeys))
        {
            var line = (int)nameNode.Start.Line + root.File.LineOffset;
            var profile = map is null ? new AgentProfile() : ReadAgentProfile(map, paths, new AgentProfile());
            agents.Add(profile with { Name = name, Source = source, Line = line });
        }
        return agents;
    }

    /// <summary>Reads an agent profile's keys into <paramref name="seed"/> (an AgentProfile, or a BatchAgent with its id).</summary>
    public static T ReadAgentProfile<T>(YamlMap map, ConfigurationPaths paths, T seed) where T : AgentProfile
    {
        var where = map.Where;
        if (map.Has("toolbox_path") && map.Has("toolbox_paths"))
        {
            map.Error("toolbox_paths", BatchFileErrorKind.InvalidValue, $"{Capitalize(where)} sets both toolbox_path and toolbox_paths: keep one.");
        }
        var toolboxes = map.TextList("toolbox_path").Concat(map.TextList("toolbox_paths", allowSingle: true))
            .Select(t => paths.Resolve(t.Text)).ToList();
        var typeText = map.Text("type", hint: "write amp, claude or exec")?.Trim();
        AgentDialect? type = typeText switch
        {
            null => null,
            "amp" => AgentDialect.Amp,
            "claude" => AgentDialect.Claude,
            "exec" => AgentDialect.Plain,
            _ => null,
        };
        if (typeText is not null && type is null)
        {
            map.Error("type", BatchFileErrorKind.InvalidValue, $"Unknown agent type '{typeText}' in {where}: use amp, claude, or exec (any program that streams Amp's JSON).");
        }
        var command = ReadCommand(map, "command", paths);
        if (type == AgentDialect.Plain && command.Count == 0 && !map.Has("command"))
        {
            map.Missing("command", "an exec agent runs the program you give: write `command: ./my-agent --flag`");
        }
        return seed with
        {
            Type = type ?? AgentDialect.Amp,
            TypeGiven = type is not null,
            Command = command,
            AgentMode = map.Text("agent_mode", hint: "name a mode (low, medium, high, ...) or remove the key")?.Trim(),
            ModelOverride = map.Text("model_override", hint: "name a model or remove the key")?.Trim(),
            Environment = ReadName(map, "environment", "an environment"),
            Env = ReadEnv(map, "env", where),
            ToolboxPaths = toolboxes,
            McpServers = ReadNames(map, "mcp_servers"),
            Skills = map.TextList("skills", allowSingle: true).Select(t => paths.Resolve(t.Text)).ToList(),
            Preset = ReadName(map, "preset", "a preset"),
            AllowedTools = map.TextList("allowed_tools", allowSingle: true).Select(t => t.Text.Trim()).ToList(),
        };
    }

    public static List<McpServerDefinition> ReadMcpServers(YamlMap root, ConfigurationPaths paths, string source, bool committed)
    {
        var servers = new List<McpServerDefinition>();
        foreach (var (name, nameNode, map) in NamedEntries(root, ConfigurationKeys.McpServers, "MCP server", ConfigurationKeys.McpServerKeys))
        {
            if (map is null)
            {
                root.File.Error(nameNode, BatchFileErrorKind.MissingKey, $"MCP server '{name}' is empty: give it a command (with args and env) or a url.");
                continue;
            }
            var command = map.Text("command", hint: "give the server's program or remove the key");
            var url = map.Text("url", hint: "give the server's URL or remove the key");
            if (command is null && url is null && !map.Has("command") && !map.Has("url"))
            {
                map.Missing("command", $"MCP server '{name}' needs a command (a local server) or a url (a remote one)");
            }
            if (command is not null && url is not null)
            {
                map.Error("url", BatchFileErrorKind.InvalidValue, $"MCP server '{name}' has both a command and a url: keep one.");
            }
            if (url is not null && !(Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
            {
                map.Error("url", BatchFileErrorKind.InvalidValue, $"The url '{url}' of MCP server '{name}' is not an http(s) URL.");
            }
            var env = ReadEnv(map, "env", $"MCP server '{name}'");
            var headers = map.TextMap("headers");
            if (committed)
            {
                // A repository file is committed: a literal token in it would be in every clone.
                RefuseLiteralSecrets(map, "env", env, name);
                RefuseLiteralSecrets(map, "headers", headers, name);
            }
            servers.Add(new McpServerDefinition
            {
                Name = name,
                Source = source,
                Line = (int)nameNode.Start.Line + root.File.LineOffset,
                Command = command is null ? null : paths.ResolveExecutable(command),
                Args = map.TextList("args").Select(a => a.Text).ToList(),
                Env = env,
                Url = url,
                Headers = headers,
            });
        }
        return servers;
    }

    private static void RefuseLiteralSecrets(YamlMap map, string key, IReadOnlyDictionary<string, string> values, string server)
    {
        foreach (var (name, value) in values.Where(v => SecretReferences.IsLiteralSecret(v.Key, v.Value)))
        {
            map.Error(key, BatchFileErrorKind.InvalidValue,
                $"{key}.{name} of MCP server '{server}' holds a secret in a committed file: write `{name}: {SecretReferences.ReferenceFor(name)}` and set that variable in the environment (or move the server to your user configuration).");
        }
    }

    public static List<PermissionPreset> ReadPresets(YamlMap root, string source)
    {
        var presets = new List<PermissionPreset>();
        foreach (var (name, nameNode, map) in NamedEntries(root, ConfigurationKeys.Presets, "preset", ConfigurationKeys.PresetKeys))
        {
            var line = (int)nameNode.Start.Line + root.File.LineOffset;
            if (map is null)
            {
                presets.Add(new PermissionPreset { Name = name, Source = source, Line = line });
                continue;
            }
            presets.Add(new PermissionPreset
            {
                Name = name,
                Source = source,
                Line = line,
                Description = map.Text("description"),
                Permissions = ReadRules(map, name),
                AllowedTools = map.TextList("allowed_tools", allowSingle: true).Select(t => t.Text.Trim()).ToList(),
                DisallowedTools = map.TextList("disallowed_tools", allowSingle: true).Select(t => t.Text.Trim()).ToList(),
                AllowAll = map.Boolean("allow_all") ?? false,
            });
        }
        return presets;
    }

    private static List<PermissionRule> ReadRules(YamlMap preset, string presetName)
    {
        var rules = new List<PermissionRule>();
        if (preset.Sequence("permissions") is not { } sequence)
        {
            return rules;
        }
        var file = preset.File;
        for (var i = 0; i < sequence.Children.Count; i++)
        {
            if (sequence.Children[i] is not YamlMappingNode body)
            {
                file.Error(sequence.Children[i], BatchFileErrorKind.WrongType,
                    $"Rule {i + 1} of preset '{presetName}' must be a mapping like `{{ tool: Bash, action: allow }}`, not {YamlFile.Describe(sequence.Children[i])}.");
                continue;
            }
            var map = file.Map(body, $"rule {i + 1} of preset '{presetName}'", ConfigurationKeys.PermissionRuleKeys);
            var tool = map.Text("tool", required: true, hint: "name the tool (or a glob such as mcp__*)")?.Trim();
            var action = map.Text("action", required: true, hint: "write allow, reject, ask or delegate")?.Trim();
            if (action is not null && !PermissionRule.Actions.Contains(action))
            {
                map.Error("action", BatchFileErrorKind.InvalidValue, $"Unknown action '{action}' in {map.Where}: use allow, reject, ask or delegate.");
                action = null;
            }
            var to = map.Text("to", hint: "name the program that decides");
            if (action == "delegate" && to is null && !map.Has("to"))
            {
                map.Missing("to", "a delegate rule names the program that decides: `to: ./approve.sh`");
            }
            var context = map.Text("context")?.Trim();
            if (context is not null && context is not ("thread" or "subagent"))
            {
                map.Error("context", BatchFileErrorKind.InvalidValue, $"Unknown context '{context}' in {map.Where}: use thread or subagent (or leave it out for both).");
            }
            var matches = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
            if (map.Mapping("matches") is { } matchesNode)
            {
                var matchesMap = file.Map(matchesNode, $"matches of {map.Where}", matchesNode.Children.Keys.OfType<YamlScalarNode>().Select(k => k.Value ?? "").ToArray());
                foreach (var field in matchesMap.Keys)
                {
                    var patterns = matchesMap.TextList(field, allowSingle: true).Select(p => p.Text).ToList();
                    if (patterns.Count > 0)
                    {
                        matches[field] = patterns;
                    }
                }
            }
            if (tool is not null && action is not null)
            {
                rules.Add(new PermissionRule { Tool = tool, Action = action, Matches = matches, Message = map.Text("message"), To = to, Context = context });
            }
        }
        return rules;
    }

    public static List<SlashCommand> ReadCommands(YamlMap root, string source)
    {
        var commands = new List<SlashCommand>();
        foreach (var (name, nameNode, map) in NamedEntries(root, ConfigurationKeys.Commands, "slash command", ConfigurationKeys.CommandKeys))
        {
            if (map is null)
            {
                root.File.Error(nameNode, BatchFileErrorKind.MissingKey, $"Slash command '{name}' is empty: give it a prompt.");
                continue;
            }
            var prompt = map.Text("prompt", required: true, hint: "write the prompt, with {parameter} placeholders");
            var declared = ReadCommandParameters(map);
            if (prompt is not null)
            {
                commands.Add(SlashCommands.SlashCommandTemplate.Build(name, map.Text("description")?.Trim(), prompt, declared) with
                {
                    Source = source,
                    Line = (int)nameNode.Start.Line + root.File.LineOffset,
                });
            }
        }
        return commands;
    }

    /// <summary>A command's parameters: `name: default` (empty for required) or `name: { default, description, required }`.</summary>
    public static List<SlashCommandParameter> ReadCommandParameters(YamlMap map)
    {
        var parameters = new List<SlashCommandParameter>();
        if (map.Mapping("parameters") is not { } node)
        {
            return parameters;
        }
        var file = map.File;
        foreach (var (keyNode, value) in node.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { Length: > 0 } name } || !SlashCommands.SlashCommandTemplate.IsParameterName(name))
            {
                file.Error(keyNode, BatchFileErrorKind.InvalidValue, $"A parameter name in {map.Where} must be letters, digits and _ (starting with a letter or _), not {YamlFile.Describe(keyNode)}.");
                continue;
            }
            switch (value)
            {
                case YamlScalarNode scalar:
                    parameters.Add(new SlashCommandParameter { Name = name, Default = YamlFile.IsNull(scalar) ? null : scalar.Value });
                    break;
                case YamlMappingNode body:
                    var parameter = file.Map(body, $"parameter '{name}' of {map.Where}", ConfigurationKeys.CommandParameterKeys);
                    var required = parameter.Boolean("required");
                    var fallback = parameter.Text("default");
                    if (required == true && fallback is not null)
                    {
                        parameter.Error("required", BatchFileErrorKind.InvalidValue, $"Parameter '{name}' of {map.Where} is required and has a default: keep one.");
                    }
                    parameters.Add(new SlashCommandParameter { Name = name, Description = parameter.Text("description"), Default = required == true ? null : fallback ?? (required == false ? "" : null) });
                    break;
                default:
                    file.Error(value, BatchFileErrorKind.WrongType, $"Parameter '{name}' of {map.Where} must be a default value or a mapping (default, description, required), not {YamlFile.Describe(value)}.");
                    break;
            }
        }
        return parameters;
    }

    /// <summary>A command written as text ("node main.js --flag") or a list; the program is resolved as an executable.</summary>
    public static IReadOnlyList<string> ReadCommand(YamlMap map, string key, ConfigurationPaths paths)
    {
        var node = map.Value(key);
        if (node is YamlScalarNode && map.Text(key) is { } text)
        {
            try
            {
                return Resolve(CommandLine.Split(text));
            }
            catch (AmpSessionsException ex)
            {
                map.Error(key, BatchFileErrorKind.InvalidValue, ex.Message);
                return [];
            }
        }
        var parts = map.TextList(key).Select(p => p.Text).ToList();
        if (node is YamlSequenceNode { Children.Count: 0 })
        {
            map.Error(key, BatchFileErrorKind.InvalidValue, $"'{key}' in {map.Where} is an empty list: give the program and its arguments, or remove the key.");
        }
        return Resolve(parts);

        IReadOnlyList<string> Resolve(IReadOnlyList<string> command) =>
            command.Count == 0 ? command : [paths.ResolveExecutable(command[0]), .. command.Skip(1)];
    }

    /// <summary>An environment map; variable names must be names, and secrets belong in the shell, not the file.</summary>
    public static IReadOnlyDictionary<string, string> ReadEnv(YamlMap map, string key, string where)
    {
        var values = map.TextMap(key);
        foreach (var name in values.Keys.Where(n => n.Contains('=') || n.Any(char.IsWhiteSpace)))
        {
            map.Error(key, BatchFileErrorKind.InvalidValue, $"'{name}' in {key} of {where} is not a valid environment variable name.");
        }
        return values;
    }

    private static string? ReadName(YamlMap map, string key, string what)
    {
        var name = map.Text(key, hint: $"name {what} or remove the key")?.Trim();
        if (name is not null && !IsValidName(name))
        {
            map.Error(key, BatchFileErrorKind.InvalidValue, $"'{name}' is not a valid name for {what} in {map.Where}: use letters, digits, - and _.");
            return null;
        }
        return name;
    }

    private static List<string> ReadNames(YamlMap map, string key) =>
        map.TextList(key, allowSingle: true).Select(t => t.Text.Trim()).Distinct(StringComparer.Ordinal).ToList();

    internal static string Capitalize(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];
}
