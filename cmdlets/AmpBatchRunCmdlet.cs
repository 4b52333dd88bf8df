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
    protected void RunBatch(string target, string action, Func<BatchService, IProgress<BatchEvent>, CancellationToken, Task<BatchRunResult>> run) =>
        RunBatch(target, action, (context, progress, ct) => run(new BatchService(context), progress, ct));

    /// <summary>The same for any core call that runs a batch underneath (an evaluation run or validation) and returns <typeparamref name="T"/>.</summary>
    protected void RunBatch<T>(string target, string action, Func<AmpSessions.Core.AmpContext, IProgress<BatchEvent>, CancellationToken, Task<T>> run)
    {
        if (!ShouldProcess(target, action))
        {
            return;
        }
        Task<T> Work(RunEventWriter events, CancellationToken ct) => run(Context, new BatchRunProgress(events), ct);
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
