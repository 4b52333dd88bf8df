using System.CommandLine;
using AmpSessions.Core.Evaluation;
using static AmpSessions.Cli.Commands.CommandContext;

namespace AmpSessions.Cli.Commands;

/// <summary>`baseline record|show`: a session's test baseline on its base commit, and each iteration's tests against it (docs/EVALUATION.md).</summary>
internal static class BaselineCommands
{
    public static void AddTo(RootCommand root)
    {
        var baseline = new Command("baseline", "Record a session's test outcomes on its base commit once, then classify each iteration's tests against them: newly failing (regressions) first.");
        root.Subcommands.Add(baseline);

        var session = SessionArgument();
        var force = new Option<bool>("--force") { Description = "Record again, replacing the session's baseline." };
        var timeout = new Option<double?>("--timeout") { Description = "Time limit of the test command, in seconds (default 30 minutes).", HelpName = "seconds" };
        baseline.Add("record", "Run the session's test command on its base commit (in a scratch worktree) and keep every test's outcome.", async (p, output, ct) =>
        {
            var seconds = p.GetValue(timeout);
            var recorded = await new TestBaselines(OpenContext(p)).RecordAsync(p.GetValue(session)!, p.GetValue(force), seconds is { } s ? TimeSpan.FromSeconds(s) : null, ct);
            output.Result(recorded, b => output.Line(
                b.Method == GradingMethod.ExitCode
                    ? $"Baseline of session {b.SessionId} on {Short(b.BaseCommit)}: no per-test output (print TAP, or write JUnit XML to {{junit}}); the test command exited {b.ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"}."
                    : $"Baseline of session {b.SessionId} on {Short(b.BaseCommit)}: {b.Tests.Count} test{(b.Tests.Count == 1 ? "" : "s")} read from {(b.Method == GradingMethod.Tap ? "TAP" : "JUnit XML")}, {b.Failing} already failing."));
            return CliApplication.Success;
        }, session, force, timeout);

        var showSession = SessionArgument();
        var iteration = new Option<int?>("--iteration") { Description = "The iteration whose tests to classify (default: the last one that ran tests).", HelpName = "n" };
        baseline.Add("show", "Classify an iteration's tests against the session's baseline: newly failing, still failing, fixed, added, still passing.", (p, output, _) =>
        {
            var comparison = new TestBaselines(OpenContext(p)).Compare(p.GetValue(showSession)!, p.GetValue(iteration));
            output.Result(comparison, c =>
            {
                output.Line($"Session {c.SessionId}, iteration {c.IterationNumber} against its baseline: {c.NewlyFailing} newly failing, {c.StillFailing} still failing, {c.Fixed} fixed, {c.Added} added, {c.StillPassing} still passing.");
                output.Line();
                output.Table(["CHANGE", "BASELINE", "NOW", "TEST"], c.Tests.Select(t => (IReadOnlyList<string>)
                    [Label(t.Change), t.Baseline.ToString().ToLowerInvariant(), t.Now.ToString().ToLowerInvariant(), t.Name]));
            });
            return Task.FromResult(comparison.HasRegressions ? CliApplication.TestsFailed : CliApplication.Success);
        }, showSession, iteration);
    }

    private static string Label(TestChange change) => change switch
    {
        TestChange.NewlyFailing => "REGRESSION",
        TestChange.StillFailing => "still failing",
        TestChange.Fixed => "fixed",
        TestChange.Added => "added",
        _ => "still passing",
    };
}
