using System.Management.Automation;
using AmpSessions.Core.Attempts;

namespace AmpSessions.Module.Commands;

/// <summary>
/// Keeps one attempt of a best-of-N group (by default the proposed one) and archives the others:
/// each gets a backup ref first, its worktree is removed, its branch and backups stay.
/// </summary>
[Cmdlet(VerbsCommon.Select, Nouns.Attempt, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(AttemptComparison))]
public sealed class SelectAmpAttemptCommand : AmpCmdlet
{
    /// <summary>The attempt group: its id, or the id of one of its sessions.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Group", "AttemptGroup")]
    [ValidateNotNullOrEmpty]
    public string Id { get; set; } = "";

    /// <summary>The attempt to keep (its session id); default: the proposed one.</summary>
    [Parameter(Position = 1)]
    [ValidateNotNullOrEmpty]
    public string? Keep { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            if (!ShouldProcess($"attempt group {Id}", $"Keep {Keep ?? "the proposed attempt"} and archive the other attempts (a backup ref of each is kept)"))
            {
                return;
            }
            WriteObject(RunOnPipeline((events, ct) => new AttemptService(Context).KeepAsync(Id, Keep, ct)));
        }
        catch (Exception ex) when (Infrastructure.ErrorRecords.IsPipelineItemFailure(ex))
        {
            WriteFailure(ex, Id);
        }
    }
}
