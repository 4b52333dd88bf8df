using System.Threading.Channels;
using AmpSessions.Core.Errors;

namespace AmpSessions.Core.Jobs;

/// <summary>Where a background run is in its life.</summary>
public enum BackgroundRunState
{
    /// <summary>Made, not started yet, or waiting for a free slot in its group.</summary>
    Queued,
    Running,
    Completed,
    Failed,
    /// <summary>Cancelled before or while it ran.</summary>
    Cancelled,
}

/// <summary>A state change of a run, raised on the thread that made it.</summary>
public sealed class BackgroundRunStateChangedEventArgs(BackgroundRunState previous, BackgroundRunState current) : EventArgs
{
    public BackgroundRunState Previous { get; } = previous;
    public BackgroundRunState Current { get; } = current;
}

/// <summary>A background run whatever its result type: what a job shell (PowerShell's Job) needs.</summary>
public interface IBackgroundRun
{
    string Name { get; }
    BackgroundRunState State { get; }
    /// <summary>The run's events in order; completed once the run has ended.</summary>
    ChannelReader<RunEvent> Events { get; }
    /// <summary>Completes when the run ends: with its result, its exception, or cancelled.</summary>
    Task Completion { get; }
    /// <summary>The result of a Completed run (null otherwise).</summary>
    object? Result { get; }
    /// <summary>What made a Failed run fail.</summary>
    Exception? Error { get; }
    DateTimeOffset? StartedAt { get; }
    DateTimeOffset? EndedAt { get; }
    event EventHandler<BackgroundRunStateChangedEventArgs>? StateChanged;
    void Start();
    /// <summary>Asks the run to stop; a queued run ends without running.</summary>
    void Cancel();
}

/// <summary>
/// One piece of work on the thread pool with a channel of events (progress, verbose, information,
/// warnings, output, errors), its own cancellation and a state. The work gets a
/// <see cref="RunEventWriter"/> and a token; a run in a <see cref="BackgroundRunGroup"/> waits
/// for a free slot before it starts. Front ends read the events on their own thread: PowerShell's
/// pipeline thread for a foreground cmdlet, a job's collections for <c>-AsJob</c>.
/// </summary>
public sealed class BackgroundRun<T> : IBackgroundRun
{
    private readonly Func<RunEventWriter, CancellationToken, Task<T>> work;
    private readonly SemaphoreSlim? slots;
    private readonly TimeProvider clock;
    private readonly Channel<RunEvent> channel = Channel.CreateUnbounded<RunEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TaskCompletionSource<T> completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource cancellation;
    private readonly object sync = new();
    private BackgroundRunState state = BackgroundRunState.Queued;
    private bool started;
    private bool ended;

    public BackgroundRun(string name, Func<RunEventWriter, CancellationToken, Task<T>> work, CancellationToken cancellationToken = default, TimeProvider? clock = null)
        : this(name, work, null, cancellationToken, clock) { }

    internal BackgroundRun(string name, Func<RunEventWriter, CancellationToken, Task<T>> work, SemaphoreSlim? slots, CancellationToken cancellationToken, TimeProvider? clock)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(work);
        Name = name;
        this.work = work;
        this.slots = slots;
        this.clock = clock ?? TimeProvider.System;
        cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Writer = new RunEventWriter(channel.Writer, this.clock);
    }

    public string Name { get; }

    public BackgroundRunState State
    {
        get { lock (sync) { return state; } }
    }

    public ChannelReader<RunEvent> Events => channel.Reader;

    /// <summary>The result, the work's own exception (rethrown as is), or a cancelled task.</summary>
    public Task<T> Completion => completion.Task;

    Task IBackgroundRun.Completion => completion.Task;

    public T? Result { get; private set; }

    object? IBackgroundRun.Result => Result;

    public Exception? Error { get; private set; }

    public DateTimeOffset? StartedAt { get; private set; }

    public DateTimeOffset? EndedAt { get; private set; }

    public TimeSpan? Duration => StartedAt is { } start && EndedAt is { } end ? end - start : null;

    /// <summary>The writer the work reports through (also usable by whoever wraps the run).</summary>
    public RunEventWriter Writer { get; }

    public event EventHandler<BackgroundRunStateChangedEventArgs>? StateChanged;

    /// <summary>Starts the run on the thread pool; it runs at most once.</summary>
    public void Start()
    {
        MarkStarted();
        _ = Task.Run(ExecuteAsync);
    }

    /// <summary>
    /// Starts the run on the calling thread: it goes on there until its first wait (a process, a
    /// file, a timer), then on the thread pool. A quick call that never waits (a store read) then
    /// costs no thread hand-over, which a loaded machine makes slow: a PowerShell pipeline that
    /// waits on the run anyway starts it this way.
    /// </summary>
    public void StartHere()
    {
        MarkStarted();
        _ = ExecuteAsync();
    }

    private void MarkStarted()
    {
        lock (sync)
        {
            if (started)
            {
                throw new InvalidOperationException($"The run '{Name}' has already been started.");
            }
            started = true;
        }
    }

    public void Cancel()
    {
        lock (sync)
        {
            if (!ended)
            {
                cancellation.Cancel();
            }
        }
    }

    private async Task ExecuteAsync()
    {
        var token = cancellation.Token;
        var holdsSlot = false;
        try
        {
            if (slots is not null)
            {
                await slots.WaitAsync(token).ConfigureAwait(false);
                holdsSlot = true;
            }
            token.ThrowIfCancellationRequested();
            StartedAt = clock.GetUtcNow();
            Transition(BackgroundRunState.Running);
            var result = await work(Writer, token).ConfigureAwait(false);
            End(BackgroundRunState.Completed, result, null);
        }
        catch (Exception ex) when (token.IsCancellationRequested && IsCancellation(ex))
        {
            End(BackgroundRunState.Cancelled, default, null);
        }
        catch (Exception ex)
        {
            End(BackgroundRunState.Failed, default, ex);
        }
        finally
        {
            if (holdsSlot)
            {
                slots!.Release();
            }
        }
    }

    private static bool IsCancellation(Exception ex) =>
        ex is OperationCanceledException || ex is AmpSessionsException { Kind: ErrorKind.Cancelled };

    private void End(BackgroundRunState final, T? result, Exception? error)
    {
        Result = result;
        Error = error;
        EndedAt = clock.GetUtcNow();
        lock (sync)
        {
            ended = true;
            cancellation.Dispose();
        }
        Transition(final);
        // Events first, then the outcome: a reader that drained the channel finds the outcome set.
        channel.Writer.TryComplete();
        switch (final)
        {
            case BackgroundRunState.Completed: completion.TrySetResult(result!); break;
            case BackgroundRunState.Cancelled: completion.TrySetCanceled(); break;
            default: completion.TrySetException(error!); break;
        }
    }

    private void Transition(BackgroundRunState next)
    {
        BackgroundRunState previous;
        lock (sync)
        {
            previous = state;
            state = next;
        }
        StateChanged?.Invoke(this, new BackgroundRunStateChangedEventArgs(previous, next));
    }
}
