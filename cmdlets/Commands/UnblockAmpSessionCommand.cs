using System.Management.Automation;
using AmpSessions.Core.Containment;

namespace AmpSessions.Module.Commands;

/// <summary>
/// Acknowledges that a Blocked session's agent changed the main checkout (after you have checked
/// it): the iterations are marked acknowledged and the session can iterate and merge again.
/// </summary>
[Cmdlet(VerbsSecurity.Unblock, Nouns.Session, SupportsShouldProcess = true, DefaultParameterSetName = IdParameterSet)]
[OutputType(typeof(AcknowledgeResult))]
public sealed class UnblockAmpSessionCommand : AmpSessionCmdlet
{
    protected override void ProcessRecord() =>
        ForEachSession((session, events, ct) => new Acknowledgement(Context).AcknowledgeAsync(session.Id, ct),
            "Acknowledge the agent's change to the main checkout and unblock the session");
}
