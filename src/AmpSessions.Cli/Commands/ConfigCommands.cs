using System.CommandLine;
using AmpSessions.Core.Configuration;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Processes;
using static AmpSessions.Cli.Commands.CommandContext;

namespace AmpSessions.Cli.Commands;

/// <summary>`config get|set|list|edit|validate`: the layered configuration (docs/CONFIGURATION.md).</summary>
internal static class ConfigCommands
{
    public static void AddTo(RootCommand root)
    {
        var config = new Command("config", "Show and change the configuration: built-in defaults < your config.yaml < the repository's .amp-sessions.yaml < session values < options.");
        root.Subcommands.Add(config);
        AddGet(config);
        AddList(config);
        AddSet(config);
        AddEdit(config);
        AddValidate(config);
        AddEnv(root);
        AddSlashCommands(root);
    }

    private static void AddSlashCommands(RootCommand root)
    {
        var repo = RepoOption();
        var name = new Argument<string?>("name") { Description = "One command (fix-ci or /fix-ci): show its prompt too.", Arity = ArgumentArity.ZeroOrOne };
        root.Add("commands", "List the slash commands a prompt can start with (--prompt '/fix-ci job=build'): built in, yours and the repository's.", async (p, output, ct) =>
        {
            var configuration = await Service(p).LoadAsync(new ConfigurationQuery { RepoPath = p.GetValue(repo) }, ct);
            if (p.GetValue(name) is { } one)
            {
                var command = configuration.Command(one.TrimStart('/'));
                output.Result(command, c =>
                {
                    output.Line($"{c.Usage}");
                    output.Line($"  {c.Description ?? "(no description)"}  (from {c.Where})");
                    foreach (var parameter in c.Parameters)
                    {
                        output.Line($"  {parameter.Name}: {(parameter.Required ? "required" : $"default \"{parameter.Default}\"")}{(parameter.Description is null ? "" : " - " + parameter.Description)}");
                    }
                    output.Line("");
                    output.Line(c.Template);
                });
                return CliApplication.Success;
            }
            var commands = configuration.Commands.Values.OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
            output.Result(commands, list => output.Table(["COMMAND", "DESCRIPTION", "SOURCE"],
                list.Select(c => (IReadOnlyList<string>)[c.Usage, c.Description ?? "", c.Source == ConfigurationSources.Default ? "built in" : c.Source])));
            return CliApplication.Success;
        }, name, repo);
    }

    private static void AddEnv(RootCommand root)
    {
        var session = SessionArgument();
        var environment = SessionCommands.EnvironmentOption("Show it as if the turn ran in this environment.");
        var preset = SessionCommands.PresetOption("Show it with this permission preset.");
        var mode = new Option<string?>("--mode") { Description = "Show it with this agent mode.", HelpName = "mode" };
        root.Add("env", "Show exactly what a session's next agent turn gets: environment, agent command line, variables, permissions, MCP servers, ports (secrets masked).", (p, output, ct) =>
        {
            var run = new RunEnvironmentService(OpenContext(p)).ForSession(p.GetValue(session)!,
                new RunOverrides { Environment = p.GetValue(environment), Preset = p.GetValue(preset), Mode = p.GetValue(mode) });
            output.Result(run, r => RenderRun(r, output));
            return Task.FromResult(CliApplication.Success);
        }, session, environment, preset, mode);
    }

    private static void RenderRun(RunEnvironment r, Output output)
    {
        output.Line($"Session {r.SessionId} \"{r.SessionName}\" runs in environment {r.Environment}{(r.IsCi ? " (CI)" : "")}  (from {r.EnvironmentSource})");
        output.Line($"  agent:       {r.Agent} ({r.AgentType})  (from {r.AgentSource})");
        output.Line($"  command:     {r.CommandLine}");
        output.Line($"  in:          {r.WorkingDirectory}");
        output.Line($"  mode:        {(r.Mode is null ? "-" : $"{r.Mode}  (from {r.ModeSource})")}");
        output.Line($"  model:       {(r.Model is null ? "-" : $"{r.Model}  (from {r.ModelSource})")}");
        output.Line($"  preset:      {(r.Preset is null ? "- (Amp's own permission settings)" : $"{r.Preset}  (from {r.PresetSource})")}");
        foreach (var rule in r.PermissionRules)
        {
            output.Line($"    {rule}");
        }
        output.Line($"  mcp servers: {(r.McpServers.Count == 0 ? "-" : string.Join(", ", r.McpServers))}");
        output.Line($"  skills:      {(r.Skills.Count == 0 ? "-" : string.Join(", ", r.Skills))}");
        if (r.ToolboxPaths.Count > 0)
        {
            output.Line($"  toolbox:     {(r.Toolbox.Count == 0 ? "(no tools)" : string.Join(", ", r.Toolbox))} from {string.Join(", ", r.ToolboxPaths)}");
            foreach (var skipped in r.ToolboxSkipped)
            {
                output.Line($"    left out: {skipped}");
            }
        }
        output.Line($"  ports:       {(r.Ports is null ? "-" : $"{r.Ports} (AMP_SESSION_PORT={r.Ports.First})")}");
        output.Line($"  notifications: {(r.Notifications ? "on" : "off")}");
        output.Line("  variables:");
        foreach (var (name, value) in r.Variables.OrderBy(v => v.Key, StringComparer.Ordinal))
        {
            output.Line(value is null ? $"    {name} (removed)" : $"    {name}={value}");
        }
        if (r.McpConfig is not null)
        {
            output.Line("  mcp config (in a private file for the turn):");
            foreach (var line in r.McpConfig.Split('\n'))
            {
                output.Line("    " + line.TrimEnd('\r'));
            }
        }
    }

    private static Option<string?> RepoOption() => new("--repo")
    {
        Description = "The repository whose .amp-sessions.yaml counts (default: the one the current folder is in, if any).",
        HelpName = "path",
    };

    private static Option<string?> SessionOption() => new("--session")
    {
        Description = "Show what a session sees: its repository's file and its own values on top.",
        HelpName = "session",
    };

    private static Option<ConfigurationScope> ScopeOption(string description) => new("--scope")
    {
        Description = description,
        DefaultValueFactory = _ => ConfigurationScope.User,
        HelpName = "user|repository",
    };

    private static void AddGet(Command config)
    {
        var key = new Argument<string>("key") { Description = "The key: environment, ports, environments.ci.allowed_modes, mcp_servers.github.env.GITHUB_TOKEN, ..." };
        var repo = RepoOption();
        var session = SessionOption();
        config.Add("get", "Print one key's effective value and where it came from (--json: {\"key\",\"value\",\"source\"}).", async (p, output, ct) =>
        {
            var configuration = await Service(p).LoadAsync(new ConfigurationQuery { RepoPath = p.GetValue(repo), Session = p.GetValue(session) }, ct);
            var setting = configuration.Get(p.GetValue(key)!);
            output.Result(setting, s => output.Line($"{s.Key}: {Shown(s)}  (from {s.Source})"));
            return CliApplication.Success;
        }, key, repo, session);
    }

    private static void AddList(Command config)
    {
        var repo = RepoOption();
        var session = SessionOption();
        config.Add("list", "List every key's effective value and where it came from.", async (p, output, ct) =>
        {
            var configuration = await Service(p).LoadAsync(new ConfigurationQuery { RepoPath = p.GetValue(repo), Session = p.GetValue(session) }, ct);
            output.Result(configuration.List(), list => output.Table(["KEY", "VALUE", "SOURCE"],
                list.Select(s => (IReadOnlyList<string>)[s.Key, Shorten(s.Value is null ? "-" : s.DisplayValue, 60), s.Source])));
            return CliApplication.Success;
        }, repo, session);
    }

    private static void AddSet(Command config)
    {
        var key = new Argument<string>("key") { Description = "The key to set (see `amp-sessions config list`)." };
        var value = new Argument<string[]>("value") { Description = "The value; several words or a comma-separated list for list keys.", Arity = ArgumentArity.ZeroOrMore };
        var scope = ScopeOption("Which file to write: user (your config.yaml, the default) or repository (.amp-sessions.yaml).");
        var repo = RepoOption();
        var unset = new Option<bool>("--unset") { Description = "Remove the key from the file instead." };
        config.Add("set", "Set one key in your config.yaml (or the repository's .amp-sessions.yaml with --scope repository), keeping the file's comments.", async (p, output, ct) =>
        {
            var words = p.GetValue(value) ?? [];
            if (p.GetValue(unset) == words.Length > 0)
            {
                throw new AmpSessionsException("AmpUsageMissingOption", ErrorKind.InvalidArgument,
                    words.Length > 0 ? "Give a value or --unset, not both." : "Give the value to set (or --unset to remove the key): amp-sessions config set <key> <value>.");
            }
            object? newValue = words.Length switch
            {
                0 => null,
                1 => words[0],
                _ => words,
            };
            var setting = await Service(p).SetAsync(p.GetValue(key)!, newValue, p.GetValue(scope), p.GetValue(repo), cancellationToken: ct);
            output.Result(setting, s => output.Line(newValue is null ? $"Removed {s.Key}; it is now: {Shown(s)}  (from {s.Source})" : $"{s.Key}: {Shown(s)}  (from {s.Source})"));
            return CliApplication.Success;
        }, key, value, scope, repo, unset);
    }

    private static void AddEdit(Command config)
    {
        var scope = ScopeOption("Which file to open: user (your config.yaml, the default) or repository (.amp-sessions.yaml).");
        var repo = RepoOption();
        config.Add("edit", "Open your config.yaml (or the repository's .amp-sessions.yaml) in $VISUAL or $EDITOR, then check it.", async (p, output, ct) =>
        {
            var service = Service(p);
            if (BuiltInConfiguration.IsCiRun(Environment.GetEnvironmentVariable) || Console.IsInputRedirected)
            {
                throw new AmpSessionsException("AmpEditorUnavailable", ErrorKind.InvalidOperation,
                    "There is no editor here (a CI run, or no terminal): change keys with `amp-sessions config set <key> <value>` instead.");
            }
            var file = await service.PrepareEditAsync(p.GetValue(scope), p.GetValue(repo), cancellationToken: ct);
            var editor = Environment.GetEnvironmentVariable("VISUAL") is { Length: > 0 } visual ? visual
                : Environment.GetEnvironmentVariable("EDITOR") is { Length: > 0 } editorVariable ? editorVariable
                : OperatingSystem.IsWindows() ? "notepad" : "vi";
            var command = CommandLine.Split(editor);
            // The editor needs the terminal itself, so it is started attached to this console, not through the output-capturing runner.
            var start = new System.Diagnostics.ProcessStartInfo(command[0]) { UseShellExecute = false };
            foreach (var argument in command.Skip(1))
            {
                start.ArgumentList.Add(argument);
            }
            start.ArgumentList.Add(file);
            System.Diagnostics.Process? process;
            try
            {
                process = System.Diagnostics.Process.Start(start);
            }
            catch (System.ComponentModel.Win32Exception ex)
            {
                throw new AmpSessionsException("AmpEditorNotFound", ErrorKind.ExternalTool,
                    $"The editor '{command[0]}' could not start ({ex.Message}): set VISUAL or EDITOR to one that is installed.", command[0], ex);
            }
            await process!.WaitForExitAsync(ct);
            var validation = service.Validate(null, [file]);
            return Report(validation, output);
        }, scope, repo);
    }

    private static void AddValidate(Command config)
    {
        var files = new Argument<string[]>("file") { Description = "Files to check (default: your config.yaml and the repository's .amp-sessions.yaml and commands).", Arity = ArgumentArity.ZeroOrMore };
        var repo = RepoOption();
        config.Add("validate", "Check the configuration files and list every problem as file:line:column (exit 1 when there is one).", async (p, output, ct) =>
        {
            var service = Service(p);
            var root = (p.GetValue(files) ?? []).Length > 0 ? null : await service.FindRepositoryRootAsync(p.GetValue(repo), cancellationToken: ct);
            return Report(service.Validate(root, p.GetValue(files)), output);
        }, files, repo);
    }

    private static int Report(ConfigurationValidation validation, Output output)
    {
        output.Result(validation, v =>
        {
            foreach (var error in v.Errors)
            {
                output.Line(error.ToString());
            }
            output.Line(v.IsValid
                ? $"ok: {(v.Files.Count == 0 ? "no configuration files (only built-in defaults)" : string.Join(", ", v.Files))}"
                : $"{v.Errors.Count} problem{(v.Errors.Count == 1 ? "" : "s")} in {v.Errors.Select(e => e.FilePath).Distinct().Count()} file(s).");
        });
        return validation.IsValid ? CliApplication.Success : CliApplication.Failed;
    }

    private static ConfigurationService Service(ParseResult parseResult) => new(OpenContext(parseResult));

    private static string Shown(ConfigSetting setting) => setting.Value is null ? "(not set)" : setting.DisplayValue;

    private static string Shorten(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
