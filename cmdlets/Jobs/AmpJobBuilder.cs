using System.Management.Automation;
using AmpSessions.Core.Jobs;

namespace AmpSessions.Module.Jobs;

/// <summary>
/// Collects the runs of one <c>-AsJob</c> pipeline (sessions, batches) into a throttled group, then
/// makes the <see cref="AmpJob"/>: registered with Get-Job and written before any work starts.
/// </summary>
internal sealed class AmpJobBuilder(int throttleLimit)
{
    private BackgroundRunGroup? group;

    /// <summary>Queues one run; it takes the job's cancellation (Stop-Job), never the pipeline's, since the job outlives it.</summary>
    public void Add<T>(string name, Func<RunEventWriter, CancellationToken, Task<T>> work) =>
        (group ??= new BackgroundRunGroup(throttleLimit)).Add(name, work);

    /// <summary>Registers, writes and starts the job when any run was queued.</summary>
    public void StartJob(PSCmdlet cmdlet)
    {
        if (group is { Runs.Count: > 0 })
        {
            var job = new AmpJob(cmdlet.MyInvocation.Line, group);
            cmdlet.JobRepository.Add(job);
            cmdlet.WriteObject(job);
            job.Start();
        }
    }
}
