using AmpSessions.Core.Errors;

namespace AmpSessions.Core.Jobs;

/// <summary>
/// Background runs that share a concurrency limit (PowerShell's <c>-ThrottleLimit</c>): every run
/// is added first, then all start; at most <see cref="MaxConcurrency"/> are Running at once and
/// the rest wait Queued in the order they were added.
/// </summary>
public sealed class BackgroundRunGroup
{
    private readonly SemaphoreSlim slots;
    private readonly CancellationTokenSource cancellation = new();
    private readonly List<IBackgroundRun> runs = [];
    private readonly TimeProvider clock;

    public BackgroundRunGroup(int maxConcurrency, TimeProvider? clock = null)
    {
        if (maxConcurrency < 1)
        {
            throw new AmpSessionsException("AmpThrottleLimitInvalid", ErrorKind.InvalidArgument,
                $"The throttle limit must be 1 or more (got {maxConcurrency}): it is how many runs may work at once.", maxConcurrency);
        }
        MaxConcurrency = maxConcurrency;
        slots = new SemaphoreSlim(maxConcurrency, maxConcurrency);
        this.clock = clock ?? TimeProvider.System;
    }

    public int MaxConcurrency { get; }

    public IReadOnlyList<IBackgroundRun> Runs
    {
        get { lock (runs) { return runs.ToArray(); } }
    }

    /// <summary>Adds a run (Queued, not started).</summary>
    public BackgroundRun<T> Add<T>(string name, Func<RunEventWriter, CancellationToken, Task<T>> work)
    {
        var run = new BackgroundRun<T>(name, work, slots, cancellation.Token, clock);
        lock (runs)
        {
            runs.Add(run);
        }
        return run;
    }

    /// <summary>Starts every run added so far, in order; each waits for a free slot.</summary>
    public void StartAll()
    {
        foreach (var run in Runs)
        {
            run.Start();
        }
    }

    /// <summary>Cancels every run: queued ones end without running, running ones are asked to stop.</summary>
    public void CancelAll() => cancellation.Cancel();

    /// <summary>Completes when every run has ended, whatever the outcome (each run holds its own).</summary>
    public Task WhenAll() =>
        Task.WhenAll(Runs.Select(r => r.Completion.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default)));
}
