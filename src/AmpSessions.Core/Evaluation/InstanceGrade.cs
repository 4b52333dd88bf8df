namespace AmpSessions.Core.Evaluation;

/// <summary>SWE-bench's verdict on one attempt at an instance.</summary>
public enum Resolution
{
    /// <summary>Every FAIL_TO_PASS test passes and every PASS_TO_PASS test still passes.</summary>
    Resolved,
    /// <summary>Some, not all, FAIL_TO_PASS tests pass, and every PASS_TO_PASS test still passes.</summary>
    Partial,
    /// <summary>Anything else: nothing fixed, or something broken.</summary>
    Unresolved,
    /// <summary>It could not be graded (the agent failed, the repository or a patch was unusable).</summary>
    Error,
}

/// <summary>Which list a test is on.</summary>
public enum TestExpectation
{
    /// <summary>Failed before the fix, must pass after it.</summary>
    FailToPass,
    /// <summary>Passed before, must still pass.</summary>
    PassToPass,
    /// <summary>On neither list (instances that list no tests: every reported test must pass).</summary>
    Unlisted,
}

/// <summary>One test's outcome in a graded attempt.</summary>
public sealed record GradedTest(string Name, TestExpectation Expected, TestOutcome Outcome)
{
    public bool Passed => Outcome == TestOutcome.Passed;
}

/// <summary>
/// How one attempt at an instance was graded: the verdict, every listed test's outcome, the counts,
/// and where the evidence is (the model's patch, the test output).
/// </summary>
public sealed record InstanceGrade
{
    public required Resolution Resolution { get; init; }
    public required GradingMethod Method { get; init; }

    /// <summary>The test command's exit code (null when it did not run or was killed).</summary>
    public int? ExitCode { get; init; }

    /// <summary>Every listed test (or, for instances that list none, every reported test), in list order.</summary>
    public IReadOnlyList<GradedTest> Tests { get; init; } = [];

    public int FailToPassTotal { get; init; }
    public int FailToPassPassed { get; init; }
    public int PassToPassTotal { get; init; }
    public int PassToPassPassed { get; init; }

    /// <summary>The patch the agent produced against the base commit (git diff --binary), absolute path.</summary>
    public string? PatchPath { get; init; }

    /// <summary>The test command's output, absolute path.</summary>
    public string? TestOutputPath { get; init; }

    /// <summary>Why grading went wrong, or what to know about it.</summary>
    public string? Message { get; init; }

    public TimeSpan GradingDuration { get; init; }

    /// <summary>The rate SWE-bench reports: FAIL_TO_PASS tests passing, as "n/m".</summary>
    public string FailToPassText => $"{FailToPassPassed}/{FailToPassTotal}";

    public string PassToPassText => $"{PassToPassPassed}/{PassToPassTotal}";

    public static InstanceGrade Failure(string message, Resolution resolution = Resolution.Error) => new()
    {
        Resolution = resolution,
        Method = GradingMethod.ExitCode,
        Message = message,
    };
}

/// <summary>SWE-bench's grading rules, applied to one test run.</summary>
public static class ResolutionRules
{
    /// <summary>
    /// Grades a run against an instance's lists. A listed test that is missing, skipped or errored
    /// counts as not passing. With no per-test report, every listed test takes the exit code. An
    /// instance that lists no tests is resolved when the run reported at least one test and every
    /// reported test passed (or, with no per-test report, when the command exited 0).
    /// </summary>
    public static InstanceGrade Grade(EvaluationInstance instance, TestRunReport report, int? exitCode)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(report);
        var exitPassed = exitCode == 0;
        if (!instance.ListsTests)
        {
            var all = report.Method == GradingMethod.ExitCode
                ? []
                : report.Tests.Select(t => new GradedTest(t.Name, TestExpectation.Unlisted, t.Outcome)).ToList();
            var resolved = report.Method == GradingMethod.ExitCode
                ? exitPassed
                : all.Count > 0 && all.All(t => t.Outcome is TestOutcome.Passed or TestOutcome.Skipped);
            return new InstanceGrade
            {
                Resolution = resolved ? Resolution.Resolved : Resolution.Unresolved,
                Method = report.Method,
                ExitCode = exitCode,
                Tests = all,
                PassToPassTotal = all.Count,
                PassToPassPassed = all.Count(t => t.Outcome is TestOutcome.Passed or TestOutcome.Skipped),
                Message = report.Method != GradingMethod.ExitCode && all.Count == 0 ? "the test report lists no tests" : null,
            };
        }

        var index = TestNames.Index(report.Tests);
        TestOutcome Outcome(string name) => report.Method == GradingMethod.ExitCode
            ? exitPassed ? TestOutcome.Passed : TestOutcome.Failed
            : TestNames.OutcomeOf(name, index);
        var failToPass = instance.FailToPass.Select(n => new GradedTest(n, TestExpectation.FailToPass, Outcome(n))).ToList();
        var passToPass = instance.PassToPass.Select(n => new GradedTest(n, TestExpectation.PassToPass, Outcome(n))).ToList();
        var f2p = failToPass.Count(t => t.Passed);
        var p2p = passToPass.Count(t => t.Passed);
        var allStillPass = p2p == passToPass.Count;
        var resolution = f2p == failToPass.Count && allStillPass ? Resolution.Resolved
            : f2p > 0 && allStillPass ? Resolution.Partial
            : Resolution.Unresolved;
        var missing = failToPass.Concat(passToPass).Count(t => t.Outcome == TestOutcome.Missing);
        return new InstanceGrade
        {
            Resolution = resolution,
            Method = report.Method,
            ExitCode = exitCode,
            Tests = [.. failToPass, .. passToPass],
            FailToPassTotal = failToPass.Count,
            FailToPassPassed = f2p,
            PassToPassTotal = passToPass.Count,
            PassToPassPassed = p2p,
            Message = missing > 0 ? $"{missing} listed test{(missing == 1 ? " was" : "s were")} not in the test report" : null,
        };
    }
}
