using System.Management.Automation;
using AmpSessions.Core.Integration;

namespace AmpSessions.Module.Commands;

/// <summary>Puts sessions' branch and worktree back to a backup (the latest unless -Backup names one); the current state is backed up first.</summary>
[Cmdlet(VerbsData.Restore, Nouns.Session, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = IdParameterSet)]
[OutputType(typeof(RestoreResult))]
public sealed class RestoreAmpSessionCommand : AmpSessionCmdlet
{
    /// <summary>The backup's name or full ref, as Get-AmpSessionBackup lists them; a piped backup binds its Ref.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Ref")]
    [ValidateNotNullOrEmpty]
    public string? Backup { get; set; }

    protected override void ProcessRecord() =>
        ForEachSession((session, events, ct) => new IntegrationService(Context).RestoreAsync(session.Id, Backup, ct),
            $"Reset the branch, index and worktree to backup {Backup ?? "(the latest)"} (the current state is backed up first)");
}
