using System.Globalization;
using AmpSessions.Core.Batches;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Sessions;
using AmpSessions.Core.Templates;

namespace AmpSessions.Core.Configuration;

/// <summary>Which file Set-AmpConfig and `config set|edit` write.</summary>
public enum ConfigurationScope
{
    /// <summary>The user's config.yaml in the data directory (private to the user).</summary>
    User,
    /// <summary>The repository's .amp-sessions.yaml (committed with the code).</summary>
    Repository,
}

/// <summary>What to show the configuration for: a repository (else none), a session, values given as parameters.</summary>
public sealed record ConfigurationQuery
{
    /// <summary>A path inside the repository (it must be one); null: <see cref="CurrentDirectory"/> when that is inside one.</summary>
    public string? RepoPath { get; init; }

    /// <summary>Where the user is (PowerShell's location, the process's folder): its repository counts when it is in one.</summary>
    public string? CurrentDirectory { get; init; }

    /// <summary>A session (id, prefix or name): its repository and its own values become layers.</summary>
    public string? Session { get; init; }

    /// <summary>Top-level settings given on the command line (the highest layer).</summary>
    public IReadOnlyDictionary<string, object?> Parameters { get; init; } = new Dictionary<string, object?>();
}

/// <summary>The files `config validate` read and every problem found in them.</summary>
public sealed record ConfigurationValidation
{
    public required IReadOnlyList<string> Files { get; init; }
    public required IReadOnlyList<BatchFileError> Errors { get; init; }
    public bool IsValid => Errors.Count == 0;
}

/// <summary>
/// Loads the layered configuration (built-in &lt; user file &lt; repository file &lt; batch / template /
/// session values &lt; parameters), answers Get-AmpConfig and `config get|list`, writes one key of the
/// user or repository file in place (Set-AmpConfig, `config set`), validates, and prepares `config edit`.
/// </summary>
public sealed class ConfigurationService
{
    private readonly AmpContext? context;
    private readonly string dataRoot;
    private readonly Func<string, string?> variables;

    public ConfigurationService(AmpContext context)
    {
        this.context = context;
        dataRoot = context.Data.Root;
        variables = context.Options.EnvironmentVariables;
    }

    /// <summary>Reads the configuration without opening the store (argument completion must never create a data directory).</summary>
    public ConfigurationService(string dataRoot, Func<string, string?>? variables = null)
    {
        this.dataRoot = dataRoot;
        this.variables = variables ?? Environment.GetEnvironmentVariable;
    }

    private AmpContext Store => context ?? throw new InvalidOperationException("This configuration service was opened without the store.");

    /// <summary>The user's configuration file in the data directory.</summary>
    public string UserFile => Path.Combine(dataRoot, ConfigurationKeys.UserFileName);

    public string UserCommandsFolder => Path.Combine(dataRoot, ConfigurationKeys.UserCommandsFolder);

    public static string RepositoryFile(string repositoryRoot) => Path.Combine(repositoryRoot, ConfigurationKeys.RepositoryFileName);

    /// <summary>The built-in, user and repository layers (and any given on top); a file with problems is one clear error listing them.</summary>
    public EffectiveConfiguration Load(string? repositoryRoot, params ConfigurationLayer[] extra)
    {
        var errors = new List<BatchFileError>();
        var layers = new List<ConfigurationLayer> { BuiltInConfiguration.Layer(variables) };
        layers.Add(ReadLayer(UserFile, UserCommandsFolder, ConfigurationLayerKind.User, errors));
        if (repositoryRoot is not null)
        {
            layers.Add(ReadLayer(RepositoryFile(repositoryRoot), Path.Combine(repositoryRoot, ConfigurationKeys.RepositoryCommandsFolder), ConfigurationLayerKind.Repository, errors));
        }
        if (errors.Count > 0)
        {
            throw new ConfigurationFileException(errors);
        }
        layers.AddRange(extra);
        return new EffectiveConfiguration(layers, repositoryRoot);
    }

    /// <summary>The configuration a session runs with: its repository's files and its own values on top.</summary>
    public EffectiveConfiguration ForSession(Session session, params ConfigurationLayer[] more) =>
        Load(Directory.Exists(session.RepoRoot) ? session.RepoRoot : null, [SessionLayer(session), .. more]);

