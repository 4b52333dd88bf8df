using System.Diagnostics;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Iterations;
using AmpSessions.Core.Sessions;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Iterations;

/// <summary>Stopping agents: cancellation, time limits, the login flow, one turn per session, a killed orchestrator.</summary>
public sealed class IterationProcessControlTests : IDisposable
{
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(10);
    private readonly IterationTestBed bed = new();

    public void Dispose() => bed.Dispose();

    [Fact]
    [Trait("Platform", "Linux")]
    public async Task Cancelling_stops_the_agent_and_leaves_the_worktree_as_it_is()
    {
        var scenario = bed.WriteScenario("write-then-hang", """
            {"steps": [
              {"writeFile": {"path": "$CWD/half-done.txt", "content": "partial work"}},
              {"text": "Working on it."},
              {"hang": true}
            ]}
            """);
        var session = await bed.NewSessionAsync(scenario);
        using var cancel = new CancellationTokenSource();

        var running = bed.IterateAsync(session, cancellationToken: cancel.Token);
        int pid;
        Stopwatch watch;
        try
        {
            pid = (await RunningAgentAsync()).ProcessId;
            await Eventually.WaitAsync(() => File.Exists(Path.Combine(session.WorktreePath, "half-done.txt")));
            Assert.Equal(SessionStatus.Running, bed.Reload(session).Status);
        }
        finally
        {
            // Cancelled whatever happened above, so no agent is left hanging.
            watch = Stopwatch.StartNew();
            cancel.Cancel();
        }
        var iteration = await running;

        Assert.True(watch.Elapsed < Slack, $"cancel took {watch.Elapsed}");
        Assert.Equal(IterationStatus.Cancelled, iteration.Status);
        Assert.Contains("worktree left as it is", iteration.Error);
        Assert.True(await ProcessProbe.WaitUntilGoneAsync(pid, TimeSpan.FromSeconds(5)), $"agent {pid} still running");
        Assert.Equal("partial work", File.ReadAllText(Path.Combine(session.WorktreePath, "half-done.txt")));
        Assert.Equal("?? half-done.txt", bed.GitInWorktree(session, "status", "--porcelain"));
        Assert.Equal(session.BaseCommit, bed.GitInWorktree(session, "rev-parse", "HEAD"));
        Assert.Null(iteration.CommitSha);
        var saved = bed.Reload(session);
        Assert.Equal(SessionStatus.Idle, saved.Status);
        Assert.Equal("last iteration cancelled", saved.StatusMessage);
    }

