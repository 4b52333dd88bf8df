using System.Management.Automation;
using AmpSessions.Core.Batches;

namespace AmpSessions.Module.Commands;

/// <summary>Runs a batch file (agents × tasks × repositories), as `amp-sessions batch run` does, with Write-Progress per batch and per running item.</summary>
[Cmdlet(VerbsLifecycle.Start, Nouns.Batch, SupportsShouldProcess = true)]
[OutputType(typeof(BatchRunResult))]
[OutputType(typeof(Job))]
public sealed class StartAmpBatchCommand : AmpBatchRunCmdlet
{
    /// <summary>Batch files (YAML, version 3), relative to the current location.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <summary>Run only shard i of N ('2/3'); overrides the file's execution.shard.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Shard { get; set; }

    /// <summary>Items run at once; overrides the file's execution.concurrency.</summary>
    [Parameter]
    [ValidateRange(1, 1024)]
    public int? Concurrency { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var path in Path)
        {
            var file = ResolvePath(path);
            RunBatch(file, Shard is null ? "Run the batch file's items" : $"Run shard {Shard} of the batch file's items", (batches, progress, ct) =>
                batches.RunAsync(new BatchRunRequest { FilePath = file, Shard = Shard is null ? null : BatchShard.Parse(Shard), Concurrency = Concurrency }, progress, ct));
        }
    }
}
