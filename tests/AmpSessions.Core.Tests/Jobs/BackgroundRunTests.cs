using System.Collections.Concurrent;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Jobs;
using AmpSessions.Core.Processes;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Jobs;

public sealed class BackgroundRunTests
{
    // Guards against a hang only; no test asserts how long anything takes.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Completes_with_its_result_after_delivering_every_event_in_order()
    {
        var run = new BackgroundRun<int>("answer", async (events, ct) =>
        {
            events.Verbose("looking");
            events.Progress("Thinking", "half way", 50, "step 1");
            await Task.Yield();
            events.Output("partial");
            events.Information("found it");
            events.CompleteProgress("Thinking");
            return 42;
        });
        var states = RecordStates(run);
        Assert.Equal(BackgroundRunState.Queued, run.State);

        run.Start();
        var events = await DrainAsync(run);
        var result = await run.Completion.WaitAsync(Patience);

        Assert.Equal(42, result);
        Assert.Equal(42, ((IBackgroundRun)run).Result);
        Assert.Equal(BackgroundRunState.Completed, run.State);
        Assert.Equal([BackgroundRunState.Running, BackgroundRunState.Completed], states);
        Assert.Equal([RunEventKind.Verbose, RunEventKind.Progress, RunEventKind.Output, RunEventKind.Information, RunEventKind.Progress],
            events.Select(e => e.Kind));
        Assert.Equal("looking", events[0].Message);
        Assert.Equal(new RunProgress { Activity = "Thinking", Status = "half way", PercentComplete = 50, CurrentOperation = "step 1" }, events[1].Progress);
        Assert.Equal("partial", events[2].Output);
        Assert.True(events[4].Progress!.IsCompleted);
        Assert.Null(run.Error);
        Assert.NotNull(run.StartedAt);
        Assert.True(run.EndedAt >= run.StartedAt);
    }

    [Fact]
    public async Task A_failing_run_keeps_its_exception_and_the_events_before_it()
    {
        var failure = new AmpSessionsException("AmpTestFailure", ErrorKind.InvalidOperation, "the work failed");
        var run = new BackgroundRun<string>("fails", (events, ct) =>
        {
            events.Warning("about to fail");
            throw failure;
        });
        var states = RecordStates(run);

        run.Start();
        var events = await DrainAsync(run);
        var thrown = await Assert.ThrowsAsync<AmpSessionsException>(() => run.Completion.WaitAsync(Patience));

        Assert.Same(failure, thrown);
        Assert.Same(failure, run.Error);
        Assert.Equal(BackgroundRunState.Failed, run.State);
        Assert.Equal([BackgroundRunState.Running, BackgroundRunState.Failed], states);
        Assert.Equal("about to fail", Assert.Single(events).Message);
        Assert.Null(run.Result);
    }

    [Fact]
    public async Task Cancel_stops_a_running_run_and_ends_it_cancelled()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = new BackgroundRun<int>("waits", async (events, ct) =>
        {
            started.SetResult();
            await Task.Delay(Timeout.Infinite, ct);
            return 1;
        });
        var states = RecordStates(run);

