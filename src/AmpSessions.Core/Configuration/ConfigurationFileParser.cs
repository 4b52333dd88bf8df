using AmpSessions.Core.Batches;
using AmpSessions.Core.Errors;
using YamlDotNet.RepresentationModel;

namespace AmpSessions.Core.Configuration;

/// <summary>
/// Reads a configuration file (the repository's .amp-sessions.yaml or the user's config.yaml) and the
/// markdown slash commands beside it, through the batch file's YAML machinery, so every problem is
/// reported with file, line and column. All problems are collected before failing.
/// </summary>
public static class ConfigurationFileParser
{
    /// <summary>Validates configuration text as if it were at <paramref name="filePath"/> (its folder anchors relative paths).</summary>
    public static ConfigurationLayer Parse(string text, string filePath, ConfigurationLayerKind kind)
    {
        var errors = new List<BatchFileError>();
        var layer = Read(text, Path.GetFullPath(filePath), kind, errors);
        if (errors.Count > 0)
        {
            throw new ConfigurationFileException(errors);
        }
        return layer;
    }

    /// <summary>Reads the file and records problems in <paramref name="errors"/>; the layer holds what was valid.</summary>
    internal static ConfigurationLayer Read(string text, string fullPath, ConfigurationLayerKind kind, List<BatchFileError> errors)
    {
        var file = new YamlFile(fullPath, errors);
        var empty = new ConfigurationLayer { Kind = kind, Source = fullPath };
        // A file of nothing but comments is a valid, empty configuration (the skeleton `config edit` writes).
        if (string.IsNullOrWhiteSpace(StripComments(text)))
        {
            return empty;
        }
        if (file.LoadRootMapping(text, "configuration file") is not { } rootNode)
        {
            return empty;
        }
        var root = file.Map(rootNode, "the configuration file", ConfigurationKeys.RootKeys);
        var paths = new ConfigurationPaths(Path.GetDirectoryName(fullPath)!);
        var (settings, lines) = ReadSettings(root, paths);
        return new ConfigurationLayer
        {
            Kind = kind,
            Source = fullPath,
            Settings = settings,
            SettingLines = lines,
            Environments = ConfigurationReaders.ReadEnvironments(root, paths, fullPath),
            Agents = ConfigurationReaders.ReadAgents(root, paths, fullPath),
            McpServers = ConfigurationReaders.ReadMcpServers(root, paths, fullPath, committed: kind == ConfigurationLayerKind.Repository),
            Presets = ConfigurationReaders.ReadPresets(root, fullPath),
            Commands = ConfigurationReaders.ReadCommands(root, fullPath),
            Prices = ConfigurationReaders.ReadPrices(root, fullPath),
        };
    }

