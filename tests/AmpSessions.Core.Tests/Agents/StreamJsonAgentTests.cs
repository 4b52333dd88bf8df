using System.Diagnostics;
using AmpSessions.Core.Agents;
using AmpSessions.Core.Processes;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Agents;

/// <summary>One turn of the fake agent, a real process, through the adapter directly.</summary>
public sealed class StreamJsonAgentTests : IDisposable
{
    private readonly TestRepository repo = new();
    private readonly string record;
    private readonly string scenarios;

    public StreamJsonAgentTests()
    {
        record = Path.Combine(repo.Scratch("record"), "calls.jsonl");
        scenarios = repo.Scratch("scenarios");
    }

    public void Dispose() => repo.Dispose();

    private AgentTurnRequest Request(string scenario, Dictionary<string, string>? extra = null)
    {
        var environment = new Dictionary<string, string> { ["FAKE_AMP_SCENARIO"] = scenario, ["FAKE_AMP_RECORD"] = record };
        foreach (var (name, value) in extra ?? [])
        {
            environment[name] = value;
        }
        return new AgentTurnRequest { Prompt = "rename hello to greet", WorkingDirectory = repo.Root, Environment = environment, Timeout = TimeSpan.FromSeconds(60) };
    }

    private string Scenario(string json)
    {
        var path = Path.Combine(scenarios, $"{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return "script:" + path;
    }

    private static StreamJsonAgent Fake(string dialect = "amp") => new(AgentSpec.Parse($"{dialect}:\"{TestPaths.FakeAgent}\""));

    [Fact]
    public async Task A_successful_turn_streams_every_event_and_returns_totals_tools_thread_and_message()
    {
        var events = new List<AgentEvent>();
        var result = await Fake().RunTurnAsync(Request("success-edit"), events.Add, CancellationToken.None);

        Assert.Equal(AgentOutcome.Succeeded, result.Outcome);
        Assert.Null(result.Error);
        Assert.Equal(new TokenUsage(21, 218, 15_636, 30_626), result.Tokens);
        Assert.Equal(new Dictionary<string, int> { ["Read"] = 1, ["edit_file"] = 1 }, result.ToolCalls);
        Assert.Matches("^T-[0-9a-f-]{36}$", result.ThreadId);
        Assert.Equal("Renamed `hello` to `greet` in src/greet.ts. No other references exist in the repo.", result.FinalMessage);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(3, result.NumTurns);
        Assert.Empty(result.ProtocolWarnings);
        Assert.Equal(result.ThreadId, events.OfType<AgentInitEvent>().Single().ThreadId);
        Assert.Equal(repo.Root, events.OfType<AgentInitEvent>().Single().WorkingDirectory);
        Assert.IsType<AgentResultEvent>(events[^1]);
        Assert.Contains("export function greet(", repo.ReadFile("src/greet.ts"));
        var call = Assert.Single(FakeAgentRecord.Read(record));
        Assert.Equal("rename hello to greet", call.StandardInput);
        Assert.Equal(repo.Root, call.WorkingDirectory);
    }

    [Fact]
    public async Task The_raw_stream_goes_to_the_transcript_with_stderr_lines_marked()
    {
        var transcript = Path.Combine(repo.Scratch("logs"), "nested", "turn.jsonl");
        var scenario = Scenario("""{"steps":[{"stderr":"warming up"},{"text":"ok"},{"success":"done"}]}""");

        var result = await Fake().RunTurnAsync(Request(scenario) with { TranscriptPath = transcript }, null, CancellationToken.None);

        Assert.True(result.Succeeded);
        var lines = File.ReadAllLines(transcript);
        Assert.StartsWith("{\"type\":\"system\",\"subtype\":\"init\"", lines[0]);
        Assert.Contains("{\"type\":\"amp-sessions/stderr\",\"line\":\"warming up\"}", lines);
        // stdout keeps its order; stderr lines interleave wherever they arrived.
        var stdout = lines.Where(l => !l.Contains("amp-sessions/stderr")).ToArray();
        Assert.Equal(4, stdout.Length);
        Assert.StartsWith("{\"type\":\"result\",\"subtype\":\"success\"", stdout[^1]);
    }

    [Fact]
    public async Task Success_is_the_result_line_not_the_exit_code()
    {
        var failedWithZero = await Fake().RunTurnAsync(Request("agent-error"), null, CancellationToken.None);
        var succeededWithThree = await Fake().RunTurnAsync(Request(Scenario("""{"steps":[{"success":"fine"},{"exit":3}]}""")), null, CancellationToken.None);

        Assert.Equal(AgentOutcome.Failed, failedWithZero.Outcome);
        Assert.Equal(0, failedWithZero.ExitCode);
        Assert.Equal("The agent failed: Model provider returned an error: overloaded", failedWithZero.Error);
        Assert.Equal(AgentOutcome.Succeeded, succeededWithThree.Outcome);
        Assert.Equal(3, succeededWithThree.ExitCode);
    }

    [Fact]
    [Trait("Platform", "Linux")]
    public async Task Amp_login_text_on_stdout_as_the_real_cli_prints_it_stops_the_turn_at_once()
    {
        // The real amp (see the probe notes) prints the login flow on stdout, then waits for a browser.
        var scenario = Scenario("""
            {"noInit": true, "steps": [
              {"raw": "No API key found. Starting login flow..."},
              {"raw": "If your browser does not open automatically, visit:"},
              {"hang": true}
            ]}
            """);
        var watch = Stopwatch.StartNew();

        var result = await Fake().RunTurnAsync(Request(scenario), null, CancellationToken.None);

        Assert.Equal(AgentOutcome.NotLoggedIn, result.Outcome);
        Assert.Equal("Amp is not logged in", result.Error);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"took {watch.Elapsed}");
        Assert.True(await ProcessProbe.WaitUntilGoneAsync(Assert.Single(FakeAgentRecord.Read(record)).ProcessId, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task An_agent_that_merely_talks_about_a_login_failure_is_not_a_login_flow()
    {
        var scenario = Scenario("""
            {"steps": [
              {"text": "The page shows 'Login failed' when the password is empty; No API key found is logged too."},
              {"success": "Fixed the Login failed message."}
            ]}
            """);

        var result = await Fake().RunTurnAsync(Request(scenario), null, CancellationToken.None);

        Assert.Equal(AgentOutcome.Succeeded, result.Outcome);
        Assert.Equal("Fixed the Login failed message.", result.FinalMessage);
    }

    [Fact]
    public async Task The_credential_check_refuses_real_amp_without_a_key_before_starting_it()
    {
        // A program named `amp` is the real CLI as far as the adapter knows.
        var bin = repo.Scratch("bin");
        var amp = Path.Combine(bin, "amp");
        File.CreateSymbolicLink(amp, TestPaths.FakeAgent);
        var home = repo.Scratch("empty-home");
        var request = Request("success-edit", new() { ["HOME"] = home, ["AMP_API_KEY"] = "", ["XDG_DATA_HOME"] = Path.Combine(home, "data") });

        var refused = await new StreamJsonAgent(AgentSpec.Parse($"amp:{amp}")).RunTurnAsync(request, null, CancellationToken.None);
        Assert.Equal(AgentOutcome.NotLoggedIn, refused.Outcome);
        Assert.Equal("Amp is not logged in", refused.Error);
        Assert.Empty(FakeAgentRecord.Read(record));

        var unchecked_ = await new StreamJsonAgent(AgentSpec.Parse($"amp:{amp}")).RunTurnAsync(request with { CheckCredentials = false }, null, CancellationToken.None);
        Assert.Equal(AgentOutcome.Succeeded, unchecked_.Outcome);
        Assert.Single(FakeAgentRecord.Read(record));
    }

    [Fact]
    public async Task Claude_dialect_speaks_print_mode_and_resumes_its_session()
    {
        var first = await Fake("claude").RunTurnAsync(Request("older-build"), null, CancellationToken.None);
        var second = await Fake("claude").RunTurnAsync(Request("older-build") with { ThreadId = first.ThreadId }, null, CancellationToken.None);

        Assert.Equal(AgentOutcome.Succeeded, first.Outcome);
        Assert.Matches("^[0-9a-f-]{36}$", first.ThreadId);
        Assert.Equal(first.ThreadId, second.ThreadId);
        var calls = FakeAgentRecord.Read(record);
        Assert.Equal(["-p", "--output-format", "stream-json", "--verbose"], calls[0].Arguments);
        Assert.Equal(["-p", "--output-format", "stream-json", "--verbose", "--resume", first.ThreadId!], calls[1].Arguments);
    }

    [Fact]
    [Trait("Platform", "Posix")]
    public async Task Any_program_that_streams_the_protocol_can_be_an_exec_agent()
    {
        var script = Path.Combine(scenarios, "agent.sh");
        File.WriteAllText(script, """
            read -r prompt
            printf '%s\n' '{"type":"system","subtype":"init","session_id":"custom-1","tools":[]}'
            printf '{"type":"assistant","message":{"content":[{"type":"text","text":"got: %s"}],"usage":{"input_tokens":5,"output_tokens":6}}}\n' "$prompt"
            printf '%s\n' '{"type":"result","subtype":"success","is_error":false,"result":"all done"}'
            """);

        var result = await new StreamJsonAgent(AgentSpec.Parse($"exec:/bin/sh {script}")).RunTurnAsync(Request("unused"), null, CancellationToken.None);

        Assert.Equal(AgentOutcome.Succeeded, result.Outcome);
        Assert.Equal("custom-1", result.ThreadId);
        Assert.Equal("all done", result.FinalMessage);
        Assert.Equal(new TokenUsage(5, 6, 0, 0), result.Tokens);
    }

    [Fact]
    public async Task A_missing_agent_executable_says_how_to_install_it()
    {
        var error = await Assert.ThrowsAsync<ExecutableNotFoundException>(() =>
            new StreamJsonAgent(AgentSpec.Parse("amp:/nonexistent/amp-sessions-test/amp")).RunTurnAsync(Request("success-edit") with { CheckCredentials = false }, null, CancellationToken.None));

        Assert.Contains("install the Amp CLI", error.Message);
    }

    [Fact]
    public async Task The_settings_file_exists_during_the_turn_and_is_deleted_after()
    {
        var result = await Fake().RunTurnAsync(Request("success-edit") with { AllowedTools = ["Bash"] }, null, CancellationToken.None);

        Assert.True(result.Succeeded);
        var arguments = Assert.Single(FakeAgentRecord.Read(record)).Arguments.ToList();
        var settings = arguments[arguments.IndexOf("--settings-file") + 1];
        Assert.StartsWith(Path.GetTempPath(), settings);
        Assert.False(File.Exists(settings));
    }
}
