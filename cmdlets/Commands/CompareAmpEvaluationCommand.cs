using System.Management.Automation;
using AmpSessions.Core.Evaluation;
using AmpSessions.Module.Infrastructure;

namespace AmpSessions.Module.Commands;

/// <summary>
/// Pairs two agents on the instances both finished, as `amp-sessions eval compare` does: the
/// two-by-two table, the instances each alone resolved, and the exact McNemar p-value.
/// </summary>
[Cmdlet(VerbsData.Compare, Nouns.Evaluation)]
[OutputType(typeof(PairedComparison))]
public sealed class CompareAmpEvaluationCommand : AmpCmdlet
{
    /// <summary>A run (id, prefix or name) or a journal file; an EvaluationRun binds through its RunId.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("RunId", "BatchId")]
    [ValidateNotNullOrEmpty]
    public string Run { get; set; } = "";

    /// <summary>A second run to pair with the first (each side is then one run's agent).</summary>
    [Parameter(Position = 1)]
    [ValidateNotNullOrEmpty]
    public string? OtherRun { get; set; }

    /// <summary>The agents to compare, A then B (needed when a run has more than two).</summary>
    [Parameter]
    [ValidateCount(1, 2)]
    [ValidateNotNullOrEmpty]
    public string[]? Agent { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            WriteObject(new EvaluationService(Context).Compare(RunOrJournal(Run), OtherRun is null ? null : RunOrJournal(OtherRun),
                Agent?.ElementAtOrDefault(0), Agent?.ElementAtOrDefault(1)));
        }
        catch (Exception ex) when (ErrorRecords.IsPipelineItemFailure(ex))
        {
            WriteFailure(ex, Run);
        }
    }

    /// <summary>A journal file relative to PowerShell's location, else the run's id as typed.</summary>
    private string RunOrJournal(string reference) => File.Exists(ResolvePath(reference)) ? ResolvePath(reference) : reference;
}
