using System.Diagnostics;

namespace AmpSessions.Core.Processes;

/// <summary>
/// The containment of one run of <see cref="ProcessRunner"/>: on Windows the Job object the process
/// joins, elsewhere the marker its descendants inherit. Killing it ends every process of the scope.
/// </summary>
internal sealed class ContainedRun
{
    private readonly WindowsJobObject? job;

    // Opened before the first process of the scope starts: the sweeps read only processes started since.
    private readonly PidWindow? window;

    private readonly object gate = new();

    // The latest sweep (in flight or done): the next one starts after it.
    private Task sweep = Task.CompletedTask;

    // Where the process ids stood when the last sweep that ended clean (its last scan found none) began; null when none did.
    private PidCursor.Mark? cleanSince;

    private ContainedRun(ContainmentScope scope, WindowsJobObject? job, PidWindow? window)
    {
        Scope = scope;
        this.job = job;
        this.window = window;
    }

    public ContainmentScope Scope { get; }

    public static ContainedRun Create(ContainmentScope scope) =>
        new(scope, OperatingSystem.IsWindows() ? WindowsJobObject.TryCreate() : null, PidWindow.Open());

    /// <summary>A run followed by <paramref name="window"/> (tests give a cursor they sample by hand).</summary>
    internal static ContainedRun Create(ContainmentScope scope, PidWindow? window) => new(scope, null, window);

    /// <summary>Called as soon as the process has started.</summary>
    public void Adopt(Process process)
    {
        if (OperatingSystem.IsWindows())
        {
            job?.Assign(process);
        }
    }

    /// <summary>Kills the scope's processes without waiting (from a cancellation callback).</summary>
    public void KillAll()
    {
        if (OperatingSystem.IsWindows())
        {
            job?.Terminate();
            return;
        }
        _ = KillAllAsync();
    }

    /// <summary>Kills the scope's processes and waits until none is left.</summary>
    /// <remarks>
    /// Sweeps run one after another, and a sweep is skipped when the previous one ended clean and no process id was
    /// handed out since it began: every process of the scope alive now would then have been alive, in the window and
    /// readable during its last scan, which found none. A turn that ends by itself asks twice (at its process's exit
    /// and when the run ends); the second /proc scan was on the turn's path for nothing.
    /// </remarks>
    public Task KillAllAsync()
    {
        if (OperatingSystem.IsWindows())
        {
            job?.Terminate();
            return Task.CompletedTask;
        }
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task previous;
        lock (gate)
        {
            previous = sweep;
            sweep = done.Task;
        }
        return SweepAfterAsync(previous, done);
    }

    private async Task SweepAfterAsync(Task previous, TaskCompletionSource done)
    {
        try
        {
            await previous.ConfigureAwait(false);
            await SweepUnlessCleanAsync().ConfigureAwait(false);
        }
        finally
        {
            done.SetResult();
        }
    }

    private async Task SweepUnlessCleanAsync()
    {
        if (window is not null && cleanSince is { } since && window.NoneHandedOutSince(since))
        {
            return;
        }
        var start = window?.Now();
        cleanSince = null;
        try
        {
            if (await ProcessContainment.ReapUntilCleanAsync(Scope.Marker, window).ConfigureAwait(false))
            {
                cleanSince = start;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or AmpSessions.Core.Errors.AmpSessionsException)
        {
            // Best effort: a scan that fails (no /proc, no ps) must not fail the run it ends.
        }
    }

    /// <summary>The run is over: nothing of the scope may outlive it.</summary>
    public async Task EndAsync()
    {
        await KillAllAsync().ConfigureAwait(false);
        window?.Dispose();
        if (OperatingSystem.IsWindows())
        {
            job?.Dispose();
        }
    }
}
