using System.Management.Automation;
using AmpSessions.Core.Iterations;
using AmpSessions.Core.Scripts;
using AmpSessions.Module.Infrastructure;

namespace AmpSessions.Module.Commands;

/// <summary>Runs a session's test script in its worktree; its output lines are information records, the result a ScriptRun.</summary>
[Cmdlet(VerbsLifecycle.Invoke, Nouns.Script, SupportsShouldProcess = true, DefaultParameterSetName = IdParameterSet)]
[OutputType(typeof(ScriptRun))]
public sealed class InvokeAmpScriptCommand : AmpSessionCmdlet
{
    /// <summary>The script's time limit; seconds or a TimeSpan.</summary>
    [Parameter]
    [SecondsToTimeSpan]
    [ValidatePositiveTimeSpan]
    public TimeSpan? Timeout { get; set; }

    protected override void ProcessRecord() =>
        ForEachSession(async (session, events, ct) =>
        {
            var run = await new ScriptRunner(Context).RunAsync(session.Id, line => events.Information(line.Text), Timeout, ct).ConfigureAwait(false);
            // A script that failed its tests is a result (Status Failed), not an error; one that could not finish is.
            if (Verdicts.Of(run) == Verdict.Failed)
            {
                events.Error(new ScriptRunFailedException(run));
            }
            return run;
        }, "Run the test script in the worktree");
}
