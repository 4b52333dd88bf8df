using System.Management.Automation;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Module.Commands;

/// <summary>Cleans a session up: removes its worktree (and its branch once merged); the session becomes Archived.</summary>
[Cmdlet(VerbsCommon.Remove, Nouns.Session, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = IdParameterSet)]
[OutputType(typeof(CleanupResult))]
public sealed class RemoveAmpSessionCommand : AmpSessionCmdlet
{
    /// <summary>Clean up even with uncommitted or unmerged work (a backup ref is kept first).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Also delete the session's backup refs.</summary>
    [Parameter]
    public SwitchParameter Purge { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord() =>
        ForEachSession((session, events, ct) => Sessions.CleanupAsync(session.Id, Force, Purge, ct),
            Force ? "Remove the worktree and branch, discarding unmerged work (a backup ref is kept)" : "Remove the worktree (and the branch once merged)",
            writeResult: PassThru);
}
