using System.Text.Json.Nodes;
using AmpSessions.Core.Agents;
using AmpSessions.Core.Errors;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Agents;

public sealed class AgentCommandLineTests
{
    private static readonly AgentSpec Amp = AgentSpec.Parse("amp");
    private static readonly AgentSpec Claude = AgentSpec.Parse("claude");

    private static AgentTurnRequest Request(Func<AgentTurnRequest, AgentTurnRequest>? change = null)
    {
        var request = new AgentTurnRequest { Prompt = "do it", WorkingDirectory = "/tmp" };
        return change is null ? request : change(request);
    }

    [Fact]
    public void Amp_new_thread_runs_execute_mode_with_stream_json_unarchived_labels_and_title()
    {
        var args = AgentCommandLine.Arguments(Amp, Request(r => r with { Labels = ["amp-sessions", "session-abc"], Title = "Rename (abc)" }), null);

        Assert.Equal(["-x", "--stream-json", "--no-notifications", "--no-ide", "--no-archive-after-execute",
            "--label", "amp-sessions", "--label", "session-abc", "--title", "Rename (abc)"], args);
    }

    [Fact]
    public void Amp_later_iterations_continue_the_thread_first_and_keep_it_unarchived_without_a_title()
    {
        var args = AgentCommandLine.Arguments(Amp, Request(r => r with { ThreadId = "T-1234", Title = "ignored for old threads" }), null);

        Assert.Equal(["threads", "continue", "T-1234", "-x", "--stream-json"], args.Take(5));
        Assert.Contains("--no-archive-after-execute", args);
        Assert.DoesNotContain("--title", args);
    }

    [Fact]
    public void Amp_options_each_become_their_flag_and_value()
    {
        const string mcp = "{\"pw\":{\"command\":\"npx\",\"args\":[\"@playwright/mcp\"]}}";
        var args = AgentCommandLine.Arguments(Amp, Request(r => r with { Mode = "high", McpConfig = mcp, AllowAllTools = true }), "/tmp/settings.json", "/tmp/run/mcp.json");

        Assert.Equal(["--mode", "high"], ValueOf(args, "--mode"));
        // MCP servers reach the agent through the turn's private file, never as JSON on its command line (issue 10 item 10).
        Assert.Equal(["--mcp-config", "/tmp/run/mcp.json"], ValueOf(args, "--mcp-config"));
        Assert.DoesNotContain(args, a => a.Contains("playwright", StringComparison.Ordinal));
        Assert.Equal(["--settings-file", "/tmp/settings.json"], ValueOf(args, "--settings-file"));
        Assert.Contains("--dangerously-allow-all", args);
        // -x takes an optional value: it must be followed by a flag, never a bare word.
        Assert.StartsWith("-", args[args.ToList().IndexOf("-x") + 1]);
    }

    [Fact]
    public void Amp_allows_all_tools_only_when_asked()
    {
        var args = AgentCommandLine.Arguments(Amp, Request(r => r with { AllowedTools = ["Bash"], Mode = "", McpConfig = "" }), null);

        Assert.DoesNotContain("--dangerously-allow-all", args);
        Assert.DoesNotContain("--mode", args);
        Assert.DoesNotContain("--mcp-config", args);
        Assert.DoesNotContain("--settings-file", args);
    }

    [Fact]
    public void A_configured_command_keeps_its_own_arguments_in_front()
    {
        var spec = AgentSpec.Parse("amp:'/opt/my amp/amp' --log-level debug");

        Assert.Equal("/opt/my amp/amp", spec.Program);
        Assert.Equal(["--log-level", "debug", "-x", "--stream-json"], AgentCommandLine.Arguments(spec, Request(), null).Take(4));
    }

    [Fact]
    public void Claude_preset_uses_print_mode_with_verbose_stream_json_and_resume()
    {
        Assert.Equal(["-p", "--output-format", "stream-json", "--verbose"], AgentCommandLine.Arguments(Claude, Request(), null));

        var args = AgentCommandLine.Arguments(Claude, Request(r => r with { ThreadId = "5b7d", Model = "sonnet", AllowedTools = ["Bash", "Read"], Mode = "high" }), null);
        Assert.Equal(["-p", "--output-format", "stream-json", "--verbose", "--resume", "5b7d", "--model", "sonnet", "--allowedTools", "Bash,Read"], args);

        var all = AgentCommandLine.Arguments(Claude, Request(r => r with { AllowAllTools = true, AllowedTools = ["Bash"] }), null);
        Assert.Contains("--dangerously-skip-permissions", all);
        Assert.DoesNotContain("--allowedTools", all);
        Assert.DoesNotContain("--dangerously-allow-all", all);
    }

    [Fact]
    public void Exec_agents_get_exactly_their_configured_command()
    {
        var spec = AgentSpec.Parse("exec:/usr/local/bin/my-agent --stream");

        Assert.Equal(AgentDialect.Plain, spec.Dialect);
        Assert.Equal(["--stream"], AgentCommandLine.Arguments(spec, Request(r => r with { ThreadId = "T-1", Mode = "high", AllowAllTools = true }), null));
    }

