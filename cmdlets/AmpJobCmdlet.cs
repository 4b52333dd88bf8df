using System.Management.Automation;
using AmpSessions.Core.Jobs;
using AmpSessions.Core.Sessions;
using AmpSessions.Module.Jobs;

namespace AmpSessions.Module;

/// <summary>
/// The base of long-running session cmdlets: with <c>-AsJob</c> each session becomes a child job
/// of one <see cref="AmpJob"/> (written to the pipeline, and registered with Get-Job, before any
/// work starts), at most <c>-ThrottleLimit</c> of them running at once; without it each session
/// runs in turn with its events on the pipeline.
/// </summary>
public abstract class AmpJobCmdlet : AmpSessionCmdlet
{
    public const int DefaultThrottleLimit = 4;

    private AmpJobBuilder? job;

    /// <summary>Run in the background and return a job at once.</summary>
    [Parameter]
    public SwitchParameter AsJob { get; set; }

    /// <summary>How many sessions of the job may run at the same time.</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int ThrottleLimit { get; set; } = DefaultThrottleLimit;

    protected override void RunForSession<T>(Session session, Func<RunEventWriter, CancellationToken, Task<T>> operation, bool writeResult)
    {
        if (!AsJob)
        {
            base.RunForSession(session, operation, writeResult);
            return;
        }
        job ??= new AmpJobBuilder(ThrottleLimit);
        job.Add<T?>($"{session.Id} {session.Name}", writeResult ? async (events, ct) => await operation(events, ct).ConfigureAwait(false) : async (events, ct) =>
        {
            // Without -PassThru the child job's Output stays empty, as the cmdlet's would.
            await operation(events, ct).ConfigureAwait(false);
            return default;
        });
    }

    protected override void EndProcessing()
    {
        job?.StartJob(this);
        base.EndProcessing();
    }
}