    /// <summary>The configuration for a query: the repository (given, the session's, or the current directory's), then the session's values, then parameters.</summary>
    public async Task<EffectiveConfiguration> LoadAsync(ConfigurationQuery query, CancellationToken cancellationToken = default)
    {
        var layers = new List<ConfigurationLayer>();
        string? root;
        if (query.Session is { Length: > 0 } reference)
        {
            var session = new SessionManager(Store).Resolve(reference);
            root = Directory.Exists(session.RepoRoot) ? session.RepoRoot : null;
            layers.Add(SessionLayer(session));
        }
        else
        {
            root = await FindRepositoryRootAsync(query.RepoPath, query.CurrentDirectory, cancellationToken).ConfigureAwait(false);
        }
        if (query.Parameters.Count > 0)
        {
            layers.Add(ParameterLayer(query.Parameters));
        }
        return Load(root, [.. layers]);
    }

    /// <summary>The main checkout's root for a path (an explicit path must be a repository; the current directory need not be).</summary>
    public async Task<string?> FindRepositoryRootAsync(string? path, string? currentDirectory = null, CancellationToken cancellationToken = default)
    {
        if (path is { Length: > 0 })
        {
            return (await new SessionManager(Store).OpenRepositoryAsync(path, cancellationToken).ConfigureAwait(false)).Root;
        }
        var directory = currentDirectory ?? Directory.GetCurrentDirectory();
        if (!Directory.Exists(directory))
        {
            return null;
        }
        // Quietly: being outside a repository is normal here. Sessions belong to the main checkout, so its file counts even in a worktree.
        var git = new Git.GitClient(directory, context?.Options.GitExecutable ?? "git");
        try
        {
            if (await git.TryGetWorkingTreeFactsAsync(cancellationToken).ConfigureAwait(false) is not { } facts)
            {
                return null;
            }
            if (facts.IsMainWorktree)
            {
                return facts.TopLevel;
            }
            var worktrees = await git.ListWorktreesAsync(cancellationToken).ConfigureAwait(false);
            return worktrees.FirstOrDefault(w => !w.IsBare)?.Path ?? facts.TopLevel;
        }
        catch (AmpSessionsException)
        {
            return null;
        }
    }

    public static ConfigurationLayer SessionLayer(Session session) => ConfigurationLayer.OfSettings(ConfigurationLayerKind.Session, ConfigurationSources.Session(session.Id),
    [
        new(ConfigurationKeys.Environment, session.Environment),
        new(ConfigurationKeys.Agent, session.Agent),
        // --allow-all-tools is the full-auto preset by another name: every tool without approval only ever comes from a preset.
        new(ConfigurationKeys.Preset, session.AllowAllTools ? "full-auto" : session.Preset),
    ]);

    public static ConfigurationLayer TemplateLayer(SessionTemplate template) => ConfigurationLayer.OfSettings(ConfigurationLayerKind.Template, ConfigurationSources.Template(template.Name),
    [
        new(ConfigurationKeys.Environment, template.Environment),
        new(ConfigurationKeys.Agent, template.Agent),
        new(ConfigurationKeys.Preset, template.Preset),
        new(ConfigurationKeys.Setup, template.Setup),
    ]);

    /// <summary>Top-level settings given on the command line; each is checked against its key's shape.</summary>
    public static ConfigurationLayer ParameterLayer(IReadOnlyDictionary<string, object?> parameters) => ConfigurationLayer.OfSettings(ConfigurationLayerKind.Parameter, ConfigurationSources.Parameter,
        parameters.Select(p => new KeyValuePair<string, object?>(p.Key, p.Value is null ? null : Convert(ConfigurationKeys.Setting(p.Key) ?? throw EffectiveConfiguration.UnknownKey(p.Key), p.Value))));

    // ---- validate ----

