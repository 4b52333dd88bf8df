using System.Text.Json;
using System.Text.Json.Nodes;

namespace AmpSessions.Core.Agents;

/// <summary>The argument list, environment and per-run settings for one turn, per dialect (facts in docs: amp-cli.md).</summary>
public static class AgentCommandLine
{
    public const string ModelVariable = "AMP_SESSIONS_MODEL";

    /// <summary>How the per-run files appear where a command line is shown but not run (`env`).</summary>
    public const string SettingsFilePlaceholder = "<per-run settings file>";
    public const string McpFilePlaceholder = "<per-run MCP config file>";
    public const string ToolboxPlaceholder = "<per-run toolbox folder>";

    /// <summary>
    /// Arguments after the configured command. <paramref name="settingsFile"/> is the per-run settings
    /// file and <paramref name="mcpFile"/> the per-run MCP configuration, when the turn has them: MCP
    /// servers reach the agent only through a file, so their secrets never appear on its command line.
    /// </summary>
    public static IReadOnlyList<string> Arguments(AgentSpec spec, AgentTurnRequest request, string? settingsFile, string? mcpFile = null)
    {
        var args = new List<string>(spec.PrefixArguments);
        switch (spec.Dialect)
        {
            case AgentDialect.Amp:
                if (request.ThreadId is not null)
                {
                    args.AddRange(["threads", "continue", request.ThreadId]);
                }
                // -x takes an optional value, so it is followed by a flag, never by a bare word; the prompt goes on stdin.
                args.AddRange(["-x", "--stream-json", "--no-notifications", "--no-ide"]);
                // New execute-mode threads are archived at exit unless told otherwise, and an archived thread cannot be continued.
                args.Add("--no-archive-after-execute");
                if (request.Mode is { Length: > 0 } mode) args.AddRange(["--mode", mode]);
                if (mcpFile is not null) args.AddRange(["--mcp-config", mcpFile]);
                if (settingsFile is not null) args.AddRange(["--settings-file", settingsFile]);
                if (request.AllowAllTools) args.Add("--dangerously-allow-all");
                foreach (var label in request.Labels) args.AddRange(["--label", label]);
                if (request.ThreadId is null && request.Title is { Length: > 0 } title) args.AddRange(["--title", title]);
                break;
            case AgentDialect.Claude:
                args.AddRange(["-p", "--output-format", "stream-json", "--verbose"]);
                if (request.ThreadId is not null) args.AddRange(["--resume", request.ThreadId]);
                if (request.Model is { Length: > 0 } model) args.AddRange(["--model", model]);
                if (mcpFile is not null) args.AddRange(["--mcp-config", mcpFile]);
                if (request.AllowAllTools)
                {
                    args.Add("--dangerously-skip-permissions");
                }
                else
                {
                    if (request.AllowedTools.Count > 0) args.AddRange(["--allowedTools", string.Join(',', request.AllowedTools)]);
                    if (request.DisallowedTools.Count > 0) args.AddRange(["--disallowedTools", string.Join(',', request.DisallowedTools)]);
                }
                break;
            case AgentDialect.Plain:
                break;
        }
        return args;
    }

    /// <summary>
    /// Environment changes for the agent: no update checks, no inherited parent thread, the toolbox
    /// folder, the model override, the session's extras.
    /// </summary>
    public static IReadOnlyDictionary<string, string?> Environment(AgentSpec spec, AgentTurnRequest request, string? toolboxFolder = null)
    {
        var environment = new Dictionary<string, string?>();
        if (spec.Dialect == AgentDialect.Amp)
        {
            environment["AMP_SKIP_UPDATE_CHECK"] = "1";
            // An inherited AMP_THREAD_ID would make every new thread a child of some other thread.
            environment["AMP_THREAD_ID"] = null;
            if (toolboxFolder is not null)
            {
                environment["AMP_TOOLBOX"] = toolboxFolder;
            }
        }
        if (request.Model is { Length: > 0 } model)
        {
            environment[ModelVariable] = model;
        }
        foreach (var (name, value) in request.Environment)
        {
            environment[name] = value;
        }
        return environment;
    }

