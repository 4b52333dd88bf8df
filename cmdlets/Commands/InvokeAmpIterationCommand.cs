using System.Management.Automation;
using AmpSessions.Core.Iterations;
using AmpSessions.Module.Infrastructure;

namespace AmpSessions.Module.Commands;

/// <summary>Runs one agent turn per session: the agent works in the worktree, what changed is committed as `amp: summary`, then the test script runs.</summary>
[Cmdlet(VerbsLifecycle.Invoke, Nouns.Iteration, SupportsShouldProcess = true, DefaultParameterSetName = IdParameterSet)]
[OutputType(typeof(IterationRecord))]
[OutputType(typeof(Job))]
public sealed class InvokeAmpIterationCommand : AmpJobCmdlet
{
    /// <summary>Notes for this turn, added to the session context the agent reads.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Notes { get; set; }

    /// <summary>A follow-up request instead of the session's prompt.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(Completion.SlashPromptCompleter))]
    public string? Prompt { get; set; }

    [Parameter]
    public SwitchParameter NoCommit { get; set; }

    [Parameter]
    public SwitchParameter NoScript { get; set; }

    /// <summary>This turn's time limit (and the test script's); seconds or a TimeSpan.</summary>
    [Parameter]
    [SecondsToTimeSpan]
    [ValidatePositiveTimeSpan]
    public TimeSpan? Timeout { get; set; }

    /// <summary>The environment for this turn instead of the session's.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(Completion.ConfigNameCompleter))]
    public string? Environment { get; set; }

    /// <summary>The permission preset for this turn instead of the session's.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(Completion.ConfigNameCompleter))]
    public string? Preset { get; set; }

    /// <summary>The agent mode for this turn instead of the session's (`iterate --mode`); checked against the environment's allowed modes.</summary>
    [Parameter]
    [Alias("Mode")]
    [ValidateNotNullOrEmpty]
    public string? AgentMode { get; set; }

    protected override void ProcessRecord() =>
        ForEachSession(async (session, events, ct) =>
        {
            var iteration = await new IterationRunner(Context).RunWithEventsAsync(new IterateRequest
            {
                Session = session.Id,
                Notes = Notes,
                Prompt = Prompt,
                NoCommit = NoCommit,
                SkipScript = NoScript,
                Timeout = Timeout,
                Overrides = new Core.Configuration.RunOverrides { Environment = Environment, Preset = Preset, Mode = AgentMode },
            }, events, ct).ConfigureAwait(false);
            // The error model (about_AmpSessions): an agent that failed, crashed, timed out, was not logged in or
            // needs approval is a non-terminating error whose target is the record, which is still written;
            // a failing test script is not an error (the Test column says FAILED).
            if (Verdicts.Of(iteration) == Verdict.Failed)
            {
                events.Error(new IterationFailedException(iteration));
            }
            return iteration;
        }, NoCommit ? "Run an agent iteration in the worktree (changes left uncommitted)" : "Run an agent iteration in the worktree and commit what changes");
}
