using System.Management.Automation;
using AmpSessions.Core.Batches;
using AmpSessions.Module.Infrastructure;

namespace AmpSessions.Module.Commands;

/// <summary>Checks a batch file without running it, as `amp-sessions batch validate` does: one error per problem, else the items it expands to.</summary>
[Cmdlet(VerbsDiagnostic.Test, Nouns.Batch)]
[OutputType(typeof(BatchValidation))]
public sealed class TestAmpBatchCommand : AmpCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <summary>Select the items of shard i of N ('2/3').</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Shard { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var path in Path)
        {
            var file = ResolvePath(path);
            try
            {
                WriteObject(new BatchService(Context).Validate(file, Shard is null ? null : BatchShard.Parse(Shard)));
            }
            catch (BatchFileException invalid)
            {
                // Every problem with its line and column, each its own error record.
                foreach (var problem in invalid.Errors)
                {
                    WriteFailure(new BatchFileException([problem]), file);
                }
            }
            catch (Exception ex) when (ErrorRecords.IsPipelineItemFailure(ex))
            {
                WriteFailure(ex, file);
            }
        }
    }
}
