using System.Management.Automation;
using AmpSessions.Core.Evaluation;

namespace AmpSessions.Module.Commands;

/// <summary>
/// Gets a session's test baseline (the outcomes on its base commit). How each iteration's tests compare
/// with it is the TestChanges property of Get-AmpIteration's and Get-AmpTimeline's objects.
/// </summary>
[Cmdlet(VerbsCommon.Get, Nouns.TestBaseline, DefaultParameterSetName = IdParameterSet)]
[OutputType(typeof(TestBaseline))]
public sealed class GetAmpTestBaselineCommand : AmpSessionCmdlet
{
    protected override void ProcessRecord() =>
        ForEachSession((session, events, ct) => Task.FromResult(new TestBaselines(Context).Get(session.Id)
            ?? throw TestBaselines.Missing(session.Id)));
}
