using System.Text.Json;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Iterations;
using AmpSessions.Core.Serialization;
using AmpSessions.Core.Storage;

namespace AmpSessions.Core.Evaluation;

/// <summary>One test's outcome in a baseline or a run.</summary>
public sealed record TestResultEntry(string Name, TestOutcome Outcome);

/// <summary>
/// The per-test outcomes of a session's test command on its base commit, recorded once (in a
/// scratch worktree, so the session's own worktree is untouched): what "already failing" means
/// for this session, so its later runs can tell a regression from an old failure.
/// </summary>
public sealed record TestBaseline
{
    public required string SessionId { get; init; }
    public required string BaseCommit { get; init; }
    public required string Command { get; init; }
    public required DateTimeOffset RecordedAt { get; init; }

    /// <summary>How the outcomes were read: JUnit XML ({junit} in the command), TAP, or only the exit code.</summary>
    public required GradingMethod Method { get; init; }

    public int? ExitCode { get; init; }
    public IReadOnlyList<TestResultEntry> Tests { get; init; } = [];
    public string? OutputPath { get; init; }
    public int Failing => Tests.Count(t => t.Outcome != TestOutcome.Passed);
}

/// <summary>How a test changed against the baseline.</summary>
public enum TestChange
{
    /// <summary>Passed on the base commit, fails (or is missing) now: a regression.</summary>
    NewlyFailing,

    /// <summary>Failed on the base commit, still fails.</summary>
    StillFailing,

    /// <summary>Failed on the base commit, passes now.</summary>
    Fixed,

    /// <summary>Passed on the base commit, still passes.</summary>
    StillPassing,

    /// <summary>Not in the baseline (a test the session added); Outcome says how it did.</summary>
    Added,
}

public sealed record ClassifiedTest(string Name, TestChange Change, TestOutcome Baseline, TestOutcome Now);

/// <summary>One iteration's test run against the session's baseline, regressions first.</summary>
public sealed record BaselineComparison
{
    public required string SessionId { get; init; }
    public required int IterationNumber { get; init; }
    public required GradingMethod Method { get; init; }

    /// <summary>Newly failing first, then still failing, fixed, added and still passing; by name within each.</summary>
    public required IReadOnlyList<ClassifiedTest> Tests { get; init; }

    public int NewlyFailing => Tests.Count(t => t.Change == TestChange.NewlyFailing);
    public int StillFailing => Tests.Count(t => t.Change == TestChange.StillFailing);
    public int Fixed => Tests.Count(t => t.Change == TestChange.Fixed);
    public int StillPassing => Tests.Count(t => t.Change == TestChange.StillPassing);
    public int Added => Tests.Count(t => t.Change == TestChange.Added);
    public bool HasRegressions => NewlyFailing > 0;

    /// <summary>
    /// One line, regressions first and named: "1 newly failing (b), 1 still failing, 1 fixed, 1 added,
    /// 1 still passing against the baseline". The timeline and iteration views show it.
    /// </summary>
    public string Summary
    {
        get
        {
            var regressions = Tests.Where(t => t.Change == TestChange.NewlyFailing).Select(t => t.Name).ToList();
            var named = regressions.Count == 0 ? ""
                : " (" + string.Join(", ", regressions.Take(3)) + (regressions.Count > 3 ? $", {regressions.Count - 3} more" : "") + ")";
            return $"{NewlyFailing} newly failing{named}, {StillFailing} still failing, {Fixed} fixed, {Added} added, {StillPassing} still passing";
        }
    }

    /// <summary>The summary, so a property list (Format-List *) shows the classification, not the record's members.</summary>
    public override string ToString() => Summary;
}

/// <summary>
/// Test baselines on a user's own repository: `baseline record` runs the session's test command once
/// on its base commit and keeps every test's outcome; afterwards each iteration's test run (its
/// script output: JUnit XML when its command has {junit}, else TAP) is classified per test as newly failing, still failing, fixed, still
/// passing or added. A baseline is a JSON file under the data directory's baselines/ (no schema change).
/// </summary>
public sealed class TestBaselines
{
    private readonly AmpContext context;

    public TestBaselines(AmpContext context) => this.context = context;

    private string Folder => Path.Combine(context.Data.Root, "baselines");

