using System.Management.Automation;
using AmpSessions.Core.Batches;
using AmpSessions.Core.Reports;
using AmpSessions.Module.Infrastructure;

namespace AmpSessions.Module.Commands;

/// <summary>Writes a batch report, as `amp-sessions report` does: JSONL, CSV, or a self-contained HTML page with charts.</summary>
[Cmdlet(VerbsData.Export, Nouns.Report, SupportsShouldProcess = true, DefaultParameterSetName = BatchParameterSet)]
[OutputType(typeof(BatchReportFile))]
public sealed class ExportAmpReportCommand : AmpCmdlet
{
    public const string BatchParameterSet = "Batch";
    public const string JournalParameterSet = "Journal";

    /// <summary>A stored batch by id, id prefix or name.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = BatchParameterSet)]
    [Alias("BatchId", "Id")]
    [ValidateNotNullOrEmpty]
    public string? Batch { get; set; }

    /// <summary>A journal file: a batch's, or one Merge-AmpBatchJournal wrote.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = JournalParameterSet)]
    [ValidateNotNullOrEmpty]
    public string? JournalPath { get; set; }

    [Parameter]
    public ReportFormat Format { get; set; } = ReportFormat.Html;

    /// <summary>The report file, relative to the current location; HTML links to logs are relative to its folder.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string OutputPath { get; set; } = "";

    protected override void ProcessRecord()
    {
        var target = ResolvePath(OutputPath);
        var source = ParameterSetName == JournalParameterSet ? ResolvePath(JournalPath!) : Batch!;
        if (!ShouldProcess(target, $"Write the {Format.ToString().ToLowerInvariant()} report of {source}"))
        {
            return;
        }
        try
        {
            var data = ParameterSetName == JournalParameterSet ? BatchReportData.FromJournal(source) : new BatchService(Context).LoadReport(source);
            WriteObject(BatchReports.Write(data, Format, target));
        }
        catch (Exception ex) when (ErrorRecords.IsPipelineItemFailure(ex))
        {
            WriteFailure(ex, source);
        }
    }
}
