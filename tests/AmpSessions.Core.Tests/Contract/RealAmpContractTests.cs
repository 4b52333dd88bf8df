using System.Diagnostics;
using System.Text.Json;
using AmpSessions.Core.Agents;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Contract;

/// <summary>
/// The adapter against the real Amp CLI (the pinned build `.ci/install-amp` installs), with no network:
/// no key means not logged in within seconds, a closed server means unreachable, and every flag the
/// adapter emits gets past the real parser. These never skip: without the binary they fail.
/// </summary>
[Trait("Platform", "Linux")]
public sealed class RealAmpContractTests : IDisposable
{
    private const string NotLoggedIn = "Amp is not logged in";
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(15);

    private readonly CliSessionBed bed = new();
    private readonly string home;
    private readonly string binary = RealAmpBinary.Path;

    public RealAmpContractTests()
    {
        home = bed.Repo.Scratch("empty-home");
        // The CLI (and so the agent) sees an empty home, no key and no Amp settings of the user's.
        foreach (var name in new[] { "AMP_API_KEY", "AMP_URL", "AMP_SETTINGS_FILE", "AMP_THREAD_ID", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME" })
        {
            bed.Cli.Environment[name] = null;
        }
        bed.Cli.Environment["HOME"] = home;
        bed.Cli.Environment["AMP_SESSIONS_NOTIFICATIONS"] = "0";
    }

    public void Dispose()
    {
        bed.Dispose();
    }


    private async Task AssertNoAmpLeftAsync()
    {
        await Eventually.WaitAsync(() => ProcessProbe.Running(binary, "HOME=" + home).Count == 0, TimeSpan.FromSeconds(5), "no amp process of this test left");
    }

    [Fact]
    public async Task Iterate_without_a_key_in_an_empty_home_fails_fast_as_not_logged_in()
    {
        var id = await bed.NewSessionWithAgentAsync($"amp:{binary}");
        var watch = Stopwatch.StartNew();

        var result = await bed.RunAsync("iterate", id, "--json");

        Assert.True(watch.Elapsed < Limit, $"took {watch.Elapsed}");
        Assert.Equal(1, result.ExitCode);
        var iteration = CliSessionBed.Json(result);
        Assert.Equal("NotLoggedIn", iteration.GetProperty("status").GetString());
        Assert.Equal(NotLoggedIn, iteration.GetProperty("error").GetString());
        var status = CliSessionBed.Json(await bed.RunAsync("status", id, "--json"));
        Assert.Equal("Error", status.GetProperty("status").GetString());
        Assert.Equal(NotLoggedIn, status.GetProperty("statusMessage").GetString());
        await AssertNoAmpLeftAsync();
    }

    [Fact]
    public async Task Without_the_pre_check_the_adapter_detects_amps_own_login_flow()
    {
        var transcript = Path.Combine(bed.Repo.Scratch("logs"), "login.jsonl");
        var request = new AgentTurnRequest
        {
            Prompt = "rename hello to greet",
            WorkingDirectory = bed.Repo.Root,
            CheckCredentials = false,
            Timeout = TimeSpan.FromSeconds(60),
            TranscriptPath = transcript,
            Environment = new Dictionary<string, string>
            {
                ["HOME"] = home,
                ["AMP_API_KEY"] = "",
                ["AMP_URL"] = $"http://127.0.0.1:{TcpPorts.Closed()}",
            },
        };
        var watch = Stopwatch.StartNew();

        var result = await new StreamJsonAgent(AgentSpec.Parse($"amp:{binary}")).RunTurnAsync(request, null, CancellationToken.None);

        Assert.True(watch.Elapsed < Limit, $"took {watch.Elapsed}");
        Assert.Equal(AgentOutcome.NotLoggedIn, result.Outcome);
        Assert.Equal(NotLoggedIn, result.Error);
        // It was amp's own login prompt that gave it away.
        Assert.Contains("No API key found", File.ReadAllText(transcript));
        await AssertNoAmpLeftAsync();
    }

    [Fact]
    public async Task Iterate_with_a_key_and_a_closed_server_is_unreachable_with_its_own_message()
    {
        var url = $"http://127.0.0.1:{TcpPorts.Closed()}";
        bed.Cli.Environment["AMP_API_KEY"] = "sgamp_dummy0000";
        var id = await bed.NewSessionWithAgentAsync($"amp:{binary}", "--env", $"AMP_URL={url}");
        var watch = Stopwatch.StartNew();

        var result = await bed.RunAsync("iterate", id, "--json");

        Assert.True(watch.Elapsed < Limit, $"took {watch.Elapsed}");
        Assert.Equal(1, result.ExitCode);
        var iteration = CliSessionBed.Json(result);
        Assert.Equal("ServerUnreachable", iteration.GetProperty("status").GetString());
        var error = iteration.GetProperty("error").GetString()!;
        Assert.StartsWith($"Amp could not reach its server at {url} (", error);
        Assert.Contains($"Error: Couldn't connect to the Amp server at {url}", error);
        await AssertNoAmpLeftAsync();
    }

    [Fact]
    public async Task Every_flag_the_adapter_emits_gets_past_the_real_parser()
    {
        var url = $"http://127.0.0.1:{TcpPorts.Closed()}";
        var spec = AgentSpec.Parse($"amp:{binary}");
        var everything = new AgentTurnRequest
        {
            Prompt = "rename hello to greet",
            WorkingDirectory = bed.Repo.Root,
            Mode = "high",
            McpConfig = """{"contract-probe":{"command":"true","args":[]}}""",
            AllowAllTools = true,
            AllowedTools = ["Bash", "edit_file"],
            Labels = ["amp-sessions", "session-contract"],
            Title = "contract (abc123)",
            ToolboxPaths = [bed.Repo.Scratch("toolbox")],
            Timeout = TimeSpan.FromSeconds(60),
            Environment = new Dictionary<string, string> { ["HOME"] = home, ["AMP_API_KEY"] = "sgamp_dummy0000", ["AMP_URL"] = url },
        };
        var continued = everything with { ThreadId = "T-00000000-0000-4000-8000-000000000000" };
        // Together the two runs use every flag the adapter has.
        var flags = AgentCommandLine.Arguments(spec, everything, "settings.json", "mcp.json").Concat(AgentCommandLine.Arguments(spec, continued, "settings.json", "mcp.json"))
            .Where(a => a.StartsWith('-') || a is "threads" or "continue").ToHashSet();
        Assert.Superset(new HashSet<string> { "threads", "continue", "-x", "--stream-json", "--no-notifications", "--no-ide", "--no-archive-after-execute",
            "--mode", "--mcp-config", "--settings-file", "--dangerously-allow-all", "--label", "--title" }, flags);

        foreach (var (request, expected) in new[] { (everything, "Error: Couldn't connect to the Amp server at " + url), (continued, "Error: Cannot reach Amp servers") })
        {
            var stderr = new List<string>();
            var result = await new StreamJsonAgent(spec).RunTurnAsync(request, e => { if (e is AgentStderrEvent line) lock (stderr) stderr.Add(line.Line); }, CancellationToken.None);

            var text = string.Join("\n", stderr);
            Assert.StartsWith(expected, text.TrimStart());
            Assert.DoesNotContain("unknown option", text);
            Assert.DoesNotContain("argument missing", text);
            Assert.DoesNotContain("Error: error:", text);
            Assert.Equal(AgentOutcome.ServerUnreachable, result.Outcome);
            Assert.Equal(1, result.ExitCode);
        }
        await AssertNoAmpLeftAsync();
    }

    /// <summary>
    /// Issue 13's acceptance: what the configuration composes for a turn (an environment with its own amp
    /// and AMP_URL and extra variables, an agent profile with a mode, a preset, an MCP server by name with
    /// a secret reference, a skills folder, and the guard) is what the real amp takes: its debug log names
    /// the arguments `env --json` showed, the server URL, and the settings it read from the per-run file.
    /// </summary>
    [Fact]
    public async Task A_turn_composed_from_the_repository_configuration_is_taken_by_the_real_amp_as_shown()
    {
        const string token = "probe-secret-4711";
        var url = $"http://127.0.0.1:{TcpPorts.Closed()}";
        var skills = bed.Repo.Scratch("skills");
        Directory.CreateDirectory(Path.Combine(skills, "probe"));
        File.WriteAllText(Path.Combine(skills, "probe", "SKILL.md"), "---\nname: probe\ndescription: a probe skill\n---\nSay hi.\n");
        var log = Path.Combine(bed.Repo.Scratch("amp-log"), "amp.log");
        bed.Repo.WriteFile(".amp-sessions.yaml", $$"""
            environment: dev
            agent: contract
            ports: 0
            environments:
              dev:
                amp_cli_path: {{binary}}
                amp_server_url: {{url}}
                env: { AMP_LOG_FILE: "{{log}}", AMP_LOG_LEVEL: debug }
                allowed_modes: [high]
            agents:
              contract:
                type: amp
                agent_mode: high
                mcp_servers: [probe]
                skills: ["{{skills}}"]
                preset: safe-edit
            mcp_servers:
              probe:
                command: "true"
                env: { PROBE_TOKEN: "${AMPTEST_PROBE_TOKEN}" }
            """);
        bed.Repo.CommitAll("the team's configuration");
        bed.Cli.Environment["AMP_API_KEY"] = "sgamp_dummy0000";
        bed.Cli.Environment["AMPTEST_PROBE_TOKEN"] = token;
        var made = await bed.RunAsync("new", "--repo", bed.Repo.Root, "--name", "probe", "--prompt", "say hi", "--json");
        Assert.True(made.ExitCode == 0, made.ToString());
        var id = CliSessionBed.Json(made).GetProperty("id").GetString()!;
        var shown = CliSessionBed.Json(await bed.RunAsync("env", id, "--json"));
        Assert.Equal(binary, shown.GetProperty("program").GetString());

        var result = await bed.RunAsync("iterate", id, "--json");

        Assert.Equal(1, result.ExitCode);
        var iteration = CliSessionBed.Json(result);
        Assert.Equal("ServerUnreachable", iteration.GetProperty("status").GetString());
        Assert.Contains($"Error: Couldn't connect to the Amp server at {url}", iteration.GetProperty("error").GetString());
        Assert.Equal(["dev", "safe-edit"], [iteration.GetProperty("environment").GetString()!, iteration.GetProperty("preset").GetString()!]);
        var entries = File.ReadAllLines(log).Select(line => JsonDocument.Parse(line).RootElement).ToList();
        JsonElement Entry(string message) => entries.First(e => e.GetProperty("message").GetString() == message);

        // The argument list amp parsed is the one `env` showed, with the per-run files in their places.
        var context = Entry("Initializing CLI context");
        var parsed = context.GetProperty("argv").EnumerateArray().Skip(2).Select(a => a.GetString()!).ToList();
        var expected = shown.GetProperty("arguments").EnumerateArray().Select(a => a.GetString()!).ToList();
        Assert.Equal(expected.Count, parsed.Count);
        var runs = Path.Combine(bed.DataDirectory, "runs");
        for (var i = 0; i < expected.Count; i++)
        {
            if (expected[i].StartsWith("<per-run", StringComparison.Ordinal))
            {
                Assert.StartsWith(runs, parsed[i]);
            }
            else
            {
                Assert.Equal(expected[i], parsed[i]);
            }
        }
        Assert.Equal(["--mode", "high"], parsed.SkipWhile(a => a != "--mode").Take(2));
        Assert.DoesNotContain(parsed, a => a.Contains(token, StringComparison.Ordinal));
        Assert.True(context.GetProperty("hasAmpAPIKey").GetBoolean());
        Assert.True(context.GetProperty("hasAmpURL").GetBoolean());
        Assert.Equal(url, Entry("Resolved Amp URL").GetProperty("ampURL").GetString());

        // The settings amp read: the preset's rules behind the guard's delegate rules, and the skills folder.
        var settingsFile = parsed[parsed.IndexOf("--settings-file") + 1];
        var settings = entries.First(e => e.GetProperty("message").GetString() == "readSettings" && e.GetProperty("settingsPath").GetString() == settingsFile).GetProperty("rawConfig");
        Assert.Equal(skills, settings.GetProperty("amp.skills.path").GetString());
        var rules = settings.GetProperty("amp.permissions").EnumerateArray().ToList();
        Assert.Contains(rules, r => r.GetProperty("action").GetString() == "delegate" && r.GetProperty("tool").GetString() == "edit_file");
        Assert.Contains(rules, r => r.GetProperty("action").GetString() == "reject" && r.GetProperty("tool").GetString() == "Bash"
            && r.GetProperty("message").GetString()!.StartsWith("The safe-edit preset", StringComparison.Ordinal));
        Assert.Superset(new HashSet<string> { "permissions", "skills.path", "mcpServers", "url" },
            Entry("Global configuration initialized").GetProperty("settingsKeys").EnumerateArray().Select(k => k.GetString()!).ToHashSet());
        // The per-run files (the MCP secret among them) are gone after the turn.
        Assert.Empty(Directory.EnumerateFileSystemEntries(runs));
        await AssertNoAmpLeftAsync();
    }
}
