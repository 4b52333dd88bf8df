using System.Management.Automation;
using AmpSessions.Core.Evaluation;
using AmpSessions.Module.Infrastructure;

namespace AmpSessions.Module.Commands;

/// <summary>
/// Records a session's test baseline: its test command run once on the base commit, in a scratch
/// worktree, every test's outcome kept, so later iterations tell a regression from an old failure.
/// </summary>
// ConfirmImpact High, as every cmdlet that can -Force: -Force replaces the recorded baseline. Scripts pass -Confirm:$false.
[Cmdlet(VerbsCommon.New, Nouns.TestBaseline, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = IdParameterSet)]
[OutputType(typeof(TestBaseline))]
public sealed class NewAmpTestBaselineCommand : AmpSessionCmdlet
{
    /// <summary>Record again, replacing the session's baseline.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>The test command's time limit; seconds or a TimeSpan.</summary>
    [Parameter]
    [SecondsToTimeSpan]
    [ValidatePositiveTimeSpan]
    public TimeSpan? Timeout { get; set; }

    protected override void ProcessRecord() =>
        ForEachSession((session, events, ct) => new TestBaselines(Context).RecordAsync(session.Id, Force, Timeout, ct),
            "Run the test command on the base commit and record every test's outcome");
}
