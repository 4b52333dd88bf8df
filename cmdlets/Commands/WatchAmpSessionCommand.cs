using System.Management.Automation;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Module.Commands;

/// <summary>Follows a session live, whichever process drives it: status changes, iterations and the agent's stream, as objects.</summary>
[Cmdlet(VerbsCommon.Watch, Nouns.Session, DefaultParameterSetName = IdParameterSet)]
[OutputType(typeof(SessionWatchEvent))]
public sealed class WatchAmpSessionCommand : AmpSessionCmdlet
{
    /// <summary>Stop once the session is no longer running or evaluating (default: until Ctrl+C).</summary>
    [Parameter]
    public SwitchParameter UntilIdle { get; set; }

    protected override void ProcessRecord() =>
        ForEachSession(async (session, events, ct) =>
        {
            // Each event is written as it comes; the call itself has no result.
            await foreach (var watched in new SessionWatcher(Context).WatchAsync(session.Id, UntilIdle, cancellationToken: ct).ConfigureAwait(false))
            {
                events.Output(watched);
            }
            return (object?)null;
        });
}