    [Fact]
    [Trait("Platform", "Linux")]
    public async Task A_per_call_time_limit_kills_the_agent_and_times_the_iteration_out()
    {
        var session = await bed.NewSessionAsync("hang");
        var watch = Stopwatch.StartNew();

        var iteration = await bed.IterateAsync(session, new IterateRequest { Session = session.Id, Timeout = TimeSpan.FromSeconds(2) });

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2) + Slack, $"took {watch.Elapsed}");
        Assert.Equal(IterationStatus.TimedOut, iteration.Status);
        Assert.Contains("did not finish within", iteration.Error);
        Assert.True(iteration.Duration >= TimeSpan.FromSeconds(2));
        Assert.True(await ProcessProbe.WaitUntilGoneAsync(Assert.Single(bed.Invocations).ProcessId, TimeSpan.FromSeconds(5)));
        var saved = bed.Reload(session);
        Assert.Equal(SessionStatus.Error, saved.Status);
        Assert.Equal(iteration.Error, saved.StatusMessage);
    }

    [Fact]
    [Trait("Platform", "Linux")]
    public async Task The_sessions_time_limit_kills_the_whole_process_tree()
    {
        // The agent is a shell that runs the fake as its child, so the limit must kill a tree, not one process.
        var wrapperPid = Path.Combine(bed.Repo.Scratch("wrapper"), "shell.pid");
        var wrapper = ExecutableScript.Write(Path.Combine(bed.Repo.Scratch("wrapper-bin"), "agent-wrapper"),
            $"echo $$ > '{wrapperPid}'\n'{TestPaths.FakeAgent}' \"$@\"\nstatus=$?\nexit $status\n");
        var session = await bed.NewSessionAsync("hang", timeout: TimeSpan.FromSeconds(2), agent: $"amp:/bin/sh {wrapper}");
        var watch = Stopwatch.StartNew();

        var iteration = await bed.IterateAsync(session);

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2) + Slack, $"took {watch.Elapsed}");
        Assert.Equal(IterationStatus.TimedOut, iteration.Status);
        var fake = Assert.Single(bed.Invocations).ProcessId;
        var shell = int.Parse(File.ReadAllText(wrapperPid).Trim());
        Assert.NotEqual(fake, shell);
        Assert.True(await ProcessProbe.WaitUntilGoneAsync(fake, TimeSpan.FromSeconds(5)), $"the agent {fake} (a grandchild) outlived the time limit");
        Assert.True(await ProcessProbe.WaitUntilGoneAsync(shell, TimeSpan.FromSeconds(5)), $"the wrapper {shell} outlived the time limit");
    }

    [Fact]
    [Trait("Platform", "Linux")]
    public async Task No_key_means_not_logged_in_within_seconds_and_the_login_prompt_is_killed()
    {
        var session = await bed.NewSessionAsync();
        bed.ForceEnvironment(session, new Dictionary<string, string> { ["FAKE_AMP_REQUIRE_KEY"] = "1", ["AMP_API_KEY"] = "" });
        var watch = Stopwatch.StartNew();

        var iteration = await bed.IterateAsync(session);

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"took {watch.Elapsed}");
        Assert.Equal(IterationStatus.NotLoggedIn, iteration.Status);
        Assert.Equal("Amp is not logged in", iteration.Error);
        var call = Assert.Single(bed.Invocations);
        Assert.False(call.ApiKeySet);
        Assert.True(await ProcessProbe.WaitUntilGoneAsync(call.ProcessId, TimeSpan.FromSeconds(5)), "the login prompt is still waiting");
        var saved = bed.Reload(session);
        Assert.Equal(SessionStatus.Error, saved.Status);
        Assert.Equal(iteration.Error, saved.StatusMessage);
        Assert.Equal(session.BaseCommit, bed.GitInWorktree(session, "rev-parse", "HEAD"));
    }

    [Fact]
    public async Task A_session_runs_one_iteration_at_a_time()
    {
        var session = await bed.NewSessionAsync("hang");
        using var cancel = new CancellationTokenSource();
        var first = bed.IterateAsync(session, cancellationToken: cancel.Token);
        AmpSessionsException busy, script;
        try
        {
            await RunningAgentAsync();
            busy = await Assert.ThrowsAsync<AmpSessionsException>(() => bed.IterateAsync(session));
            script = await Assert.ThrowsAsync<AmpSessionsException>(() => new AmpSessions.Core.Scripts.ScriptRunner(bed.Context).RunAsync(session.Id));
        }
        finally
        {
            // Stop the hanging agent whatever happened above.
            cancel.Cancel();
        }

        Assert.Equal("AmpSessionBusy", busy.ErrorId);
        Assert.Contains($"Session {session.Id} is busy", busy.Message);
        Assert.Contains("iteration", busy.Message);
        Assert.Equal("AmpSessionBusy", script.ErrorId);
        Assert.Single(bed.Context.Iterations.List(session.Id));
        Assert.Single(bed.Invocations);
        Assert.Equal(IterationStatus.Cancelled, (await first).Status);

        // Once the first is done, the session is free again.
        await bed.UseScenarioAsync(session, "success-edit");
        Assert.Equal(IterationStatus.Succeeded, (await bed.IterateAsync(session)).Status);
    }

    [Fact]
    [Trait("Platform", "Linux")]
    public async Task Repair_marks_a_running_session_whose_process_was_killed_as_interrupted()
    {
        var session = await bed.NewSessionAsync("hang");
        var cli = new CliRunner(bed.Context.Data.Root);
        using var orchestrator = cli.Start("iterate", session.Id);
        int? agent = null;
        try
        {
            agent = (await RunningAgentAsync()).ProcessId;
            await Eventually.WaitAsync(() => bed.Reload(session).Status == SessionStatus.Running);
            // SIGKILL the orchestrating CLI alone: no chance to record anything.
            orchestrator.Kill(entireProcessTree: false);
            await orchestrator.WaitForExitAsync();
            // The row still says Running; every read checks it against the lock and sees no holder.
            Assert.Equal(SessionStatus.Running, bed.Context.Sessions.Get(session.Id)!.Status);
            Assert.False(SessionLock.IsHeld(bed.Context, session.Id), "the lock outlived the process that held it");
            var seen = bed.Reload(session);
            Assert.Equal(SessionStatus.Interrupted, seen.Status);
            Assert.Contains("repair", seen.StatusMessage);

            var report = await bed.Sessions.RepairAsync(new RepairRequest());

            var finding = Assert.Single(report.Findings, f => f.Kind == RepairFindingKind.InterruptedRun);
            Assert.Equal(session.Id, finding.SessionId);
            var saved = bed.Reload(session);
            Assert.Equal(SessionStatus.Error, saved.Status);
            Assert.Equal("interrupted", saved.StatusMessage);
            var iteration = Assert.Single(bed.Context.Iterations.List(session.Id));
            Assert.Equal(IterationStatus.Crashed, iteration.Status);
            Assert.StartsWith("interrupted", iteration.Error);
            Assert.NotNull(iteration.EndedAt);
        }
        finally
        {
            // The orphaned fake agent was the test's own doing.
            if (agent is { } pid) ProcessProbe.Kill(pid, TestPaths.FakeAgent);
        }
    }

    private async Task<FakeAgentInvocation> RunningAgentAsync()
    {
        var calls = await FakeAgentRecord.WaitForAsync(bed.RecordPath, 1, TimeSpan.FromSeconds(30));
        Assert.NotEmpty(calls);
        return calls[^1];
    }
}
