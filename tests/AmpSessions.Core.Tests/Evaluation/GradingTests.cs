using AmpSessions.Core.Batches;
using AmpSessions.Core.Evaluation;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Evaluation;

/// <summary>Per-test reports (JUnit, TAP), test-name matching, SWE-bench's resolution rules, and the instance file's errors.</summary>
public sealed class GradingTests : IDisposable
{
    private readonly TempDirectory temp = new("amp-grading");

    public void Dispose() => temp.Dispose();

    private static EvaluationInstance Instance(string[] failToPass, string[] passToPass) => new()
    {
        InstanceId = "x",
        RepositoryPath = "/nowhere",
        BaseCommit = "HEAD",
        ProblemStatement = "fix it",
        TestCommand = "true",
        FailToPass = failToPass,
        PassToPass = passToPass,
    };

    [Fact]
    public void JUnit_from_pytest_matches_node_ids_unittest_ids_and_django_names()
    {
        const string xml = """
            <?xml version="1.0" encoding="utf-8"?>
            <testsuites><testsuite name="pytest" tests="4">
              <testcase classname="tests.test_calc.TestAdd" name="test_adds" time="0.01"/>
              <testcase classname="tests.test_calc.TestAdd" name="test_negative"><failure message="boom"/></testcase>
              <testcase classname="tests.test_calc.TestAdd" name="test_big"><error message="crash"/></testcase>
              <testcase classname="tests.test_calc.TestAdd" name="test_later"><skipped/></testcase>
            </testsuite></testsuites>
            """;
        var tests = JUnitReport.TryParse(xml)!;
        var index = TestNames.Index(tests);

        Assert.Equal(TestOutcome.Passed, TestNames.OutcomeOf("tests/test_calc.py::TestAdd::test_adds", index));
        Assert.Equal(TestOutcome.Passed, TestNames.OutcomeOf("tests.test_calc.TestAdd.test_adds", index));
        Assert.Equal(TestOutcome.Passed, TestNames.OutcomeOf("test_adds (tests.test_calc.TestAdd)", index));
        Assert.Equal(TestOutcome.Failed, TestNames.OutcomeOf("tests/test_calc.py::TestAdd::test_negative", index));
        Assert.Equal(TestOutcome.Error, TestNames.OutcomeOf("test_big", index));
        Assert.Equal(TestOutcome.Skipped, TestNames.OutcomeOf("tests/test_calc.py::TestAdd::test_later", index));
        Assert.Equal(TestOutcome.Missing, TestNames.OutcomeOf("tests/test_calc.py::TestAdd::test_absent", index));
        Assert.Null(JUnitReport.TryParse("not xml"));
    }

    [Fact]
    public void Tap_from_node_names_nested_tests_by_path_and_skips_suites_and_diagnostics()
    {
        string[] tap =
        [
            "TAP version 13",
            "# Subtest: clamp",
            "    # Subtest: keeps inside",
            "    ok 1 - keeps inside",
            "      ---",
            "      duration_ms: 0.3",
            "      ...",
            "    # Subtest: caps above",
            "    not ok 2 - caps above",
            "      ---",
            "      error: 'ok 9 - not a result'",
            "      ...",
            "    # Subtest: later",
            "    ok 3 - later # SKIP not yet",
            "    1..3",
            "not ok 1 - clamp",
            "# Subtest: top level",
            "ok 2 - top level",
            "1..2",
        ];
        var tests = TapReport.TryParse(tap)!;

        Assert.Equal(["clamp > keeps inside", "clamp > caps above", "clamp > later", "top level"], tests.Select(t => t.Name));
        Assert.Equal([TestOutcome.Passed, TestOutcome.Failed, TestOutcome.Skipped, TestOutcome.Passed], tests.Select(t => t.Outcome));
        Assert.Null(TapReport.TryParse(["Ran 3 tests", "OK"]));
    }

