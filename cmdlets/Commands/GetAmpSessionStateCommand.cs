using System.Management.Automation;

namespace AmpSessions.Module.Commands;

/// <summary>Gets a session with the live state of its branch and worktree (ahead/behind, changed files, rebase).</summary>
[Cmdlet(VerbsCommon.Get, Nouns.SessionState, DefaultParameterSetName = IdParameterSet)]
[OutputType(typeof(Core.Sessions.SessionState))]
public sealed class GetAmpSessionStateCommand : AmpSessionCmdlet
{
    protected override void ProcessRecord() =>
        ForEachSession((session, events, ct) => Sessions.GetStateAsync(session, ct));
}