    [Fact]
    public void Amp_environment_skips_update_checks_drops_the_inherited_thread_and_adds_toolboxes_and_session_variables()
    {
        var environment = AgentCommandLine.Environment(Amp, Request(r => r with
        {
            ToolboxPaths = ["/tools/a", "/tools/b"],
            Model = "claude-x",
            Environment = new Dictionary<string, string> { ["AMP_URL"] = "http://localhost:7002", ["MY_VAR"] = "1" },
        }), "/data/runs/x/toolbox");

        Assert.Equal("1", environment["AMP_SKIP_UPDATE_CHECK"]);
        Assert.True(environment.ContainsKey("AMP_THREAD_ID"));
        Assert.Null(environment["AMP_THREAD_ID"]);
        // The toolbox folders are fanned into one folder of the turn (ToolboxResolver); AMP_TOOLBOX names it.
        Assert.Equal("/data/runs/x/toolbox", environment["AMP_TOOLBOX"]);
        Assert.Equal("http://localhost:7002", environment["AMP_URL"]);
        Assert.Equal("1", environment["MY_VAR"]);
        Assert.Equal("claude-x", environment[AgentCommandLine.ModelVariable]);
    }

    [Fact]
    public void Other_dialects_get_no_amp_variables()
    {
        var environment = AgentCommandLine.Environment(Claude, Request(r => r with { ToolboxPaths = ["/tools/a"] }), "/data/runs/x/toolbox");

        Assert.False(environment.ContainsKey("AMP_SKIP_UPDATE_CHECK"));
        Assert.False(environment.ContainsKey("AMP_TOOLBOX"));
        Assert.False(environment.ContainsKey("AMP_THREAD_ID"));
    }