    private string FileOf(string sessionId) => Path.Combine(Folder, sessionId + ".json");

    /// <summary>Runs the session's test command on its base commit and records the outcomes; refuses to replace a baseline unless forced.</summary>
    public async Task<TestBaseline> RecordAsync(string sessionReference, bool force = false, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var session = new Sessions.SessionManager(context).Resolve(sessionReference);
        if (session.ScriptCommand is not { Length: > 0 } command)
        {
            throw new AmpSessionsException("AmpTestBaselineNoScript", ErrorKind.InvalidOperation,
                $"Session {session.Id} has no test command, so there is nothing to record", session.Id,
                remedy: $"set one that prints TAP or writes JUnit XML to {{junit}} with {Invocation.Of(Operation.SetSession, session.Id, new Argument(Parameter.Script, "<command>"))}");
        }
        if (!force && File.Exists(FileOf(session.Id)))
        {
            throw new AmpSessionsException("AmpTestBaselineExists", ErrorKind.InvalidOperation,
                $"Session {session.Id} already has a test baseline (a baseline is recorded once, on the base commit)", session.Id,
                remedy: $"to record it again, run {Invocation.Of(Operation.RecordTestBaseline, session.Id, Parameter.Force)}");
        }
        Directory.CreateDirectory(Folder);
        var run = await new EvaluationGrader(context).RunTestsAsync(new TestRunRequest
        {
            RepositoryPath = session.RepoRoot,
            Commit = session.BaseCommit,
            TestCommand = command,
            ArtifactPrefix = Path.Combine(Folder, session.Id),
            ScratchName = $"baseline-{session.Id}-{Guid.NewGuid():N}"[..30],
            Timeout = timeout,
        }, cancellationToken).ConfigureAwait(false);
        if (run.Problem is { } problem)
        {
            throw new AmpSessionsException("AmpTestBaselineFailed", ErrorKind.InvalidOperation, $"The baseline of session {session.Id} could not run: {problem}", session.Id);
        }
        var baseline = new TestBaseline
        {
            SessionId = session.Id,
            BaseCommit = session.BaseCommit,
            Command = command,
            RecordedAt = context.Clock.GetUtcNow(),
            Method = run.Report.Method,
            ExitCode = run.ExitCode,
            Tests = run.Report.Tests.Select(t => new TestResultEntry(t.Name, t.Outcome)).ToList(),
            OutputPath = run.OutputPath,
        };
        AtomicFile.Write(FileOf(session.Id), writer => writer.Write(JsonOutput.Serialize(baseline)), "AmpTestBaselineUnwritable");
        return baseline;
    }

    /// <summary>The session's baseline, or null when none was recorded.</summary>
    public TestBaseline? Get(string sessionReference)
    {
        var session = new Sessions.SessionManager(context).Resolve(sessionReference);
        var file = FileOf(session.Id);
        return File.Exists(file) ? JsonOutput.Deserialize<TestBaseline>(File.ReadAllText(file), JsonOutput.Options) : null;
    }

    /// <summary>The error for a session without a baseline, with the command that records one in the caller's front end.</summary>
    public static AmpSessionsException Missing(string sessionId) => new("AmpTestBaselineMissing", ErrorKind.NotFound,
        $"Session {sessionId} has no test baseline", sessionId, remedy: $"record it first with {Invocation.Of(Operation.RecordTestBaseline, sessionId)}");

    /// <summary>Classifies an iteration's test run (the last one with a test run when <paramref name="iterationNumber"/> is null) against the baseline.</summary>
    public BaselineComparison Compare(string sessionReference, int? iterationNumber = null)
    {
        var session = new Sessions.SessionManager(context).Resolve(sessionReference);
        var baseline = Get(session.Id) ?? throw Missing(session.Id);
        var iterations = context.Iterations.List(session.Id);
        var iteration = (iterationNumber is { } number
            ? iterations.FirstOrDefault(i => i.Number == number)
            : iterations.LastOrDefault(i => i.ScriptRunId is not null)) ?? throw new AmpSessionsException("AmpIterationNotFound", ErrorKind.NotFound,
                iterationNumber is null ? $"Session {session.Id} has no iteration with a test run yet." : $"Session {session.Id} has no iteration {iterationNumber}.", session.Id);
        var run = context.Iterations.ListScriptRuns(session.Id).FirstOrDefault(r => r.Id == iteration.ScriptRunId) ?? throw new AmpSessionsException("AmpScriptRunNotFound", ErrorKind.NotFound,
            $"Iteration {iteration.Number} of session {session.Id} ran no tests.", session.Id);
        return Classify(baseline, iteration, run);
    }

