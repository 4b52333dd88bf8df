using System.Diagnostics;
using System.Text.Json;
using AmpSessions.Testing;

namespace AmpSessions.Cli.Tests;

/// <summary>iterate, run, iterations, timeline and set, as a user runs them, with and without --json.</summary>
public sealed class IterationCommandTests : IDisposable
{
    private readonly CliSessionBed bed = new();

    public void Dispose() => bed.Dispose();

    private static JsonElement Json(CliResult result) => CliSessionBed.Json(result);

    [Fact]
    public async Task Iterate_shows_the_turn_live_then_the_result()
    {
        var id = await bed.NewSessionAsync();

        var result = await bed.RunAsync("iterate", id);

        Assert.True(result.ExitCode == 0, result.ToString());
        var stdout = result.StandardOutput;
        Assert.Contains($"▶ iteration 1 of {id} with amp:{TestPaths.FakeAgent}", stdout);
        Assert.Contains("  agent: Let me look at the file first.", stdout);
        Assert.Contains("  tool:  Read", stdout);
        Assert.Contains("  tool:  edit_file", stdout);
        Assert.Matches(@"  commit: [0-9a-f]{7} amp: Renamed hello to greet in src/greet\.ts\.", stdout);
        Assert.Contains($"Iteration 1 of session {id}: Succeeded", stdout);
        // One display rule (DisplayFormat): Tokens are input + output, the cache is counted apart; counts only above one.
        Assert.Contains("  tokens:  239 (21 in, 218 out); cache 46,262 (15,636 written, 30,626 read)", stdout);
        Assert.Contains("  tools:   Read, edit_file", stdout);
        Assert.Contains($"  transcript: {Path.Combine(bed.DataDirectory, "logs", id, "iteration-1.jsonl")}", stdout);
        Assert.Equal("", result.StandardError);
    }

