using System.Management.Automation;
using AmpSessions.Core.Backups;

namespace AmpSessions.Module.Commands;

/// <summary>Gets the backup refs kept for a session (taken before squash, rebase, merge, restore and forced cleanup).</summary>
[Cmdlet(VerbsCommon.Get, Nouns.SessionBackup, DefaultParameterSetName = IdParameterSet)]
[OutputType(typeof(SessionBackup))]
public sealed class GetAmpSessionBackupCommand : AmpSessionCmdlet
{
    protected override void ProcessRecord() =>
        ForEachSession((session, events, ct) => BackupService.ListAsync(session, ct));
}