        run.Start();
        await started.Task.WaitAsync(Patience);
        run.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.Completion.WaitAsync(Patience));
        Assert.Equal(BackgroundRunState.Cancelled, run.State);
        Assert.Equal([BackgroundRunState.Running, BackgroundRunState.Cancelled], states);
        Assert.Null(run.Error);
        Assert.Empty(await DrainAsync(run));
    }

    [Fact]
    public async Task Cancel_kills_a_real_process_the_run_is_waiting_for()
    {
        var firstLine = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = new BackgroundRun<ProcessResult>("hanging agent", async (events, ct) =>
        {
            var spec = new ProcessSpec(TestPaths.FakeAgent, ["-x", "--stream-json"])
            {
                StandardInput = "wait forever",
                Environment = new Dictionary<string, string?> { ["FAKE_AMP_SCENARIO"] = "hang" },
            };
            var result = await ProcessRunner.RunAsync(spec, line =>
            {
                events.Verbose(line.Text);
                firstLine.TrySetResult(line.Text);
            }, ct);
            ct.ThrowIfCancellationRequested();
            return result;
        });

        run.Start();
        Assert.Contains("\"type\":\"system\"", await firstLine.Task.WaitAsync(Patience));
        run.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.Completion.WaitAsync(Patience));
        Assert.Equal(BackgroundRunState.Cancelled, run.State);
        var events = await DrainAsync(run);
        Assert.Contains(events, e => e.Kind == RunEventKind.Verbose && e.Message!.Contains("\"type\":\"system\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_cancellation_the_run_did_not_ask_for_is_a_failure()
    {
        var run = new BackgroundRun<int>("times out inside", (events, ct) => throw new OperationCanceledException("an inner timeout"));

        run.Start();
        await Assert.ThrowsAsync<OperationCanceledException>(() => run.Completion.WaitAsync(Patience));

        Assert.Equal(BackgroundRunState.Failed, run.State);
        Assert.IsType<OperationCanceledException>(run.Error);
    }

    [Fact]
    public async Task Events_written_after_the_run_ended_are_dropped_quietly()
    {
        var run = new BackgroundRun<int>("short", (events, ct) => Task.FromResult(7));
        run.Start();
        await run.Completion.WaitAsync(Patience);

        run.Writer.Verbose("too late");
        run.Cancel();

        Assert.Empty(await DrainAsync(run));
        Assert.Equal(BackgroundRunState.Completed, run.State);
    }

    [Fact]
    public void A_run_starts_once_and_rejects_out_of_range_progress()
    {
        var run = new BackgroundRun<int>("once", (events, ct) => Task.FromResult(1));
        run.Start();

        Assert.Throws<InvalidOperationException>(run.Start);
        Assert.Throws<ArgumentOutOfRangeException>(() => run.Writer.Progress("a", "b", 101));
        Assert.Throws<ArgumentOutOfRangeException>(() => run.Writer.Progress("a", "b", -1));
    }

    [Fact]
    public async Task A_group_runs_no_more_than_its_limit_at_once_and_starts_the_rest_in_order()
    {
        var group = new BackgroundRunGroup(2);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var active = 0;
        var mostActive = 0;
        var startOrder = new ConcurrentQueue<int>();
        var runs = Enumerable.Range(0, 6).Select(i => group.Add($"item {i}", async (events, ct) =>
        {
            var now = Interlocked.Increment(ref active);
            InterlockedMax(ref mostActive, now);
            startOrder.Enqueue(i);
            await release.Task.WaitAsync(ct);
            Interlocked.Decrement(ref active);
            return i * 10;
        })).ToArray();

        Assert.All(runs, r => Assert.Equal(BackgroundRunState.Queued, r.State));
        group.StartAll();
        await WaitUntilAsync(() => runs.Count(r => r.State == BackgroundRunState.Running) == 2);
        await Task.Delay(200);
        Assert.Equal(2, runs.Count(r => r.State == BackgroundRunState.Running));
        Assert.Equal(4, runs.Count(r => r.State == BackgroundRunState.Queued));

        release.SetResult();
        await group.WhenAll().WaitAsync(Patience);

        Assert.Equal(2, mostActive);
        Assert.All(runs, r => Assert.Equal(BackgroundRunState.Completed, r.State));
        Assert.Equal([0, 10, 20, 30, 40, 50], runs.Select(r => r.Result));
        Assert.Equal(6, startOrder.Count);
        Assert.Equal(runs.Length, group.Runs.Count);
    }

    [Fact]
    public async Task Cancelling_a_group_ends_queued_runs_without_running_them()
    {
        var group = new BackgroundRunGroup(1);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var ranCount = 0;
        var runs = Enumerable.Range(0, 3).Select(i => group.Add($"item {i}", async (events, ct) =>
        {
            Interlocked.Increment(ref ranCount);
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
            return i;
        })).ToArray();

        group.StartAll();
        await started.Task.WaitAsync(Patience);
        group.CancelAll();
        await group.WhenAll().WaitAsync(Patience);

        Assert.Equal(1, ranCount);
        Assert.All(runs, r => Assert.Equal(BackgroundRunState.Cancelled, r.State));
        Assert.Equal(1, runs.Count(r => r.StartedAt is not null && r.EndedAt is not null && r.Duration is not null));
    }

    [Fact]
    public async Task A_failure_in_one_run_of_a_group_leaves_the_others_alone()
    {
        var group = new BackgroundRunGroup(3);
        var good = group.Add("good", (events, ct) => Task.FromResult("ok"));
        var bad = group.Add<string>("bad", (events, ct) => throw new AmpSessionsException("AmpTestFailure", ErrorKind.InvalidOperation, "bad item"));

        group.StartAll();
        await group.WhenAll().WaitAsync(Patience);

        Assert.Equal(BackgroundRunState.Completed, good.State);
        Assert.Equal("ok", good.Result);
        Assert.Equal(BackgroundRunState.Failed, bad.State);
        Assert.Equal("AmpTestFailure", Assert.IsType<AmpSessionsException>(bad.Error).ErrorId);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void A_group_needs_a_limit_of_at_least_one(int limit)
    {
        var error = Assert.Throws<AmpSessionsException>(() => new BackgroundRunGroup(limit));
        Assert.Equal("AmpThrottleLimitInvalid", error.ErrorId);
        Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
    }

    private static List<BackgroundRunState> RecordStates(IBackgroundRun run)
    {
        var states = new List<BackgroundRunState>();
        run.StateChanged += (_, e) => { lock (states) { states.Add(e.Current); } };
        return states;
    }

    private static async Task<List<RunEvent>> DrainAsync(IBackgroundRun run)
    {
        var events = new List<RunEvent>();
        await foreach (var e in run.Events.ReadAllAsync().WithCancellation(new CancellationTokenSource(Patience).Token))
        {
            events.Add(e);
        }
        return events;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition never became true");
            await Task.Delay(10);
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
