using System.Management.Automation;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Module.Commands;

/// <summary>Commits everything changed in a session's worktree (untracked files included) with a message.</summary>
[Cmdlet(VerbsData.Checkpoint, Nouns.Session, SupportsShouldProcess = true, DefaultParameterSetName = IdParameterSet)]
[OutputType(typeof(CommitResult))]
public sealed class CheckpointAmpSessionCommand : AmpSessionCmdlet
{
    [Parameter(Mandatory = true)]
    [Alias("m")]
    [ValidateNotNullOrEmpty]
    public string Message { get; set; } = "";

    protected override void ProcessRecord() =>
        ForEachSession((session, events, ct) => Sessions.CommitAsync(session.Id, Message, ct), $"Commit all changes: {Message}");
}
