using AmpSessions.Core.Agents;
using AmpSessions.Core.Configuration;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Core.Tests.Configuration;

/// <summary>compose_environment on its own: every choice, its source, and the errors that stop a turn before it starts.</summary>
public sealed class RunEnvironmentTests : IDisposable
{
    private readonly ConfigurationTestBed bed = new();

    public void Dispose() => bed.Dispose();

    private const string Repository = """
        environment: local
        preset: careful
        environments:
          local:
            amp_server_url: http://localhost:7002
            env: { AMP_LOG_LEVEL: debug, SHARED: from-environment }
            settings_file: ./amp-settings.json
          ci:
            ci: true
            allowed_modes: [low, medium]
            preset: full-auto
        agents:
          fast:
            agent_mode: low
            mcp_servers: [github]
            skills: [./skills]
            env: { SHARED: from-profile }
            allowed_tools: [Bash]
          reviewer:
            type: claude
            model_override: sonnet
            preset: safe-edit
          staging-bot:
            environment: ci
        mcp_servers:
          github:
            command: npx
            args: [-y, "@modelcontextprotocol/server-github"]
            env: { GITHUB_TOKEN: "${GITHUB_TOKEN}", DEBUG: "1" }
        presets:
          careful:
            permissions:
              - { tool: Bash, matches: { cmd: "git *" }, action: allow }
              - { tool: Bash, action: reject, message: not here }
        """;

    private RunEnvironment Compose(Session session, RunOverrides? overrides = null) =>
        RunEnvironmentComposer.Compose(bed.Service.ForSession(session), session, overrides);

    private Session Session(string? agent = null, string? environment = null, string? mode = null, string? preset = null) => new()
    {
        Id = "s1",
        Name = "compose",
        Prompt = "p",
        RepoRoot = bed.Repo.Root,
        BaseBranch = "main",
        BaseCommit = "0",
        BranchName = "amp/compose/x",
        WorktreePath = bed.Repo.Path(".worktrees", "s1"),
        Status = SessionStatus.Idle,
        CreatedAt = DateTimeOffset.UnixEpoch,
        UpdatedAt = DateTimeOffset.UnixEpoch,
        Agent = agent,
        Environment = environment,
        AgentMode = mode,
        Preset = preset,
        Ports = new PortBlock(20010, 10),
        AgentEnvironment = new Dictionary<string, string> { ["SHARED"] = "from-session" },
    };

    [Fact]
    [Trait("Platform", "Posix")]
    public async Task The_command_line_quotes_a_title_with_spaces_so_it_can_be_pasted_into_a_shell()
    {
        var run = Compose(Session() with { Name = "Fix the 'login' form" });

        Assert.EndsWith("--label amp-sessions --label session-s1 --title 'Fix the '\\''login'\\'' form (s1)'", run.CommandLine);
        Assert.StartsWith("amp -x --stream-json ", run.CommandLine);
        // A POSIX shell reads it back into the same arguments.
        var echoed = await AmpSessions.Core.Processes.ProcessRunner.RunAsync(
            new AmpSessions.Core.Processes.ProcessSpec("/bin/sh", ["-c", "for a in " + run.CommandLine[4..] + "; do printf '%s\\n' \"$a\"; done"]));
        var words = echoed.StandardOutput.TrimEnd('\n').Split('\n');
        Assert.Equal(run.Arguments, words);
    }

