using System.Management.Automation;
using AmpSessions.Core.Timeline;

namespace AmpSessions.Module.Commands;

/// <summary>Gets a session's history: each commit with its iteration, tokens, duration and test result, and iterations that made no commit.</summary>
[Cmdlet(VerbsCommon.Get, Nouns.Timeline, DefaultParameterSetName = IdParameterSet)]
[OutputType(typeof(TimelineEntry))]
public sealed class GetAmpTimelineCommand : AmpSessionCmdlet
{
    protected override void ProcessRecord() =>
        ForEachSession((session, events, ct) => new TimelineBuilder(Context).BuildAsync(session.Id, ct));
}
