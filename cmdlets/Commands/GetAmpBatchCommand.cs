using System.Management.Automation;
using AmpSessions.Core.Batches;
using AmpSessions.Module.Infrastructure;

namespace AmpSessions.Module.Commands;

/// <summary>Gets batches with their items' latest results: all of them (newest first), or by id, id prefix or name.</summary>
[Cmdlet(VerbsCommon.Get, Nouns.Batch)]
[OutputType(typeof(BatchDetails))]
public sealed class GetAmpBatchCommand : AmpCmdlet
{
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("BatchId")]
    [ValidateNotNullOrEmpty]
    public string[]? Id { get; set; }

    protected override void ProcessRecord()
    {
        var batches = new BatchService(Context);
        if (Id is null)
        {
            WriteObject(batches.ListDetails(), enumerateCollection: true);
            return;
        }
        foreach (var id in Id)
        {
            try
            {
                WriteObject(batches.Status(id));
            }
            catch (Exception ex) when (ErrorRecords.IsPipelineItemFailure(ex))
            {
                WriteFailure(ex, id);
            }
        }
    }
}
