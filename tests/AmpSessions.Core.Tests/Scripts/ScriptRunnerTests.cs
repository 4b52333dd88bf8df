using System.Diagnostics;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Iterations;
using AmpSessions.Core.Processes;
using AmpSessions.Core.Scripts;
using AmpSessions.Core.Sessions;
using AmpSessions.Core.Tests.Iterations;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Scripts;

/// <summary>The session's test script, run through the platform shell in the worktree.</summary>
public sealed class ScriptRunnerTests : IDisposable
{
    private readonly IterationTestBed bed = new();

    public void Dispose() => bed.Dispose();

    private async Task<(ScriptRun Run, List<OutputLine> Lines)> RunAsync(string command, TimeSpan? timeout = null)
    {
        var session = await bed.NewSessionAsync(script: command);
        var lines = new List<OutputLine>();
        var run = await new ScriptRunner(bed.Context).RunAsync(session.Id, line => { lock (lines) lines.Add(line); }, timeout);
        return (run, lines);
    }

    [Fact]
    public async Task Exit_zero_passes_with_both_streams_streamed_and_stored()
    {
        var (run, lines) = await RunAsync("echo \"in $AMP_SESSION_ID at $(basename \"$PWD\")\"; echo 'to stderr' >&2; exit 0");

        Assert.Equal(ScriptRunStatus.Passed, run.Status);
        Assert.True(run.Passed);
        Assert.Equal(0, run.ExitCode);
        Assert.NotNull(run.EndedAt);
        Assert.Null(run.IterationId);
        var session = bed.Context.Sessions.List().Single();
        Assert.Contains(lines, l => l.Stream == OutputStream.StandardOutput && l.Text == $"in {session.Id} at {session.Id}");
        Assert.Contains(lines, l => l.Stream == OutputStream.StandardError && l.Text == "to stderr");
        var stored = File.ReadAllLines(run.OutputPath!);
        Assert.Equal(2, stored.Length);
        Assert.Contains("to stderr", stored);
        Assert.StartsWith(bed.Context.Data.SessionLogs(session.Id), run.OutputPath);
        Assert.Equal(run.Id, Assert.Single(bed.Context.Iterations.ListScriptRuns(session.Id)).Id);
        // `run` gives the session back in the state it found it.
        Assert.Equal(SessionStatus.Idle, session.Status);
    }

    [Fact]
    public async Task Any_other_exit_fails_with_its_code_and_output_tail()
    {
        var (run, _) = await RunAsync("for i in $(seq 1 60); do echo line $i; done; exit 3");

        Assert.Equal(ScriptRunStatus.Failed, run.Status);
        Assert.Equal(3, run.ExitCode);
        var tail = run.OutputTail!.Split('\n');
        Assert.Equal(40, tail.Length);
        Assert.Equal("line 60", tail[^1]);
        Assert.Equal(60, File.ReadAllLines(run.OutputPath!).Length);
    }

    [Fact]
    [Trait("Platform", "Posix")]
    public async Task A_script_killed_by_a_signal_fails()
    {
        var (run, _) = await RunAsync("echo before; kill -9 $$");

        Assert.Equal(ScriptRunStatus.Failed, run.Status);
        Assert.Equal(128 + 9, run.ExitCode);
        Assert.Equal("before", run.OutputTail);
    }