    [Fact]
    public async Task Iterate_json_writes_only_the_record_to_stdout_and_the_live_view_to_stderr()
    {
        var id = await bed.NewSessionAsync();

        var result = await bed.RunAsync("iterate", id, "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var iteration = Json(result);
        Assert.Equal(id, iteration.GetProperty("sessionId").GetString());
        Assert.Equal(1, iteration.GetProperty("number").GetInt32());
        Assert.Equal("Succeeded", iteration.GetProperty("status").GetString());
        Assert.Matches("^[0-9a-f]{40}$", iteration.GetProperty("commitSha").GetString());
        Assert.Equal(21, iteration.GetProperty("tokens").GetProperty("input").GetInt64());
        Assert.Equal(15_636, iteration.GetProperty("tokens").GetProperty("cacheCreation").GetInt64());
        Assert.Equal(46_501, iteration.GetProperty("totalTokens").GetInt64());
        Assert.Equal(1, iteration.GetProperty("toolCalls").GetProperty("edit_file").GetInt32());
        Assert.Equal("src/greet.ts", iteration.GetProperty("changedFiles")[0].GetString());
        Assert.Equal(JsonValueKind.Null, iteration.GetProperty("error").ValueKind);
        Assert.Contains("▶ iteration 1", result.StandardError);
    }

    [Theory]
    [InlineData("login-flow", "NotLoggedIn", "Amp is not logged in", "set AMP_API_KEY in the environment that runs the agent (a browser login cannot happen unattended), then iterate again.")]
    [InlineData("unreachable", "ServerUnreachable", "Amp could not reach its server (Error: Couldn't connect to the Amp server at https://ampcode.com/.)", "check the network connection and AMP_URL, then iterate again.")]
    public async Task A_failed_turn_says_what_happened_and_what_to_do_once(string scenario, string status, string problem, string remedy)
    {
        var id = await bed.NewSessionAsync();
        bed.Scenario = scenario;

        var result = await bed.RunAsync("iterate", id);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains($"Iteration 1 of session {id}: {status} - {problem}\n", result.StandardOutput.ReplaceLineEndings("\n"));
        Assert.Equal($"amp-sessions: Iteration 1 of session {id} ended {status}: {problem}: {remedy}", result.StandardError.Trim());
        var firstWords = remedy[..20];
        Assert.Equal(1, (result.StandardOutput + result.StandardError).Split(firstWords).Length - 1);
    }

    [Fact]
    public async Task A_turn_that_needs_a_person_exits_1_with_its_status_and_how_to_go_on()
    {
        var id = await bed.NewSessionAsync();
        bed.Scenario = "approval-blocked";

        var json = await bed.RunAsync("iterate", id, "--json");
        var text = await bed.RunAsync("iterate", id);
        var status = Json(await bed.RunAsync("status", id, "--json"));

        Assert.Equal(1, json.ExitCode);
        Assert.Equal("AwaitingInput", Json(json).GetProperty("status").GetString());
        Assert.Contains("approval for Bash", Json(json).GetProperty("error").GetString());
        Assert.Contains($"`amp-sessions set {id} --allow-tool <tool>` (or --allow-all-tools)", json.StandardError);
        Assert.Equal(1, text.ExitCode);
        Assert.Contains($"Iteration 2 of session {id}: AwaitingInput - The agent needs approval for Bash", text.StandardOutput);
        Assert.Equal("AwaitingInput", status.GetProperty("status").GetString());

        var allowed = await bed.RunAsync("set", id, "--allow-tool", "Bash");
        Assert.True(allowed.ExitCode == 0, allowed.ToString());
        Assert.Contains($"Updated session {id} \"Rename greet\" [Idle]", allowed.StandardOutput);
    }

    [Fact]
    public async Task Iterate_on_an_unknown_session_is_one_clear_error()
    {
        var text = await bed.RunAsync("iterate", "nosuchsession");
        var json = await bed.RunAsync("iterate", "nosuchsession", "--json");

        Assert.Equal(1, text.ExitCode);
        Assert.Equal("amp-sessions: No session matches 'nosuchsession': run `amp-sessions list` to see session ids and names.\n", text.StandardError);
        Assert.Equal(1, json.ExitCode);
        Assert.Equal("AmpSessionNotFound", Json(json).GetProperty("error").GetProperty("id").GetString());
    }

    [Fact]
    public async Task Iterate_options_reach_the_agent_and_the_records()
    {
        var id = await bed.NewSessionAsync("--mode", "high", "--env", "AMP_URL=http://localhost:7002");
        bed.Cli.Environment["AMP_THREAD_ID"] = "T-parent-of-everything";

        var first = await bed.RunAsync("iterate", id, "--prompt", "Only touch greet.ts.", "--notes", "tests are slow", "--no-commit", "--json");

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal(JsonValueKind.Null, Json(first).GetProperty("commitSha").ValueKind);
        Assert.Equal("Only touch greet.ts.", Json(first).GetProperty("prompt").GetString());
        Assert.Equal("tests are slow", Json(first).GetProperty("notes").GetString());
        var call = Assert.Single(bed.Invocations);
        Assert.StartsWith("Only touch greet.ts.\n\n---\n", call.StandardInput);
        Assert.Contains("## Notes\ntests are slow", call.StandardInput);
        Assert.Equal(["--mode", "high"], call.Arguments.SkipWhile(a => a != "--mode").Take(2));
        Assert.Equal("1", call.Environment["AMP_SKIP_UPDATE_CHECK"]);
        Assert.Equal("http://localhost:7002", call.Environment["AMP_URL"]);
        Assert.False(call.Environment.ContainsKey("AMP_THREAD_ID"), "an inherited AMP_THREAD_ID must not reach the agent");
        Assert.Equal("M src/greet.ts", TestRepository.GitIn(bed.Worktree(id), "status", "--porcelain", "--", "src"));
    }

    [Fact]
    [Trait("Platform", "Linux")]
    public async Task Iterate_timeout_stops_a_hanging_agent()
    {
        var id = await bed.NewSessionAsync();
        bed.Scenario = "hang";
        var watch = Stopwatch.StartNew();

        var result = await bed.RunAsync("iterate", id, "--timeout", "2s", "--json");

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("TimedOut", Json(result).GetProperty("status").GetString());
        Assert.True(await ProcessProbe.WaitUntilGoneAsync(Assert.Single(bed.Invocations).ProcessId, TimeSpan.FromSeconds(5)));

        var bad = await bed.RunAsync("iterate", id, "--timeout", "soon");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("'soon' is not a duration", bad.StandardError);
    }

    [Fact]
    [Trait("Platform", "Posix")]
    public async Task Run_streams_the_script_and_exits_by_its_verdict()
    {
        var id = await bed.NewSessionAsync("--script", "echo checking; grep -q 'function greet' src/greet.ts");

        var failing = await bed.RunAsync("run", id);
        await bed.RunAsync("iterate", id, "--no-script");
        var passing = await bed.RunAsync("run", id, "--json");

        // A failing test script is a result, not an error: exit 3, the same as iterate's (was 1, which iterate used for agent failures).
        Assert.Equal(3, failing.ExitCode);
        Assert.StartsWith("checking\n", failing.StandardOutput);
        Assert.Matches(@"Script `echo checking; grep -q 'function greet' src/greet\.ts` failed \(exit 1\) in [0-9.]+s; log: .*script-1\.log", failing.StandardOutput);
        Assert.True(passing.ExitCode == 0, passing.ToString());
        var run = Json(passing);
        Assert.Equal("Passed", run.GetProperty("status").GetString());
        Assert.Equal(0, run.GetProperty("exitCode").GetInt32());
        Assert.Equal("checking", run.GetProperty("outputTail").GetString());
        Assert.Equal("checking\n", passing.StandardError);
        Assert.Equal("Idle", Json(await bed.RunAsync("status", id, "--json")).GetProperty("status").GetString());
    }

    [Fact]
    [Trait("Platform", "Posix")]
    public async Task Iterations_lists_every_turn()
    {
        var id = await bed.NewSessionAsync("--script", "true");
        Assert.Equal("No iterations yet.\n", (await bed.RunAsync("iterations", id)).StandardOutput);
        Assert.Equal("[]", (await bed.RunAsync("iterations", id, "--json")).StandardOutput.Trim());
        await bed.RunAsync("iterate", id);
        bed.Scenario = "agent-error";
        await bed.RunAsync("iterate", id);

        var text = await bed.RunAsync("iterations", id);
        var json = Json(await bed.RunAsync("iterations", id, "--json"));

        // Tokens are input + output (DisplayFormat), the same number the module and the batch views show; no tools is "-".
        var lines = text.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^#\s+STATUS\s+COMMIT\s+TOKENS\s+TOOLS\s+TEST\s+DURATION\s+SUMMARY$", lines[0]);
        Assert.Matches(@"^1\s+Succeeded\s+[0-9a-f]{7}\s+239\s+Read, edit_file\s+passed\s+[0-9.]+s\s+Renamed hello to greet", lines[1]);
        Assert.Matches(@"^2\s+Failed\s+-\s+0\s+-\s+-\s+[0-9.]+s\s+The agent failed: Model provider returned an error: overloaded$", lines[2]);
        Assert.Equal(2, json.GetArrayLength());
        Assert.Equal(["Succeeded", "Failed"], json.EnumerateArray().Select(i => i.GetProperty("status").GetString()));
        Assert.True(json[0].GetProperty("scriptPassed").GetBoolean());
    }

    [Fact]
    public async Task Timeline_shows_commits_and_iterations_without_commits()
    {
        var id = await bed.NewSessionAsync();
        Assert.Equal("Nothing yet: no commits or iterations.\n", (await bed.RunAsync("timeline", id)).StandardOutput);
        await bed.RunAsync("iterate", id);
        bed.Scenario = "unreachable";
        await bed.RunAsync("iterate", id);

        var text = await bed.RunAsync("timeline", id);
        var json = Json(await bed.RunAsync("timeline", id, "--json"));

        var lines = text.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^TIME\s+COMMIT\s+ITER\s+TOKENS\s+TEST\s+DURATION\s+GUARD\s+SUBJECT\s+FILES$", lines[0]);
        Assert.Matches(@"\s[0-9a-f]{7}\s+1\s+239\s+-\s+[0-9.]+s\s+(-|\d+ ok)\s+amp: Renamed hello to greet.*\ssrc/greet\.ts$", lines[1]);
        Assert.Matches(@"\s-\s+2\s+0\s+-\s+[0-9.]+s\s+(-|\d+ ok)\s+iteration 2: ServerUnreachable - Amp could not reach its server", lines[2]);
        Assert.Equal(["Commit", "Iteration"], json.EnumerateArray().Select(e => e.GetProperty("kind").GetString()));
        Assert.Equal(46_501, json[0].GetProperty("totalTokens").GetInt64());
        Assert.Equal("src/greet.ts", json[0].GetProperty("files")[0].GetString());
    }

    [Fact]
    public async Task Set_changes_settings_and_refuses_bad_ones_clearly()
    {
        var id = await bed.NewSessionAsync();

        var json = Json(await bed.RunAsync("set", id, "--script", "make test", "--timeout", "5m", "--allow-tool", "Bash", "--allow-tool", "edit_file",
            "--mode", "high", "--notes", "be brief", "--env", "AMP_URL=http://localhost:7002", "--notifications", "false", "--json"));
        var cleared = Json(await bed.RunAsync("set", id, "--script", "", "--disallow-tool", "Bash", "--env", "AMP_URL=", "--json"));
        var badAgent = await bed.RunAsync("set", id, "--agent", "gpt", "--json");
        var secret = await bed.RunAsync("set", id, "--env", "GITHUB_TOKEN=ghp_x");
        var badEnv = await bed.RunAsync("set", id, "--env", "NOEQUALS");

        Assert.Equal("make test", json.GetProperty("scriptCommand").GetString());
        Assert.Equal("00:05:00", json.GetProperty("timeout").GetString());
        Assert.Equal(["Bash", "edit_file"], json.GetProperty("allowedTools").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal("high", json.GetProperty("agentMode").GetString());
        Assert.Equal("be brief", json.GetProperty("notes").GetString());
        Assert.Equal("http://localhost:7002", json.GetProperty("agentEnvironment").GetProperty("AMP_URL").GetString());
        Assert.False(json.GetProperty("notificationsEnabled").GetBoolean());
        Assert.Equal(JsonValueKind.Null, cleared.GetProperty("scriptCommand").ValueKind);
        Assert.Equal(["edit_file"], cleared.GetProperty("allowedTools").EnumerateArray().Select(t => t.GetString()));
        Assert.False(cleared.GetProperty("agentEnvironment").TryGetProperty("AMP_URL", out _));
        Assert.Equal(1, badAgent.ExitCode);
        Assert.Equal("AmpAgentSpecInvalid", Json(badAgent).GetProperty("error").GetProperty("id").GetString());
        Assert.Equal(1, secret.ExitCode);
        Assert.Contains("'GITHUB_TOKEN' looks like a secret", secret.StandardError);
        Assert.DoesNotContain("ghp_x", secret.StandardError);
        Assert.Equal(2, badEnv.ExitCode);
        Assert.Contains("is not NAME=VALUE", badEnv.StandardError);
    }

    [Fact]
    public async Task The_default_agent_comes_from_AMP_SESSIONS_AGENT()
    {
        bed.Cli.Environment["AMP_SESSIONS_AGENT"] = CliSessionBed.FakeAgent;
        var created = await bed.RunAsync("new", "--repo", bed.Repo.Root, "--name", "Default agent", "--prompt", "rename", "--json");
        var id = Json(created).GetProperty("id").GetString()!;

        var result = await bed.RunAsync("iterate", id, "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal($"amp:{TestPaths.FakeAgent}", Json(result).GetProperty("agent").GetString());
        Assert.Single(bed.Invocations);
    }

    [Fact]
    [Trait("Platform", "Posix")]
    public async Task Iterate_and_run_agree_a_failing_test_script_exits_3_and_a_failed_agent_exits_1()
    {
        var id = await bed.NewSessionAsync("--script", "grep -q 'function nosuch' src/greet.ts");

        var iterated = await bed.RunAsync("iterate", id, "--json");
        var ran = await bed.RunAsync("run", id);
        bed.Scenario = "agent-error";
        var failed = await bed.RunAsync("iterate", id);

        Assert.True(iterated.ExitCode == 3, iterated.ToString());
        Assert.Equal("Succeeded", Json(iterated).GetProperty("status").GetString());
        Assert.False(Json(iterated).GetProperty("scriptPassed").GetBoolean());
        Assert.DoesNotContain("amp-sessions:", iterated.StandardError);
        Assert.True(ran.ExitCode == 3, ran.ToString());
        Assert.True(failed.ExitCode == 1, failed.ToString());
        Assert.Contains($"amp-sessions: Iteration 2 of session {id} ended Failed", failed.StandardError);
    }
}
