using System.Management.Automation;
using AmpSessions.Core.Integration;

namespace AmpSessions.Module.Commands;

/// <summary>Squashes a session's commits since it left the base into one (a backup ref is kept first).</summary>
[Cmdlet(VerbsData.Compress, Nouns.Session, SupportsShouldProcess = true, DefaultParameterSetName = IdParameterSet)]
[OutputType(typeof(SquashResult))]
public sealed class CompressAmpSessionCommand : AmpSessionCmdlet
{
    /// <summary>The one commit's message (default: the session's name over the commits' subjects).</summary>
    [Parameter]
    [Alias("m")]
    [ValidateNotNullOrEmpty]
    public string? Message { get; set; }

    protected override void ProcessRecord() =>
        ForEachSession((session, events, ct) => new IntegrationService(Context).SquashAsync(session.Id, Message, ct),
            "Squash the session's commits into one (a backup ref is kept)");
}