    [Fact]
    public void Each_choice_comes_from_the_highest_layer_and_says_where()
    {
        bed.WriteRepoFile(Repository);

        var run = Compose(Session(agent: "fast"));

        Assert.Equal("local", run.Environment);
        Assert.Equal(bed.RepoFile, run.EnvironmentSource);
        Assert.Equal("fast", run.Agent);
        Assert.Contains($"agent profile fast ({bed.RepoFile}:13; chosen by session s1)", run.AgentSource);
        Assert.Equal("low", run.Mode);
        Assert.Equal(run.AgentSource, run.ModeSource);
        Assert.Equal("careful", run.Preset);
        Assert.Equal(bed.RepoFile, run.PresetSource);
        Assert.Equal(["allow Bash", "allow Bash cmd=git *", "reject Bash"], run.PermissionRules);
        Assert.Equal("amp", run.Program);
        Assert.Equal(["-x", "--stream-json", "--no-notifications", "--no-ide", "--no-archive-after-execute", "--mode", "low",
            "--mcp-config", AgentCommandLine.McpFilePlaceholder, "--settings-file", AgentCommandLine.SettingsFilePlaceholder,
            "--label", "amp-sessions", "--label", "session-s1", "--title", "compose (s1)"], run.Arguments);
        // Environment, then profile, then session: the session's value of a shared variable wins.
        Assert.Equal("http://localhost:7002", run.Variables["AMP_URL"]);
        Assert.Equal("debug", run.Variables["AMP_LOG_LEVEL"]);
        Assert.Equal("from-session", run.Variables["SHARED"]);
        Assert.Equal(bed.Repo.Path("amp-settings.json"), run.Variables["AMP_SETTINGS_FILE"]);
        Assert.Equal("20010", run.Variables["AMP_SESSION_PORT"]);
        Assert.Equal("20010-20019", run.Variables["AMP_SESSION_PORTS"]);
        Assert.Null(run.Variables["AMP_THREAD_ID"]);
        Assert.Equal([bed.Repo.Path("skills")], run.Skills);
        Assert.Equal(["github"], run.McpServers);
        Assert.Contains("\"GITHUB_TOKEN\": \"${GITHUB_TOKEN}\"", run.McpConfig);
        Assert.True(run.Notifications);
        Assert.False(run.IsCi);
    }

    [Fact]
    public void The_session_beats_the_profile_which_beats_the_files_and_parameters_beat_them_all()
    {
        bed.WriteRepoFile(Repository);

        // The profile names ci; the files' default is local.
        var fromProfile = Compose(Session(agent: "staging-bot"));
        Assert.Equal("ci", fromProfile.Environment);
        Assert.Contains("agent profile staging-bot", fromProfile.EnvironmentSource);
        Assert.True(fromProfile.IsCi);
        Assert.False(fromProfile.Notifications);
        // The ci environment's preset, since neither the session nor the profile names one.
        Assert.Equal("full-auto", fromProfile.Preset);
        Assert.True(fromProfile.AllowAllTools);
        Assert.Contains("--dangerously-allow-all", fromProfile.Arguments);
        Assert.DoesNotContain("--settings-file", fromProfile.Arguments);

        var fromSession = Compose(Session(agent: "staging-bot", environment: "local", preset: "read-only"));
        Assert.Equal(("local", "session s1"), (fromSession.Environment, fromSession.EnvironmentSource));
        Assert.Equal(("read-only", "session s1"), (fromSession.Preset, fromSession.PresetSource));

        var fromParameters = Compose(Session(agent: "staging-bot", environment: "local"), new RunOverrides { Environment = "ci", Mode = "medium", Preset = "safe-edit" });
        Assert.Equal(("ci", ConfigurationSources.Parameter), (fromParameters.Environment, fromParameters.EnvironmentSource));
        Assert.Equal(("medium", ConfigurationSources.Parameter), (fromParameters.Mode, fromParameters.ModeSource));
        Assert.Equal(("safe-edit", ConfigurationSources.Parameter), (fromParameters.Preset, fromParameters.PresetSource));
    }

    [Fact]
    public void A_mode_the_environment_does_not_allow_is_refused_with_what_to_do()
    {
        bed.WriteRepoFile(Repository);

        var ex = Assert.Throws<AmpSessionsException>(() => Compose(Session(environment: "ci", mode: "high")));

        Assert.Equal("AmpModeNotAllowed", ex.ErrorId);
        Assert.Equal($"Mode 'high' (from session s1) is not allowed in environment 'ci', which allows low, medium ({bed.RepoFile}:8): choose one of those with --mode, or add 'high' to environments.ci.allowed_modes.", ex.Message);
        Assert.Equal($"Mode 'high' (from session s1) is not allowed in environment 'ci', which allows low, medium ({bed.RepoFile}:8): choose one of those with -AgentMode, or add 'high' to environments.ci.allowed_modes.", ex.Render(RemedyStyle.PowerShell));
        Assert.Equal("low", Compose(Session(environment: "ci", mode: "low")).Mode);
    }

