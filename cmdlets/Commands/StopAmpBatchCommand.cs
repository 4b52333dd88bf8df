using System.Management.Automation;
using AmpSessions.Core.Batches;
using AmpSessions.Module.Infrastructure;

namespace AmpSessions.Module.Commands;

/// <summary>Stops a batch from any process, as `amp-sessions batch stop` does: running items are cancelled, nothing new starts, the batch becomes Cancelled.</summary>
[Cmdlet(VerbsLifecycle.Stop, Nouns.Batch, SupportsShouldProcess = true)]
[OutputType(typeof(BatchSummary))]
public sealed class StopAmpBatchCommand : AmpCmdlet
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("BatchId")]
    [ValidateNotNullOrEmpty]
    public string[] Id { get; set; } = [];

    /// <summary>How long to wait for the running process to stop its items; seconds or a TimeSpan.</summary>
    [Parameter]
    [SecondsToTimeSpan]
    [ValidatePositiveTimeSpan]
    public TimeSpan? Timeout { get; set; }

    /// <summary>Only ask the running process to stop; do not wait for it.</summary>
    [Parameter]
    public SwitchParameter NoWait { get; set; }

    protected override void ProcessRecord()
    {
        var wait = NoWait ? TimeSpan.Zero : Timeout ?? DefaultTimeout;
        foreach (var id in Id)
        {
            if (!ShouldProcess($"batch {id}", "Stop the batch (its running items are cancelled; Resume-AmpBatch runs what did not finish)"))
            {
                continue;
            }
            try
            {
                WriteObject(RunOnPipeline((_, ct) => new BatchService(Context).StopAsync(id, wait, ct)));
            }
            catch (Exception ex) when (ex is not PipelineStoppedException && ErrorRecords.IsPipelineItemFailure(ex))
            {
                WriteFailure(ex, id);
            }
        }
    }
}
