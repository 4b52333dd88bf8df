using System.Management.Automation;
using AmpSessions.Core.Batches;
using AmpSessions.Core.Jobs;
using AmpSessions.Module.Infrastructure;
using AmpSessions.Module.Jobs;

namespace AmpSessions.Module;

/// <summary>
/// The base of cmdlets that run batches (Start-AmpBatch, Resume-AmpBatch): the batch's events
/// become Write-Progress records (one activity per batch, a child per running item, see
/// <see cref="BatchRunProgress"/>); with <c>-AsJob</c> each batch is a child job of one
/// <see cref="AmpJob"/>, at most <c>-ThrottleLimit</c> batches running at once.
/// </summary>
public abstract class AmpBatchRunCmdlet : AmpCmdlet
{
    private AmpJobBuilder? job;

    /// <summary>Run in the background and return a job at once.</summary>
    [Parameter]
    public SwitchParameter AsJob { get; set; }

    /// <summary>With -AsJob, how many batches of the job may run at the same time.</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int ThrottleLimit { get; set; } = AmpJobCmdlet.DefaultThrottleLimit;

    /// <summary>After ShouldProcess, runs one batch now (writing its result) or queues it into the job; a failure is a non-terminating error.</summary>
    protected void RunBatch(string target, string action, Func<BatchService, IProgress<BatchEvent>, CancellationToken, Task<BatchRunResult>> run)
    {
        if (!ShouldProcess(target, action))
        {
            return;
        }
        Task<BatchRunResult> Work(RunEventWriter events, CancellationToken ct) => run(new BatchService(Context), new BatchRunProgress(events), ct);
        if (AsJob)
        {
            (job ??= new AmpJobBuilder(ThrottleLimit)).Add(target, Work);
            return;
        }
        try
        {
            WriteObject(RunOnPipeline(Work));
        }
        catch (Exception ex) when (ex is not PipelineStoppedException && ErrorRecords.IsPipelineItemFailure(ex))
        {
            WriteFailure(ex, target);
        }
    }

    protected override void EndProcessing()
    {
        job?.StartJob(this);
        base.EndProcessing();
    }
}