    /// <summary>A session's iterations, oldest first, each classified against the baseline: what every front end lists.</summary>
    public IReadOnlyList<IterationRecord> Iterations(string sessionId) => WithTestChanges(sessionId, context.Iterations.List(sessionId));

    /// <summary>
    /// The session's iterations, each that ran tests carrying its classification against the session's
    /// baseline (<see cref="IterationRecord.TestChanges"/>); unchanged when the session has no baseline.
    /// The timeline, `iterations` and Get-AmpIteration read iterations through this.
    /// </summary>
    public IReadOnlyList<IterationRecord> WithTestChanges(string sessionId, IReadOnlyList<IterationRecord> iterations)
    {
        var file = FileOf(sessionId);
        if (!iterations.Any(i => i.ScriptRunId is not null) || !File.Exists(file))
        {
            return iterations;
        }
        var baseline = JsonOutput.Deserialize<TestBaseline>(File.ReadAllText(file), JsonOutput.Options)!;
        var runs = context.Iterations.ListScriptRuns(sessionId).ToDictionary(r => r.Id);
        return iterations.Select(i => i.ScriptRunId is { } id && runs.TryGetValue(id, out var run) && run.Status != Scripts.ScriptRunStatus.Running
            ? i with { TestChanges = Classify(baseline, i, run) }
            : i).ToList();
    }

    /// <summary>One iteration's test run read the way the baseline was (JUnit XML at {junit}, else TAP in its output), classified.</summary>
    private static BaselineComparison Classify(TestBaseline baseline, IterationRecord iteration, Scripts.ScriptRun run)
    {
        var lines = run.OutputPath is { } path && File.Exists(path) ? File.ReadAllLines(path) : (run.OutputTail ?? "").Split('\n');
        var now = TestRunReport.Read(run.Command, run.OutputPath is { } log ? TestCommand.SessionScriptJUnitPath(log) : null, lines);
        return new BaselineComparison
        {
            SessionId = baseline.SessionId,
            IterationNumber = iteration.Number,
            Method = now.Method,
            Tests = Classify(baseline.Tests, now.Tests.Select(t => new TestResultEntry(t.Name, t.Outcome)).ToList()),
        };
    }

    /// <summary>Per test: how it did on the base commit and now; a baseline test missing now counts as not passing.</summary>
    public static IReadOnlyList<ClassifiedTest> Classify(IReadOnlyList<TestResultEntry> baseline, IReadOnlyList<TestResultEntry> now)
    {
        var before = baseline.GroupBy(t => t.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Outcome, StringComparer.Ordinal);
        var after = now.GroupBy(t => t.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Outcome, StringComparer.Ordinal);
        var result = new List<ClassifiedTest>();
        foreach (var name in before.Keys.Union(after.Keys, StringComparer.Ordinal))
        {
            var wasKnown = before.TryGetValue(name, out var was);
            var nowOutcome = after.TryGetValue(name, out var current) ? current : TestOutcome.Missing;
            var passedBefore = wasKnown && was == TestOutcome.Passed;
            var passesNow = nowOutcome == TestOutcome.Passed;
            var change = !wasKnown ? TestChange.Added
                : passedBefore ? (passesNow ? TestChange.StillPassing : TestChange.NewlyFailing)
                : passesNow ? TestChange.Fixed : TestChange.StillFailing;
            result.Add(new ClassifiedTest(name, change, wasKnown ? was : TestOutcome.Missing, nowOutcome));
        }
        return result.OrderBy(t => t.Change switch
        {
            TestChange.NewlyFailing => 0,
            TestChange.StillFailing => 1,
            TestChange.Fixed => 2,
            TestChange.Added => 3,
            _ => 4,
        }).ThenBy(t => t.Name, StringComparer.Ordinal).ToList();
    }
}
