using System.Management.Automation;
using AmpSessions.Core.Batches;

namespace AmpSessions.Module.Commands;

/// <summary>Runs what did not finish of a stopped or interrupted batch, as `amp-sessions batch resume` does; finished items never run again.</summary>
[Cmdlet(VerbsLifecycle.Resume, Nouns.Batch, SupportsShouldProcess = true)]
[OutputType(typeof(BatchRunResult))]
[OutputType(typeof(Job))]
public sealed class ResumeAmpBatchCommand : AmpBatchRunCmdlet
{
    /// <summary>Batches by id, unique id prefix or name.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("BatchId")]
    [ValidateNotNullOrEmpty]
    public string[] Id { get; set; } = [];

    protected override void ProcessRecord()
    {
        foreach (var id in Id)
        {
            RunBatch($"batch {id}", "Run the items that did not finish", (batches, progress, ct) => batches.ResumeAsync(id, progress, ct));
        }
    }
}
