using System.Text.Json;
using System.Text.Json.Nodes;

namespace AmpSessions.Core.Agents;

/// <summary>The argument list and environment for one turn, per dialect (facts in docs: amp-cli.md).</summary>
public static class AgentCommandLine
{
    public const string ModelVariable = "AMP_SESSIONS_MODEL";

    /// <summary>Arguments after the configured command. <paramref name="settingsFile"/> is the per-run settings file, if one is needed.</summary>
    public static IReadOnlyList<string> Arguments(AgentSpec spec, AgentTurnRequest request, string? settingsFile)
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
                if (request.McpConfig is { Length: > 0 } mcp) args.AddRange(["--mcp-config", mcp]);
                if (settingsFile is not null) args.AddRange(["--settings-file", settingsFile]);
                if (request.AllowAllTools) args.Add("--dangerously-allow-all");
                foreach (var label in request.Labels) args.AddRange(["--label", label]);
                if (request.ThreadId is null && request.Title is { Length: > 0 } title) args.AddRange(["--title", title]);
                break;
            case AgentDialect.Claude:
                args.AddRange(["-p", "--output-format", "stream-json", "--verbose"]);
                if (request.ThreadId is not null) args.AddRange(["--resume", request.ThreadId]);
                if (request.Model is { Length: > 0 } model) args.AddRange(["--model", model]);
                if (request.McpConfig is { Length: > 0 } claudeMcp) args.AddRange(["--mcp-config", claudeMcp]);
                if (request.AllowAllTools) args.Add("--dangerously-skip-permissions");
                else if (request.AllowedTools.Count > 0) args.AddRange(["--allowedTools", string.Join(',', request.AllowedTools)]);
                break;
            case AgentDialect.Plain:
                break;
        }
        return args;
    }

    /// <summary>Environment changes for the agent: no update checks, no inherited parent thread, toolboxes, the model override, the session's extras.</summary>
    public static IReadOnlyDictionary<string, string?> Environment(AgentSpec spec, AgentTurnRequest request)
    {
        var environment = new Dictionary<string, string?>();
        if (spec.Dialect == AgentDialect.Amp)
        {
            environment["AMP_SKIP_UPDATE_CHECK"] = "1";
            // An inherited AMP_THREAD_ID would make every new thread a child of some other thread.
            environment["AMP_THREAD_ID"] = null;
            if (request.ToolboxPaths.Count > 0)
            {
                environment["AMP_TOOLBOX"] = string.Join(Path.PathSeparator, request.ToolboxPaths);
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
    private static string? Variable(IReadOnlyDictionary<string, string?> environment, string name) =>
        environment.TryGetValue(name, out var value) ? value : System.Environment.GetEnvironmentVariable(name);

    private static string Home(IReadOnlyDictionary<string, string?> environment) =>
        Variable(environment, "HOME") is { Length: > 0 } home ? home : System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile);

    /// <summary>
    /// Writes a per-run Amp settings file when the turn has permission rules: the user's own
    /// settings with allow rules for the session's tools in front. Returns null when none is needed.
    /// </summary>
    public static string? WriteSettingsFile(AgentSpec spec, AgentTurnRequest request)
    {
        if (spec.Dialect != AgentDialect.Amp || request.AllowedTools.Count == 0 && request.LeadingPermissionRules.Count == 0)
        {
            return null;
        }
        // The user's settings as the agent would have read them: its HOME and AMP_SETTINGS_FILE, which a session may set.
        var settings = ReadUserSettings(Environment(spec, request));
        var rules = new JsonArray();
        foreach (var rule in request.LeadingPermissionRules)
        {
            rules.Add(rule.DeepClone());
        }
        foreach (var tool in request.AllowedTools)
        {
            rules.Add(new JsonObject { ["tool"] = tool, ["action"] = "allow" });
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
        // Private (it carries the user's settings, tokens included), named with this process's id so a
        // later start removes it if this process is killed before the turn ends.
        var folder = request.RunFilesDirectory ?? Path.GetTempPath();
        var path = Path.Combine(Storage.PrivateFiles.Folder(folder), request.RunFilesDirectory is null
            ? $"amp-sessions-{Storage.DataDirectory.RunFileName("settings", ".json")}"
            : Storage.DataDirectory.RunFileName("settings", ".json"));
        Storage.PrivateFiles.WriteAllText(path, settings.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return path;
    }

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
