using System.Management.Automation;
using AmpSessions.Core.Evaluation;
using AmpSessions.Module.Infrastructure;

namespace AmpSessions.Module.Commands;

/// <summary>
/// Writes one agent's patches of a run as a SWE-bench predictions file (JSONL of instance_id,
/// model_name_or_path, model_patch), as `amp-sessions eval predictions` does, so the official harness
/// can re-grade them. The noun is singular like every noun of the module; the issue's name
/// Export-AmpPredictions is its alias.
/// </summary>
[Cmdlet(VerbsData.Export, Nouns.Prediction, SupportsShouldProcess = true)]
[Alias("Export-AmpPredictions")]
[OutputType(typeof(PredictionsFile))]
public sealed class ExportAmpPredictionCommand : AmpCmdlet
{
    /// <summary>A run (id, prefix or name) or a journal file; an EvaluationRun binds through its RunId.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("RunId", "BatchId")]
    [ValidateNotNullOrEmpty]
    public string Run { get; set; } = "";

    /// <summary>The predictions file to write (JSONL), relative to the current location.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string OutputPath { get; set; } = "";

    /// <summary>The agent whose patches to write (needed when the run has several).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Agent { get; set; }

    /// <summary>model_name_or_path to write (default: the agent's id).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ModelName { get; set; }

    protected override void ProcessRecord()
    {
        var target = ResolvePath(OutputPath);
        var source = File.Exists(ResolvePath(Run)) ? ResolvePath(Run) : Run;
        if (!ShouldProcess(target, $"Write the predictions of {(Agent is null ? "" : Agent + " in ")}{source}"))
        {
            return;
        }
        try
        {
            WriteObject(new EvaluationService(Context).WritePredictions(source, target, Agent, ModelName));
        }
        catch (Exception ex) when (ErrorRecords.IsPipelineItemFailure(ex))
        {
            WriteFailure(ex, source);
        }
    }
}