    [Fact]
    [Trait("Platform", "Linux")]
    public async Task A_script_over_its_time_limit_is_killed_with_its_children_and_fails()
    {
        var watch = Stopwatch.StartNew();
        var (run, lines) = await RunAsync("sleep 60 & echo $!; wait", TimeSpan.FromSeconds(1));

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"took {watch.Elapsed}");
        Assert.Equal(ScriptRunStatus.TimedOut, run.Status);
        Assert.False(run.Passed);
        Assert.Null(run.ExitCode);
        var sleeper = int.Parse(lines.Single().Text);
        Assert.True(await ProcessProbe.WaitUntilGoneAsync(sleeper, TimeSpan.FromSeconds(5)), "the script's child outlived the time limit");
    }

    [Fact]
    public async Task Output_is_redacted_before_it_is_shown_or_stored()
    {
        var (run, lines) = await RunAsync("echo 'token sgamp_user_0123456789abcdef here'; echo 'ghp_abcdefghijklmnopqrstuvwxyz0123' >&2");

        Assert.Equal(ScriptRunStatus.Passed, run.Status);
        var stored = File.ReadAllText(run.OutputPath!);
        Assert.Contains("token [REDACTED] here", stored);
        Assert.DoesNotContain("sgamp_user_0123456789abcdef", stored);
        Assert.DoesNotContain("ghp_", stored);
        Assert.DoesNotContain("sgamp_user", run.OutputTail);
        Assert.All(lines, l => Assert.DoesNotContain("sgamp_user", l.Text));
    }

    [Fact]
    public async Task A_session_without_a_script_says_how_to_set_one()
    {
        var session = await bed.NewSessionAsync();

        var error = await Assert.ThrowsAsync<AmpSessionsException>(() => new ScriptRunner(bed.Context).RunAsync(session.Id));

        Assert.Equal("AmpNoScript", error.ErrorId);
        Assert.Contains("--script", error.Message);
        Assert.Empty(bed.Context.Iterations.ListScriptRuns(session.Id));
        Assert.Equal(SessionStatus.Idle, bed.Reload(session).Status);
    }

    [Fact]
    [Trait("Platform", "Posix")]
    public async Task After_a_successful_iteration_the_script_runs_and_marks_it_passed()
    {
        var session = await bed.NewSessionAsync(script: "grep -q 'function greet' src/greet.ts");
        var events = new List<IterationEvent>();

        var iteration = await bed.IterateAsync(session, onEvent: e => { lock (events) events.Add(e); });

        Assert.Equal(IterationStatus.Succeeded, iteration.Status);
        Assert.True(iteration.ScriptPassed);
        var run = Assert.Single(bed.Context.Iterations.ListScriptRuns(session.Id));
        Assert.Equal(run.Id, iteration.ScriptRunId);
        Assert.Equal(iteration.Id, run.IterationId);
        Assert.Equal(ScriptRunStatus.Passed, run.Status);
        // The script checks the committed change: it runs after the commit.
        Assert.True(events.FindIndex(e => e is IterationCommittedEvent) < events.FindIndex(e => e is IterationScriptStartedEvent));
        var saved = bed.Reload(session);
        Assert.Equal(SessionStatus.Idle, saved.Status);
        Assert.Null(saved.StatusMessage);
    }

    [Fact]
    [Trait("Platform", "Posix")]
    public async Task A_failing_script_marks_the_iteration_failed_but_keeps_its_commit()
    {
        var session = await bed.NewSessionAsync(script: "echo 'greet is still missing a test' >&2; exit 1");
        var output = new List<string>();

        var iteration = await bed.IterateAsync(session, onEvent: e => { if (e is IterationScriptOutputEvent o) lock (output) output.Add(o.Line.Text); });

        Assert.Equal(IterationStatus.Succeeded, iteration.Status);
        Assert.False(iteration.ScriptPassed);
        Assert.NotNull(iteration.CommitSha);
        Assert.Equal(["greet is still missing a test"], output);
        var saved = bed.Reload(session);
        Assert.Equal(SessionStatus.Idle, saved.Status);
        Assert.Equal("tests failed", saved.StatusMessage);
    }

    [Fact]
    [Trait("Platform", "Posix")]
    public async Task The_script_does_not_run_after_a_failed_turn_or_when_skipped()
    {
        var session = await bed.NewSessionAsync("agent-error", script: "true");
        var failed = await bed.IterateAsync(session);
        await bed.UseScenarioAsync(session, "success-edit");
        var skipped = await bed.IterateAsync(session, new IterateRequest { Session = session.Id, SkipScript = true });

        Assert.Null(failed.ScriptPassed);
        Assert.Null(skipped.ScriptPassed);
        Assert.Equal(IterationStatus.Succeeded, skipped.Status);
        Assert.Empty(bed.Context.Iterations.ListScriptRuns(session.Id));
    }
}
