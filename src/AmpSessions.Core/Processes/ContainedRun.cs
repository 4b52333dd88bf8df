using System.Diagnostics;

namespace AmpSessions.Core.Processes;

/// <summary>
/// The containment of one run of <see cref="ProcessRunner"/>: on Windows the Job object the process
/// joins, elsewhere the marker its descendants inherit. Killing it ends every process of the scope.
/// </summary>
internal sealed class ContainedRun
{
    private readonly WindowsJobObject? job;

    private ContainedRun(ContainmentScope scope, WindowsJobObject? job)
    {
        Scope = scope;
        this.job = job;
    }

    public ContainmentScope Scope { get; }

    public static ContainedRun Create(ContainmentScope scope) =>
        new(scope, OperatingSystem.IsWindows() ? WindowsJobObject.TryCreate() : null);

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
            await ProcessContainment.ReapAsync(Scope.Marker).ConfigureAwait(false);
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
        if (OperatingSystem.IsWindows())
        {
            job?.Dispose();
        }
    }
}