    [Fact]
    public void Resolution_follows_swe_bench_and_missing_or_skipped_tests_do_not_pass()
    {
        var report = new TestRunReport(GradingMethod.Tap,
        [
            new ReportedTest("f1", TestOutcome.Passed, ["f1"]),
            new ReportedTest("f2", TestOutcome.Failed, ["f2"]),
            new ReportedTest("p1", TestOutcome.Passed, ["p1"]),
            new ReportedTest("p2", TestOutcome.Skipped, ["p2"]),
        ]);

        Assert.Equal(Resolution.Resolved, ResolutionRules.Grade(Instance(["f1"], ["p1"]), report, 1).Resolution);
        var partial = ResolutionRules.Grade(Instance(["f1", "f2"], ["p1"]), report, 1);
        Assert.Equal(Resolution.Partial, partial.Resolution);
        Assert.Equal("1/2", partial.FailToPassText);
        Assert.Equal(Resolution.Unresolved, ResolutionRules.Grade(Instance(["f1"], ["p1", "p2"]), report, 1).Resolution); // skipped P2P
        var missing = ResolutionRules.Grade(Instance(["f1", "gone"], ["p1"]), report, 1);
        Assert.Equal(Resolution.Partial, missing.Resolution);
        Assert.Equal(TestOutcome.Missing, missing.Tests.Single(t => t.Name == "gone").Outcome);
        Assert.Equal(Resolution.Unresolved, ResolutionRules.Grade(Instance(["f2"], ["p1"]), report, 1).Resolution);

        // No per-test report: every listed test takes the exit code.
        var exitOnly = new TestRunReport(GradingMethod.ExitCode, []);
        Assert.Equal(Resolution.Resolved, ResolutionRules.Grade(Instance(["f1"], ["p1"]), exitOnly, 0).Resolution);
        Assert.Equal(Resolution.Unresolved, ResolutionRules.Grade(Instance(["f1"], ["p1"]), exitOnly, 1).Resolution);
        // No lists: every reported test must pass.
        Assert.Equal(Resolution.Unresolved, ResolutionRules.Grade(Instance([], []), report, 1).Resolution);
    }

    [Theory]
    // Exact two-sided McNemar, p = min(1, 2 · Σ_{i=0}^{min(b,c)} C(b+c, i) / 2^(b+c)), by hand:
    // b=0, c=5:  2 · 1/32 = 0.0625
    // b=1, c=9:  2 · (1 + 10)/1024 = 22/1024 = 0.021484375
    // b=2, c=8:  2 · (1 + 10 + 45)/1024 = 112/1024 = 0.109375
    // b=3, c=3:  2 · (1 + 6 + 15 + 20)/64 = 84/64 → capped at 1
    // b=0, c=0:  no discordant pair: 1
    // b=10, c=2: 2 · (1 + 12 + 66)/4096 = 158/4096 = 0.03857421875
    [InlineData(0, 5, 0.0625)]
    [InlineData(1, 9, 0.021484375)]
    [InlineData(2, 8, 0.109375)]
    [InlineData(3, 3, 1.0)]
    [InlineData(0, 0, 1.0)]
    [InlineData(10, 2, 0.03857421875)]
    public void Exact_McNemar_matches_the_hand_computed_p_values(int onlyA, int onlyB, double expected)
    {
        Assert.Equal(expected, McNemar.ExactPValue(onlyA, onlyB), 12);
        Assert.Equal(expected, McNemar.ExactPValue(onlyB, onlyA), 12);
    }

    [Fact]
    public void Paired_comparison_counts_discordant_instances_and_names_them()
    {
        var a = new Dictionary<string, bool> { ["i1"] = true, ["i2"] = true, ["i3"] = false, ["i4"] = false, ["i5"] = true };
        var b = new Dictionary<string, bool> { ["i1"] = true, ["i2"] = false, ["i3"] = true, ["i4"] = false, ["i6"] = true };

        var c = PairedComparison.Of("a", a, "b", b);

        Assert.Equal((4, 1, 1, 1, 1), (c.Pairs, c.BothResolved, c.OnlyA, c.OnlyB, c.NeitherResolved));
        Assert.Equal(["i2"], c.OnlyAInstances);
        Assert.Equal(["i3"], c.OnlyBInstances);
        Assert.Equal(["i5", "i6"], c.Unpaired);
        Assert.Equal(1.0, c.PValue); // b=1, c=1: 2 · (1 + 2)/4 → 1
    }

    [Fact]
    public void Pass_at_k_is_the_unbiased_estimator()
    {
        // n=5, c=2, k=1: 1 − C(3,1)/C(5,1) = 1 − 3/5 = 0.4; k=2: 1 − C(3,2)/C(5,2) = 1 − 3/10 = 0.7; k=4: n−c < k → 1.
        Assert.Equal(0.4, PassAtK.Estimate(5, 2, 1), 12);
        Assert.Equal(0.7, PassAtK.Estimate(5, 2, 2), 12);
        Assert.Equal(1.0, PassAtK.Estimate(5, 2, 4), 12);
        Assert.Equal(0.0, PassAtK.Estimate(5, 0, 3), 12);
    }

