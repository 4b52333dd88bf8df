using AmpSessions.Core.Errors;
using AmpSessions.Core.Scripts;

namespace AmpSessions.Core.Iterations;

/// <summary>
/// What a finished iteration or script run means to a script that called it, the same in both
/// front ends: <see cref="Failed"/> is an error (the module writes a non-terminating error beside
/// the record, the CLI exits 1); <see cref="TestsFailed"/> is not an error but a result (shown in
/// the default view; the CLI exits 3, so `set -e` still stops); <see cref="Cancelled"/> is Ctrl+C.
/// </summary>
public enum Verdict
{
    /// <summary>The agent succeeded and the test script, if any ran, passed.</summary>
    Passed,
    /// <summary>Everything ran; the test script failed.</summary>
    TestsFailed,
    /// <summary>The agent failed, crashed, timed out, was not logged in, could not reach its server or needs approval; or the script could not finish.</summary>
    Failed,
    Cancelled,
}

public static class Verdicts
{
    public static Verdict Of(IterationRecord iteration) => iteration.Status switch
    {
        IterationStatus.Succeeded => iteration.ScriptPassed == false ? Verdict.TestsFailed : Verdict.Passed,
        IterationStatus.Cancelled => Verdict.Cancelled,
        _ => Verdict.Failed,
    };

    public static Verdict Of(ScriptRun run) => run.Status switch
    {
        ScriptRunStatus.Passed => Verdict.Passed,
        ScriptRunStatus.Failed => Verdict.TestsFailed,
        ScriptRunStatus.Cancelled => Verdict.Cancelled,
        _ => Verdict.Failed,
    };
}

/// <summary>An iteration that ended <see cref="Verdict.Failed"/>, as an error a script can catch; its target is the record.</summary>
public sealed class IterationFailedException : AmpSessionsException
{
    public IterationFailedException(IterationRecord iteration)
        : base(ErrorIdOf(iteration.Status), KindOf(iteration.Status),
            $"Iteration {iteration.Number} of session {iteration.SessionId} ended {iteration.Status}{(string.IsNullOrWhiteSpace(iteration.Error) ? "" : ": " + iteration.Error.TrimEnd('.'))}",
            iteration, remedy: RemedyOf(iteration))
    {
        Iteration = iteration;
    }

    public IterationRecord Iteration { get; }

    private static string ErrorIdOf(IterationStatus status) => status switch
    {
        IterationStatus.TimedOut => "AmpIterationTimedOut",
        IterationStatus.NotLoggedIn => "AmpAgentNotLoggedIn",
        IterationStatus.ServerUnreachable => "AmpAgentServerUnreachable",
        IterationStatus.AwaitingInput => "AmpIterationAwaitingInput",
        IterationStatus.Crashed => "AmpIterationCrashed",
        IterationStatus.BudgetExceeded => "AmpBudgetExceeded",
        _ => "AmpIterationFailed",
    };

    private static ErrorKind KindOf(IterationStatus status) => status switch
    {
        IterationStatus.TimedOut => ErrorKind.Timeout,
        IterationStatus.NotLoggedIn => ErrorKind.PermissionDenied,
        IterationStatus.AwaitingInput or IterationStatus.BudgetExceeded => ErrorKind.InvalidOperation,
        _ => ErrorKind.ExternalTool,
    };

    private static FormattableString? RemedyOf(IterationRecord iteration) => iteration.Status switch
    {
        IterationStatus.TimedOut =>
            (FormattableString)$"give it longer with {Invocation.Of(Operation.Iterate, iteration.SessionId, new Argument(Parameter.Timeout, "<seconds>"))}, or set the session's limit with {Invocation.Of(Operation.SetSession, iteration.SessionId, new Argument(Parameter.Timeout, "<seconds>"))}",
        IterationStatus.NotLoggedIn when iteration.Agent?.StartsWith("claude", StringComparison.Ordinal) == true =>
            $"set ANTHROPIC_API_KEY in the environment that runs the agent, or run `claude` there once and log in (/login), then iterate again",
        IterationStatus.NotLoggedIn => $"set AMP_API_KEY in the environment that runs the agent (a browser login cannot happen unattended), then iterate again",
        IterationStatus.AwaitingInput =>
            $"allow the tools it asked for with {Invocation.Of(Operation.SetSession, iteration.SessionId, new Argument(Parameter.AllowTool, "<tool>"))} (or {Parameter.AllowAllTools}), then iterate again",
        IterationStatus.ServerUnreachable => $"check the network connection and AMP_URL, then iterate again",
        IterationStatus.BudgetExceeded =>
            $"look at what it committed, then raise the budget with {Invocation.Of(Operation.SetSession, iteration.SessionId, new Argument(Parameter.BudgetTokens, "<n>"))} (or {Parameter.BudgetCost}, {Parameter.BudgetIterations}, {Parameter.BudgetTime}; 0 removes a limit) to go on",
        _ => iteration.TranscriptPath is { } transcript ? (FormattableString)$"see what the agent did in {transcript}" : null,
    };
}

/// <summary>A test script that could not finish (timed out, could not start): an error; a script that failed its tests is not.</summary>
public sealed class ScriptRunFailedException : AmpSessionsException
{
    public ScriptRunFailedException(ScriptRun run)
        : base(run.Status == ScriptRunStatus.TimedOut ? "AmpScriptTimedOut" : "AmpScriptFailed", run.Status == ScriptRunStatus.TimedOut ? ErrorKind.Timeout : ErrorKind.ExternalTool,
            $"The test script `{run.Command}` of session {run.SessionId} ended {run.Status}", run,
            remedy: run.OutputPath is { } log ? (FormattableString)$"see its output in {log}" : null)
    {
        Run = run;
    }

    public ScriptRun Run { get; }
}