    /// <summary>Reads the user file, the repository's file (when given) and any other files, and lists every problem in them.</summary>
    public ConfigurationValidation Validate(string? repositoryRoot, IEnumerable<string>? files = null)
    {
        var errors = new List<BatchFileError>();
        var read = new List<string>();
        void Check(string file, string? commands, ConfigurationLayerKind kind)
        {
            if (File.Exists(file))
            {
                read.Add(file);
            }
            ReadLayer(file, commands, kind, errors);
            if (commands is not null && Directory.Exists(commands))
            {
                read.AddRange(Directory.EnumerateFiles(commands, "*.md").Order(StringComparer.Ordinal));
            }
        }
        var explicitFiles = (files ?? []).Select(Path.GetFullPath).ToList();
        if (explicitFiles.Count == 0)
        {
            Check(UserFile, UserCommandsFolder, ConfigurationLayerKind.User);
            if (repositoryRoot is not null)
            {
                Check(RepositoryFile(repositoryRoot), Path.Combine(repositoryRoot, ConfigurationKeys.RepositoryCommandsFolder), ConfigurationLayerKind.Repository);
            }
        }
        foreach (var file in explicitFiles)
        {
            if (!File.Exists(file))
            {
                throw new AmpSessionsException("AmpConfigFileNotFound", ErrorKind.NotFound, $"The configuration file '{file}' does not exist: check the path.", file);
            }
            var kind = Path.GetFileName(file) == ConfigurationKeys.RepositoryFileName ? ConfigurationLayerKind.Repository : ConfigurationLayerKind.User;
            Check(file, null, kind);
        }
        return new ConfigurationValidation { Files = read, Errors = errors };
    }

    // ---- set ----

    /// <summary>
    /// Sets one key in the user file (or the repository's file) and returns its new effective value.
    /// The file keeps its comments and layout; the result is validated before anything is written, so
    /// a bad value leaves the file as it was. A null value removes the key.
    /// </summary>
    public async Task<ConfigSetting> SetAsync(string key, object? value, ConfigurationScope scope, string? repoPath = null, string? currentDirectory = null, CancellationToken cancellationToken = default)
    {
        var root = await FindRepositoryRootAsync(repoPath, currentDirectory, cancellationToken).ConfigureAwait(false);
        if (scope == ConfigurationScope.Repository && root is null)
        {
            throw new AmpSessionsException("AmpRepositoryRequired", ErrorKind.InvalidArgument,
                "The repository scope needs a repository, and this is not inside one", repoPath,
                remedy: $"run it inside a Git checkout, or name one with {Parameter.Repo}");
        }
        var file = scope == ConfigurationScope.Repository ? RepositoryFile(root!) : UserFile;
        var path = KeyPath(key);
        var rendered = value is null ? null : Render(path, value);
        var before = File.Exists(file) ? File.ReadAllText(file) : "";
        var after = rendered is null
            ? YamlTextEditor.Remove(before, path)
            : YamlTextEditor.Set(before.Length == 0 ? Skeleton(scope) : before, path, rendered);
        // The whole file must still be valid, or nothing is written.
        ConfigurationFileParser.Parse(after, file, scope == ConfigurationScope.Repository ? ConfigurationLayerKind.Repository : ConfigurationLayerKind.User);
        WriteConfigurationFile(file, after, scope);
        var joined = string.Join('.', path);
        try
        {
            return Load(root).Get(joined);
        }
        catch (AmpSessionsException) when (value is null)
        {
            return new ConfigSetting { Key = joined, Value = null, Source = ConfigurationSources.Default };
        }
    }

    /// <summary>The file `config edit` opens, created with a commented skeleton when missing.</summary>
    public async Task<string> PrepareEditAsync(ConfigurationScope scope, string? repoPath = null, string? currentDirectory = null, CancellationToken cancellationToken = default)
    {
        var root = await FindRepositoryRootAsync(repoPath, currentDirectory, cancellationToken).ConfigureAwait(false);
        if (scope == ConfigurationScope.Repository && root is null)
        {
            throw new AmpSessionsException("AmpRepositoryRequired", ErrorKind.InvalidArgument,
                "The repository scope needs a repository, and this is not inside one", repoPath,
                remedy: $"run it inside a Git checkout, or name one with {Parameter.Repo}");
        }
        var file = scope == ConfigurationScope.Repository ? RepositoryFile(root!) : UserFile;
        if (!File.Exists(file))
        {
            WriteConfigurationFile(file, Skeleton(scope), scope);
        }
        return file;
    }

