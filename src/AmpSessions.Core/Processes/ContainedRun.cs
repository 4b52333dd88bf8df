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

    private ContainedRun(ContainmentScope scope, WindowsJobObject? job, PidWindow? window)
    {
        Scope = scope;
        this.job = job;
        this.window = window;
    }

    public ContainmentScope Scope { get; }

    public static ContainedRun Create(ContainmentScope scope) =>
        new(scope, OperatingSystem.IsWindows() ? WindowsJobObject.TryCreate() : null, PidWindow.Open());

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
    public async Task KillAllAsync()
    {
        if (OperatingSystem.IsWindows())
        {
            job?.Terminate();
            return;
        }
        try
        {
            await ProcessContainment.ReapAsync(Scope.Marker, window).ConfigureAwait(false);
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