    /// <summary>Whether Amp will find credentials: AMP_API_KEY, or the secrets file `amp login` writes.</summary>
    public static bool AmpCredentialsAvailable(IReadOnlyDictionary<string, string?> environment)
    {
        if (!string.IsNullOrWhiteSpace(Variable(environment, "AMP_API_KEY")))
        {
            return true;
        }
        var dataHome = Variable(environment, "XDG_DATA_HOME") is { Length: > 0 } xdg ? xdg : Path.Combine(Home(environment), ".local", "share");
        return File.Exists(Path.Combine(dataHome, "amp", "secrets.json"));
    }

    /// <summary>A variable as the agent will see it: the turn's environment changes over this process's environment.</summary>
    internal static string? Variable(IReadOnlyDictionary<string, string?> environment, string name) =>
        environment.TryGetValue(name, out var value) ? value : System.Environment.GetEnvironmentVariable(name);

    private static string Home(IReadOnlyDictionary<string, string?> environment) =>
        Variable(environment, "HOME") is { Length: > 0 } home ? home : System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile);

    /// <summary>Whether the turn needs a per-run Amp settings file: permission rules or skills to add.</summary>
    public static bool NeedsSettingsFile(AgentSpec spec, AgentTurnRequest request) =>
        spec.Dialect == AgentDialect.Amp && (request.LeadingPermissionRules.Count > 0 || request.AllowedTools.Count > 0 || request.PermissionRules.Count > 0 || request.Skills.Count > 0);

    /// <summary>
    /// The per-run Amp settings: the user's own settings (or the environment's settings file, through
    /// AMP_SETTINGS_FILE) with allow rules for the session's tools and the preset's rules in front of the
    /// user's own rules, and the skill folders before the user's. Null when none is needed.
    /// </summary>
    public static JsonObject? Settings(AgentSpec spec, AgentTurnRequest request)
    {
        if (!NeedsSettingsFile(spec, request))
        {
            return null;
        }
        // The user's settings as the agent would have read them: its HOME and AMP_SETTINGS_FILE, which a session or environment may set.
        var settings = ReadUserSettings(Environment(spec, request));
        if (request.LeadingPermissionRules.Count > 0 || request.AllowedTools.Count > 0 || request.PermissionRules.Count > 0)
        {
            var rules = new JsonArray();
            // The guard's delegates come first: Amp takes the first rule that matches.
            foreach (var rule in request.LeadingPermissionRules)
            {
                rules.Add(rule.DeepClone());
            }
            foreach (var tool in request.AllowedTools)
            {
                rules.Add((JsonNode)new JsonObject { ["tool"] = tool, ["action"] = "allow" });
            }
            foreach (var rule in request.PermissionRules)
            {
                rules.Add((JsonNode)rule.ToAmpJson());
            }
            if (settings["amp.permissions"] is JsonArray existing)
            {
                foreach (var rule in existing.ToArray())
                {
                    existing.Remove(rule);
                    rules.Add(rule);
                }
            }
            settings["amp.permissions"] = rules;
        }
        if (request.Skills.Count > 0)
        {
            var paths = request.Skills.ToList();
            if (settings["amp.skills.path"] is JsonValue own && own.TryGetValue<string>(out var ownPaths) && ownPaths.Length > 0)
            {
                paths.Add(ownPaths);
            }
            settings["amp.skills.path"] = string.Join(Path.PathSeparator, paths);
        }
        return settings;
    }

    /// <summary>Writes the per-run settings into the turn's private folder; null when none is needed.</summary>
    public static string? WriteSettingsFile(AgentSpec spec, AgentTurnRequest request, RunFiles files) =>
        Settings(spec, request) is { } settings ? files.Write("settings.json", settings.ToJsonString(new JsonSerializerOptions { WriteIndented = true })) : null;

    private static JsonObject ReadUserSettings(IReadOnlyDictionary<string, string?> environment)
    {
        var path = Variable(environment, "AMP_SETTINGS_FILE") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Home(environment), ".config", "amp", "settings.json");
        try
        {
            return File.Exists(path) && JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }) is JsonObject user ? user : new JsonObject();
        }
        catch (JsonException)
        {
            // A settings file Amp itself would reject: start from nothing rather than fail the turn.
            return new JsonObject();
        }
    }
}