    private static (Dictionary<string, object>, Dictionary<string, int>) ReadSettings(YamlMap root, ConfigurationPaths paths)
    {
        var settings = new Dictionary<string, object>(StringComparer.Ordinal);
        var lines = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var definition in ConfigurationKeys.Settings)
        {
            if (!root.Has(definition.Key))
            {
                continue;
            }
            object? value = definition.Kind switch
            {
                SettingKind.Text => root.Text(definition.Key, hint: "give a value or remove the key")?.Trim(),
                SettingKind.Integer => root.Integer(definition.Key, definition.Minimum, $"between {definition.Minimum} and {definition.Maximum}") is { } number
                    ? number <= definition.Maximum ? number : OutOfRange(root, definition, number)
                    : null,
                SettingKind.Boolean => root.Boolean(definition.Key),
                SettingKind.TextList => root.TextList(definition.Key, allowSingle: true).Select(t => t.Text.Trim()).ToList(),
                SettingKind.PortRange => ReadPortRange(root, definition.Key),
                _ => null,
            };
            if (value is not null)
            {
                settings[definition.Key] = value;
                lines[definition.Key] = (int)(root.KeyNode(definition.Key)?.Start.Line ?? 1) + root.File.LineOffset;
            }
        }
        ValidateNames(root);
        return (settings, lines);
    }

    private static object? OutOfRange(YamlMap root, SettingDefinition definition, long value)
    {
        root.Error(definition.Key, BatchFileErrorKind.InvalidValue, $"'{definition.Key}' is {value}: it must be between {definition.Minimum} and {definition.Maximum}.");
        return null;
    }

    private static object? ReadPortRange(YamlMap root, string key)
    {
        if (root.Text(key, hint: "write first-last, for example 20000-29999") is not { } text)
        {
            return null;
        }
        if (PortRange.TryParse(text, out var range))
        {
            return range;
        }
        root.Error(key, BatchFileErrorKind.InvalidValue, $"'{key}' is '{text}': write first-last with ports from 1024 to 65535, for example 20000-29999.");
        return null;
    }

    private static void ValidateNames(YamlMap root)
    {
        foreach (var key in new[] { ConfigurationKeys.Environment, ConfigurationKeys.Preset })
        {
            if (root.Value(key) is YamlScalarNode { Value: { } name } && !ConfigurationReaders.IsValidName(name.Trim()))
            {
                root.Error(key, BatchFileErrorKind.InvalidValue, $"'{name}' is not a valid {key} name: use letters, digits, - and _.");
            }
        }
    }

    /// <summary>Reads every <c>&lt;name&gt;.md</c> in a commands folder; a missing folder holds none.</summary>
    internal static List<SlashCommand> ReadCommandFolder(string folder, List<BatchFileError> errors)
    {
        var commands = new List<SlashCommand>();
        if (!Directory.Exists(folder))
        {
            return commands;
        }
        foreach (var path in Directory.EnumerateFiles(folder, "*.md").OrderBy(p => p, StringComparer.Ordinal))
        {
            var name = Path.GetFileNameWithoutExtension(path);
            var file = new YamlFile(path, errors);
            if (!ConfigurationReaders.IsValidName(name))
            {
                file.Error(YamlDotNet.Core.Mark.Empty, BatchFileErrorKind.InvalidValue,
                    $"'{name}' is not a valid slash command name: name the file with letters, digits, - and _ (for example fix-ci.md).");
                continue;
            }
            if (ReadCommandFile(path, name, File.ReadAllText(path), errors) is { } command)
            {
                commands.Add(command);
            }
        }
        return commands;
    }

    private static SlashCommand? ReadCommandFile(string path, string name, string text, List<BatchFileError> errors)
    {
        var (front, frontLine, body) = SlashCommands.SlashCommandTemplate.SplitMarkdown(text);
        string? description = null;
        var parameters = new List<SlashCommandParameter>();
        if (front is not null)
        {
            var file = new YamlFile(path, errors, frontLine);
            var before = errors.Count;
            if (!string.IsNullOrWhiteSpace(StripComments(front)) && file.LoadRootMapping(front, "front matter") is { } node)
            {
                var map = file.Map(node, "the front matter", ["description", "parameters"]);
                description = map.Text("description")?.Trim();
                parameters = ConfigurationReaders.ReadCommandParameters(map);
            }
            if (errors.Count > before)
            {
                return null;
            }
        }
        if (body.Trim().Length == 0)
        {
            new YamlFile(path, errors).Error(YamlDotNet.Core.Mark.Empty, BatchFileErrorKind.MissingKey,
                $"The slash command file has no prompt: write the prompt below the front matter, with {{parameter}} placeholders.");
            return null;
        }
        return SlashCommands.SlashCommandTemplate.Build(name, description, body, parameters) with { Source = path, Line = 1 };
    }

    private static string StripComments(string text) =>
        string.Join('\n', text.Split('\n').Select(line => line.TrimStart().StartsWith('#') ? "" : line));
}

/// <summary>A configuration file (or a slash command file) that cannot be used.</summary>
public sealed class ConfigurationFileException : FileProblemsException
{
    public const string Id = "AmpConfigFileInvalid";

    public ConfigurationFileException(IReadOnlyList<BatchFileError> errors)
        : base(Id, "configuration file", errors, _ => $"{Invocation.Of(Operation.ValidateConfig)} lists them all")
    {
    }
}