    [Fact]
    [Trait("Platform", "Posix")]
    public void Settings_file_puts_allow_rules_in_front_of_the_users_own_settings()
    {
        using var home = new TempDirectory("home");
        Directory.CreateDirectory(home.Combine(".config", "amp"));
        File.WriteAllText(home.Combine(".config", "amp", "settings.json"), """
            {
              // comments and trailing commas, as Amp accepts them
              "amp.permissions": [{ "tool": "Read", "action": "reject", "message": "no" }],
              "amp.mcpServers": { "pw": { "command": "npx" } },
            }
            """);
        var request = Request(r => r with { AllowedTools = ["Bash", "edit_file"], Environment = new Dictionary<string, string> { ["HOME"] = home.Path } });
        using var runs = new TempDirectory("runs");
        var files = RunFiles.Create(runs.Path);

        var path = AgentCommandLine.WriteSettingsFile(Amp, request, files);
        try
        {
            Assert.NotNull(path);
            Assert.StartsWith(files.Directory, path);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(files.Directory));
            }
            var settings = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            var rules = settings["amp.permissions"]!.AsArray().Select(r => $"{r!["tool"]}:{r["action"]}").ToArray();
            Assert.Equal(["Bash:allow", "edit_file:allow", "Read:reject"], rules);
            Assert.Equal("npx", (string?)settings["amp.mcpServers"]!["pw"]!["command"]);
            Assert.Equal("no", (string?)settings["amp.permissions"]![2]!["message"]);
            Assert.DoesNotContain("--settings-file", AgentCommandLine.Arguments(Amp, request, null));
            Assert.Equal(["--settings-file", path], ValueOf(AgentCommandLine.Arguments(Amp, request, path), "--settings-file"));
        }
        finally
        {
            files.Dispose();
        }
        Assert.False(File.Exists(path));
        Assert.Empty(Directory.EnumerateFileSystemEntries(runs.Path));
    }

    [Fact]
    public void A_turns_files_are_private_named_for_its_process_and_gone_with_it()
    {
        using var data = new TempDirectory("data");
        var runs = AmpSessions.Core.Storage.DataDirectory.Open(data.Path).RunsRoot;
        string settings, toolbox;
        using (var files = RunFiles.Create(runs))
        {
            settings = files.Write("settings.json", "{}");
            toolbox = files.Folder("toolbox");
            File.WriteAllText(Path.Combine(toolbox, "tool"), "#!/bin/sh");
            // Named turn-<pid>-..., so the next start removes what a process killed mid-turn left behind.
            Assert.All(new[] { settings, toolbox }, p => Assert.StartsWith($"turn-{Environment.ProcessId}-", Path.GetFileName(p)));
            Assert.Equal(runs, Path.GetDirectoryName(settings));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(settings));
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(toolbox));
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(runs));
            }
            // Two turns at once (a batch with concurrency) do not share a file.
            using var other = RunFiles.Create(runs);
            Assert.NotEqual(settings, other.Write("settings.json", "{}"));
        }
        Assert.Empty(Directory.EnumerateFileSystemEntries(runs));

        // A dead process's turn files (999999999 is above any pid_max) are removed by the next start; a live one's stay.
        var dead = Path.Combine(runs, "turn-999999999-0123-settings.json");
        File.WriteAllText(dead, "{}");
        var deadToolbox = Directory.CreateDirectory(Path.Combine(runs, "turn-999999999-0123-toolbox")).FullName;
        var live = Path.Combine(runs, $"turn-{Environment.ProcessId}-0123-settings.json");
        File.WriteAllText(live, "{}");
        AmpSessions.Core.Storage.DataDirectory.Open(data.Path);
        Assert.False(File.Exists(dead));
        Assert.False(Directory.Exists(deadToolbox));
        Assert.True(File.Exists(live));
    }

    [Fact]
    public void Settings_file_follows_the_agents_AMP_SETTINGS_FILE_and_survives_a_broken_one()
    {
        using var folder = new TempDirectory("settings");
        var own = folder.Combine("mine.json");
        File.WriteAllText(own, "{\"amp.notifications.enabled\": false}");
        using var files = RunFiles.Create(folder.Combine("runs"));
        var path = AgentCommandLine.WriteSettingsFile(Amp, files: files, request: Request(r => r with
        {
            AllowedTools = ["Bash"],
            Environment = new Dictionary<string, string> { ["AMP_SETTINGS_FILE"] = own, ["HOME"] = folder.Path },
        }));
        var settings = JsonNode.Parse(File.ReadAllText(path!))!.AsObject();
        File.Delete(path!);
        Assert.False((bool)settings["amp.notifications.enabled"]!);
        Assert.Single(settings["amp.permissions"]!.AsArray());

        File.WriteAllText(own, "{ not json");
        var fromBroken = AgentCommandLine.WriteSettingsFile(Amp, files: files, request: Request(r => r with
        {
            AllowedTools = ["Bash"],
            Environment = new Dictionary<string, string> { ["AMP_SETTINGS_FILE"] = own },
        }));
        var rebuilt = JsonNode.Parse(File.ReadAllText(fromBroken!))!.AsObject();
        File.Delete(fromBroken!);
        Assert.Equal(["amp.permissions"], rebuilt.Select(p => p.Key));
    }

    [Fact]
    public void No_settings_file_without_rules_or_for_other_dialects()
    {
        using var runs = new TempDirectory("runs");
        using var files = RunFiles.Create(runs.Path);
        Assert.Null(AgentCommandLine.WriteSettingsFile(Amp, Request(), files));
        Assert.Null(AgentCommandLine.WriteSettingsFile(Claude, Request(r => r with { AllowedTools = ["Bash"] }), files));
    }

    [Fact]
    public void Credentials_are_the_key_or_the_secrets_file_amp_login_writes()
    {
        using var home = new TempDirectory("home");
        var empty = new Dictionary<string, string?> { ["HOME"] = home.Path, ["AMP_API_KEY"] = "", ["XDG_DATA_HOME"] = null };
        Assert.False(AgentCommandLine.AmpCredentialsAvailable(empty));
        Assert.True(AgentCommandLine.AmpCredentialsAvailable(new Dictionary<string, string?>(empty) { ["AMP_API_KEY"] = "sgamp_user_x" }));

        Directory.CreateDirectory(home.Combine(".local", "share", "amp"));
        File.WriteAllText(home.Combine(".local", "share", "amp", "secrets.json"), "{}");
        Assert.True(AgentCommandLine.AmpCredentialsAvailable(empty));

        using var xdg = new TempDirectory("xdg");
        Assert.False(AgentCommandLine.AmpCredentialsAvailable(new Dictionary<string, string?>(empty) { ["XDG_DATA_HOME"] = xdg.Path }));
    }

    [Theory]
    [InlineData("amp", AgentDialect.Amp, new[] { "amp" }, "amp")]
    [InlineData("  claude ", AgentDialect.Claude, new[] { "claude" }, "claude")]
    [InlineData("amp:/opt/amp/bin/amp", AgentDialect.Amp, new[] { "/opt/amp/bin/amp" }, "amp:/opt/amp/bin/amp")]
    [InlineData("claude:npx claude", AgentDialect.Claude, new[] { "npx", "claude" }, "claude:npx claude")]
    [InlineData("exec:\"/my tools/agent\" --json", AgentDialect.Plain, new[] { "/my tools/agent", "--json" }, "exec:/my tools/agent --json")]
    public void Agent_specs_parse_into_dialect_and_command(string text, AgentDialect dialect, string[] command, string display)
    {
        var spec = AgentSpec.Parse(text);

        Assert.Equal(dialect, spec.Dialect);
        Assert.Equal(command, spec.Command);
        Assert.Equal(display, spec.ToString());
    }

    [Theory]
    [InlineData("gpt")]
    [InlineData("docker:run amp")]
    [InlineData("amp:")]
    [InlineData("exec:   ")]
    public void Bad_agent_specs_are_one_clear_error(string text)
    {
        var error = Assert.Throws<AmpSessionsException>(() => AgentSpec.Parse(text));

        Assert.Equal("AmpAgentSpecInvalid", error.ErrorId);
        Assert.Contains("amp:", error.Message);
    }

    private static string[] ValueOf(IReadOnlyList<string> args, string flag)
    {
        var index = args.ToList().IndexOf(flag);
        Assert.True(index >= 0 && index + 1 < args.Count, $"{flag} with a value in: {string.Join(' ', args)}");
        return [args[index], args[index + 1]];
    }
}
