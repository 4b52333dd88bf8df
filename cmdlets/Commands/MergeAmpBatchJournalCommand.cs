using System.Management.Automation;
using AmpSessions.Core.Batches;
using AmpSessions.Module.Infrastructure;

namespace AmpSessions.Module.Commands;

/// <summary>Merges the journals of a batch file's shards into one journal, as `amp-sessions batch merge` does; Export-AmpReport -JournalPath reports it.</summary>
[Cmdlet(VerbsData.Merge, Nouns.BatchJournal, SupportsShouldProcess = true)]
[OutputType(typeof(MergedJournal))]
public sealed class MergeAmpBatchJournalCommand : AmpCmdlet
{
    private readonly List<string> journals = [];

    /// <summary>The journal files (one per shard), relative to the current location; all the piped ones are merged together.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("JournalPath", "FullName")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <summary>The merged journal file, relative to the current location.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string OutputPath { get; set; } = "";

    protected override void ProcessRecord() => journals.AddRange(Path.Select(ResolvePath));

    protected override void EndProcessing()
    {
        var target = ResolvePath(OutputPath);
        if (ShouldProcess(target, $"Write the merge of {journals.Count} journal{(journals.Count == 1 ? "" : "s")}"))
        {
            try
            {
                WriteObject(BatchMerge.Write(BatchMerge.Combine(journals), target, TextWriter.Null));
            }
            catch (Exception ex) when (ErrorRecords.IsPipelineItemFailure(ex))
            {
                // Journals of different batch files, or an item finished twice: one error, nothing written.
                ThrowTerminatingError(ErrorRecords.From(ex, target));
            }
        }
        base.EndProcessing();
    }
}