    [Fact]
    public void Unknown_names_are_errors_naming_what_exists()
    {
        bed.WriteRepoFile(Repository);

        Assert.Equal("AmpEnvironmentUnknown", Assert.Throws<AmpSessionsException>(() => Compose(Session(environment: "staging"))).ErrorId);
        Assert.Equal("AmpPresetUnknown", Assert.Throws<AmpSessionsException>(() => Compose(Session(preset: "yolo"))).ErrorId);
        Assert.Equal("AmpMcpServerUnknown", Assert.Throws<AmpSessionsException>(() => Compose(Session() with { McpServers = ["linear"] })).ErrorId);
        var agent = Assert.Throws<AmpSessionsException>(() => Compose(Session(agent: "fastest")));
        Assert.Equal("AmpAgentSpecInvalid", agent.ErrorId);
        Assert.Contains("'fastest' (from session s1) is neither an agent profile (known: amp, claude, fast, reviewer, staging-bot) nor an agent", agent.Message);
    }

    [Fact]
    public void Claude_gets_the_preset_as_allowed_and_disallowed_tools_and_its_model()
    {
        bed.WriteRepoFile(Repository);

        var run = Compose(Session(agent: "reviewer"));

        Assert.Equal(("claude", "claude"), (run.Program, run.AgentType));
        Assert.Equal("sonnet", run.Model);
        var allowed = run.Arguments[run.Arguments.ToList().IndexOf("--allowedTools") + 1].Split(',');
        Assert.Contains("Bash(git status*)", allowed);
        Assert.Contains("Edit", allowed);
        Assert.Equal("Bash", run.Arguments[run.Arguments.ToList().IndexOf("--disallowedTools") + 1]);
        Assert.Equal(["-p", "--output-format", "stream-json", "--verbose", "--model", "sonnet"], run.Arguments.Take(6));

        // A Bash rule on the command and a plain reject are what Claude Code can express...
        var careful = Compose(Session(agent: "reviewer", preset: "careful"));
        Assert.Equal("Bash(git *)", careful.Arguments[careful.Arguments.ToList().IndexOf("--allowedTools") + 1]);
        // ...a delegate rule is not, and that is said rather than dropped.
        bed.WriteRepoFile(Repository + "\n  odd:\n    permissions:\n      - { tool: Bash, action: delegate, to: ./judge }\n");
        var odd = Assert.Throws<AmpSessionsException>(() => Compose(Session(agent: "reviewer", preset: "odd")));
        Assert.Equal("AmpPresetNotSupported", odd.ErrorId);
        Assert.Contains("has the rule \"delegate Bash to ./judge\", which Claude Code's --allowedTools and --disallowedTools cannot express", odd.Message);
        Assert.Equal("AmpModeNotSupported", Assert.Throws<AmpSessionsException>(() => Compose(Session(agent: "reviewer", mode: "high"))).ErrorId);
    }

    [Fact]
    public void Allow_all_tools_is_only_the_full_auto_preset()
    {
        bed.WriteRepoFile(Repository);

        var run = Compose(Session() with { AllowAllTools = true });

        Assert.Equal("full-auto", run.Preset);
        Assert.Equal(["allow every tool (--dangerously-allow-all)"], run.PermissionRules);
        Assert.Contains("--dangerously-allow-all", run.Arguments);
        Assert.DoesNotContain("--dangerously-allow-all", Compose(Session()).Arguments);
    }

    [Fact]
    public void Secrets_are_masked_in_what_is_shown()
    {
        bed.WriteUserFile("mcp_servers:\n  mine:\n    url: https://mcp.example.com/sse\n    headers: { Authorization: Bearer sk-ant-abcdefghijklmnop0123456789 }\n");
        var session = Session() with
        {
            McpServers = ["mine"],
            AgentEnvironment = new Dictionary<string, string> { ["DATABASE_PASSWORD"] = "hunter2hunter2", ["PLAIN"] = "visible" },
        };

        var run = Compose(session);

        Assert.Equal("[REDACTED]", run.Variables["DATABASE_PASSWORD"]);
        Assert.Equal("visible", run.Variables["PLAIN"]);
        Assert.DoesNotContain("sk-ant-", run.McpConfig);
        Assert.Contains("\"Authorization\": \"[REDACTED]\"", run.McpConfig);
    }
}