    private static void WriteConfigurationFile(string file, string text, ConfigurationScope scope)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            var temporary = file + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
            // The user's file may hold MCP tokens: readable by the user only.
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (scope == ConfigurationScope.User && !OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }
            using (var stream = new FileStream(temporary, options))
            using (var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false)))
            {
                writer.Write(text);
            }
            File.Move(temporary, file, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new AmpSessionsException("AmpConfigFileUnwritable", ErrorKind.PermissionDenied,
                $"Cannot write the configuration file '{file}' ({ex.Message}): check its folder's permissions.", file, ex);
        }
    }

    private static string Skeleton(ConfigurationScope scope) => scope == ConfigurationScope.Repository
        ? "# AmpSessions configuration for this repository (see docs/CONFIGURATION.md for every key).\n"
        : "# Your AmpSessions configuration (see docs/CONFIGURATION.md for every key).\n";

    private static IReadOnlyList<string> KeyPath(string key)
    {
        var parts = EffectiveConfiguration.SplitKey(key);
        if (parts.Any(p => p.Length == 0))
        {
            throw EffectiveConfiguration.UnknownKey(key ?? "");
        }
        if (parts.Length == 1 && ConfigurationKeys.Setting(parts[0]) is not null)
        {
            return parts;
        }
        if (parts.Length >= 3 && ConfigurationKeys.Sections.Contains(parts[0]) && EffectiveConfiguration.EntryKeys(parts[0]).Contains(parts[2]))
        {
            // A price is named by an agent or a model, as the batch file's prices are: any text.
            if (parts[0] != ConfigurationKeys.Prices && !ConfigurationReaders.IsValidName(parts[1]))
            {
                throw new AmpSessionsException("AmpConfigKeyUnknown", ErrorKind.InvalidArgument,
                    $"'{parts[1]}' is not a valid name: use letters, digits, - and _.", key);
            }
            var kind = FieldKind(parts[0], parts[2]);
            if (kind == FieldShape.Structured)
            {
                throw new AmpSessionsException("AmpConfigKeyNotSettable", ErrorKind.InvalidArgument,
                    $"'{key}' is a structured value, set in a configuration file, not key by key", key,
                    remedy: $"edit it in the file ({Invocation.Of(Operation.ListConfig)} shows which file sets each key; docs/CONFIGURATION.md has the format)");
            }
            if (parts.Length == 3 || (parts.Length == 4 && kind == FieldShape.Map))
            {
                return parts;
            }
        }
        throw EffectiveConfiguration.UnknownKey(key ?? "");
    }

    private enum FieldShape { Text, List, Boolean, Map, Structured, Price }

    private static FieldShape FieldKind(string section, string field) => (section, field) switch
    {
        (ConfigurationKeys.Prices, _) => FieldShape.Price,
        (_, "env" or "headers") => FieldShape.Map,
        (_, "allowed_modes" or "toolbox_paths" or "toolbox_path" or "mcp_servers" or "skills" or "allowed_tools" or "disallowed_tools" or "args") => FieldShape.List,
        (_, "ci" or "allow_all") => FieldShape.Boolean,
        (_, "permissions" or "parameters") => FieldShape.Structured,
        _ => FieldShape.Text,
    };

    private static string Render(IReadOnlyList<string> path, object value)
    {
        if (path.Count == 1)
        {
            var converted = Convert(ConfigurationKeys.Setting(path[0])!, value);
            return converted switch
            {
                IReadOnlyList<string> list => YamlTextEditor.FlowList(list),
                bool flag => flag ? "true" : "false",
                long number => number.ToString(CultureInfo.InvariantCulture),
                _ => YamlTextEditor.Scalar(converted.ToString()!),
            };
        }
        var shape = path.Count == 4 ? FieldShape.Text : FieldKind(path[0], path[2]);
        return shape switch
        {
            FieldShape.List => YamlTextEditor.FlowList(AsList(value)),
            FieldShape.Boolean => AsBoolean(value, string.Join('.', path)) ? "true" : "false",
            FieldShape.Price => AsPrice(value, string.Join('.', path)).ToString(CultureInfo.InvariantCulture),
            FieldShape.Map => throw new AmpSessionsException("AmpConfigValueInvalid", ErrorKind.InvalidArgument,
                $"'{string.Join('.', path)}' is a mapping: set one variable at a time, e.g. {string.Join('.', path)}.NAME.", string.Join('.', path)),
            _ => YamlTextEditor.Scalar(AsText(value)),
        };
    }

    /// <summary>A parameter's value as its key's shape: text, a whole number in range, true/false, a list, a port range.</summary>
    private static object Convert(SettingDefinition definition, object value)
    {
        var key = definition.Key;
        switch (definition.Kind)
        {
            case SettingKind.Integer:
                if (value is int or long && System.Convert.ToInt64(value, CultureInfo.InvariantCulture) is var whole
                    || long.TryParse(AsText(value), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out whole))
                {
                    if (whole < definition.Minimum || whole > definition.Maximum)
                    {
                        throw new AmpSessionsException("AmpConfigValueInvalid", ErrorKind.InvalidArgument,
                            $"'{key}' must be between {definition.Minimum} and {definition.Maximum}, not {whole}.", value);
                    }
                    return whole;
                }
                throw new AmpSessionsException("AmpConfigValueInvalid", ErrorKind.InvalidArgument, $"'{key}' must be a whole number, not '{AsText(value)}'.", value);
            case SettingKind.Boolean:
                return AsBoolean(value, key);
            case SettingKind.TextList:
                return AsList(value);
            case SettingKind.PortRange:
                return PortRange.TryParse(AsText(value), out var range)
                    ? range
                    : throw new AmpSessionsException("AmpConfigValueInvalid", ErrorKind.InvalidArgument,
                        $"'{key}' must be first-last with ports from 1024 to 65535, for example 20000-29999, not '{AsText(value)}'.", value);
            default:
                var text = AsText(value).Trim();
                if (text.Length == 0)
                {
                    throw new AmpSessionsException("AmpConfigValueInvalid", ErrorKind.InvalidArgument, $"'{key}' cannot be blank: give a value, or remove the key.", value);
                }
                return text;
        }
    }

    private static string AsText(object value) => value switch
    {
        string text => text,
        IEnumerable<object> list => string.Join(",", list),
        _ => System.Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

    private static IReadOnlyList<string> AsList(object value)
    {
        if (value is string text)
        {
            var trimmed = text.Trim();
            if (trimmed.StartsWith('[') && trimmed.EndsWith(']'))
            {
                trimmed = trimmed[1..^1];
            }
            return trimmed.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }
        if (value is System.Collections.IEnumerable items)
        {
            return items.Cast<object?>().Select(i => System.Convert.ToString(i, CultureInfo.InvariantCulture)?.Trim() ?? "").Where(i => i.Length > 0).ToList();
        }
        return [AsText(value)];
    }

    private static decimal AsPrice(object value, string key)
    {
        decimal? price = value is decimal or double or float or int or long
            ? System.Convert.ToDecimal(value, CultureInfo.InvariantCulture)
            : decimal.TryParse(AsText(value).Trim(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var parsed) ? parsed : null;
        return price is >= 0 ? price.Value : throw new AmpSessionsException("AmpConfigValueInvalid", ErrorKind.InvalidArgument,
            $"'{key}' must be zero or more US dollars per million tokens, like 3 or 0.3, not '{AsText(value)}'.", value);
    }

    private static bool AsBoolean(object value, string key) => value switch
    {
        bool flag => flag,
        _ when AsText(value).Trim().ToLowerInvariant() is "true" or "yes" or "on" or "1" => true,
        _ when AsText(value).Trim().ToLowerInvariant() is "false" or "no" or "off" or "0" => false,
        _ => throw new AmpSessionsException("AmpConfigValueInvalid", ErrorKind.InvalidArgument, $"'{key}' must be true or false, not '{AsText(value)}'.", value),
    };

    private static ConfigurationLayer ReadLayer(string file, string? commandsFolder, ConfigurationLayerKind kind, List<BatchFileError> errors)
    {
        var layer = File.Exists(file)
            ? ConfigurationFileParser.Read(File.ReadAllText(file), Path.GetFullPath(file), kind, errors)
            : new ConfigurationLayer { Kind = kind, Source = Path.GetFullPath(file) };
        if (commandsFolder is null)
        {
            return layer;
        }
        var fromFolder = ConfigurationFileParser.ReadCommandFolder(commandsFolder, errors);
        foreach (var command in fromFolder.Where(c => layer.Commands.Any(d => d.Name == c.Name)))
        {
            var other = layer.Commands.First(d => d.Name == command.Name);
            new YamlFile(command.Source, errors).Error(YamlDotNet.Core.Mark.Empty, BatchFileErrorKind.DuplicateId,
                $"The slash command '{command.Name}' is defined twice: here and at {other.Where}; keep one.");
        }
        return layer with { Commands = [.. layer.Commands, .. fromFolder] };
    }
}