    [Fact]
    public void Pass_at_k_reads_as_whole_percents_in_order_of_k_and_not_at_all_with_one_attempt()
    {
        AgentEvaluationSummary Agent(Dictionary<int, double> passAtK) => new()
        {
            AgentId = "a", Instances = 2, Attempts = 4, Resolved = 1, Partial = 0, Unresolved = 3, Errors = 0, PassAtK = passAtK,
        };

        Assert.Equal("pass@1 25%, pass@2 50%", EvaluationText.PassAtK(Agent(new() { [2] = 0.5, [1] = 0.25 })));
        Assert.Equal("pass@1 50%, pass@2 83%, pass@3 100%", EvaluationText.PassAtK(Agent(new() { [1] = 0.5, [2] = 5.0 / 6.0, [3] = 1 })));
        Assert.Null(EvaluationText.PassAtK(Agent([])));
    }

    [Fact]
    public void Instance_file_problems_point_at_file_line_and_column()
    {
        using var repo = new TestRepository();
        var head = repo.Git("rev-parse", "HEAD").Trim();
        var file = temp.Combine("instances.jsonl");
        File.WriteAllLines(file,
        [
            $$"""{"instance_id": "ok", "repo_path": "{{repo.Root}}", "base_commit": "{{head}}", "problem_statement": "p", "test_command": "true", "FAIL_TO_PASS": "[\"t1\"]"}""",
            $$"""{"instance_id": "bad", "repo_path": "{{repo.Root}}", "base_commit": "{{head}}", "problem_statment": "typo", "test_command": "true"}""",
            """{"instance_id": "norepo", "repo": "owner/name", "base_commit": "abc", "problem_statement": "p", "test_command": "true"}""",
            "{not json",
            $$"""{"instance_id": "ok", "repo_path": "{{repo.Root}}", "base_commit": "{{head}}", "problem_statement": "p", "test_command": "true", "PASS_TO_PASS": 3}""",
        ]);

        var ex = Assert.Throws<BatchFileException>(() => InstanceFile.Load(file, new InstanceFileOptions()));

        var lines = ex.Errors.Select(e => $"{e.Line}:{e.Column} {e.Kind}").ToList();
        Assert.Contains(ex.Errors, e => e.Line == 2 && e.Kind == BatchFileErrorKind.UnknownKey && e.Message.Contains("did you mean 'problem_statement'", StringComparison.Ordinal) && e.Column > 1);
        Assert.Contains(ex.Errors, e => e.Line == 2 && e.Kind == BatchFileErrorKind.MissingKey);
        Assert.Contains(ex.Errors, e => e.Line == 3 && e.Kind == BatchFileErrorKind.UnknownReference && e.Message.Contains("--repository owner/name=", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.Line == 4 && e.Kind == BatchFileErrorKind.SyntaxError);
        Assert.Contains(ex.Errors, e => e.Line == 5 && e.Kind == BatchFileErrorKind.WrongType && e.Message.Contains("PASS_TO_PASS", StringComparison.Ordinal));
        Assert.All(ex.Errors, e => Assert.Equal(file, e.FilePath));
        Assert.True(lines.Count >= 5, string.Join("\n", ex.Errors));
    }

    [Fact]
    public void Instance_file_reads_lists_held_in_strings_and_checks_commits_exist()
    {
        using var repo = new TestRepository();
        var head = repo.Git("rev-parse", "HEAD").Trim();
        var file = temp.Combine("instances.json");
        File.WriteAllText(file, $$"""
            [
              {"instance_id": "a", "repo": "me/repo", "base_commit": "{{head}}", "problem_statement": "p",
               "FAIL_TO_PASS": "[\"t1\", \"t2\"]", "PASS_TO_PASS": ["t3"], "created_at": "2024-01-01"},
              {"instance_id": "b", "repo": "me/repo", "base_commit": "0000000000000000000000000000000000000001", "problem_statement": "p"}
            ]
            """);
        var options = new InstanceFileOptions { Repositories = new Dictionary<string, string> { ["me/repo"] = repo.Root }, DefaultTestCommand = "true" };

        var ex = Assert.Throws<BatchFileException>(() => InstanceFile.Load(file, options));

        var error = Assert.Single(ex.Errors);
        Assert.Equal((4, 3), (error.Line, error.Column)); // instance "b" starts on line 4, column 3
        Assert.Contains("is not in", error.Message, StringComparison.Ordinal);

        File.WriteAllText(file, $$"""[{"instance_id": "a", "repo": "me/repo", "base_commit": "{{head}}", "problem_statement": "p", "FAIL_TO_PASS": "[\"t1\", \"t2\"]", "PASS_TO_PASS": ["t3"]}]""");
        var instance = Assert.Single(InstanceFile.Load(file, options));
        Assert.Equal(["t1", "t2"], instance.FailToPass);
        Assert.Equal(["t3"], instance.PassToPass);
        Assert.Equal(repo.Root, instance.RepositoryPath);
        Assert.Equal("true", instance.TestCommand);
    }
}
