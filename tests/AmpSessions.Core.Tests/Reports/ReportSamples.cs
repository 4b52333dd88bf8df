using AmpSessions.Core.Agents;
using AmpSessions.Core.Batches;
using AmpSessions.Core.Evaluation;
using AmpSessions.Core.Reports;

namespace AmpSessions.Core.Tests.Reports;

/// <summary>Results of a 3 agents × 2 tasks × 2 repositories batch with every outcome, with real log files under logs/.</summary>
internal static class ReportSamples
{
    public static BatchReportData Create(string folder)
    {
        var logs = Directory.CreateDirectory(Path.Combine(folder, "logs")).FullName;
        var statuses = new[]
        {
            BatchItemStatus.Passed, BatchItemStatus.Passed, BatchItemStatus.Failed, BatchItemStatus.Passed,
            BatchItemStatus.Passed, BatchItemStatus.Error, BatchItemStatus.TimedOut, BatchItemStatus.Passed,
            BatchItemStatus.Failed, BatchItemStatus.Cancelled, BatchItemStatus.Pending, BatchItemStatus.Passed,
        };
        var agents = new[] { "fast", "careful", "cheap <b>&</b>" };
        var items = new List<BatchItemResult>();
        var n = 0;
        foreach (var agent in agents)
        {
            foreach (var task in new[] { "build", "docs" })
            {
                foreach (var repo in new[] { "repo-a", "repo-b" })
                {
                    var status = statuses[n];
                    var id = BatchExpansion.ItemId(agent, task, "0", repo);
                    var log = Path.Combine(logs, $"{id}-1.log");
                    File.WriteAllText(log, $"log of {id}\n");
                    var ran = status is not BatchItemStatus.Pending;
                    items.Add(new BatchItemResult
                    {
                        BatchId = "sample01",
                        ItemId = id,
                        AgentId = agent,
                        TaskId = task,
                        TaskType = BatchTaskType.Batch,
                        Prompt = task == "build" ? "Add a feature, \"quickly\"\nthen test it" : "Write the docs",
                        PromptIndex = 0,
                        Repository = repo,
                        Status = status,
                        Attempts = ran ? 1 + n % 2 : 0,
                        Duration = ran ? TimeSpan.FromMilliseconds(1500 + 900 * n) : TimeSpan.Zero,
                        Iterations = ran ? 1 + n % 3 : 0,
                        Tokens = ran ? new TokenUsage { Input = 12_000 + 1000 * n, Output = 800 + 50 * n, CacheCreation = 2000, CacheRead = 30_000 } : TokenUsage.Zero,
                        CostUsd = ran && agent != "cheap <b>&</b>" ? 0.05m + 0.01m * n : null,
                        ToolCalls = ran ? new Dictionary<string, int> { ["Bash"] = 1 + n % 4, ["edit_file"] = 2, ["Read"] = n % 3 } : new Dictionary<string, int>(),
                        FilesChanged = n % 3,
                        GradingExitCode = task == "build" && ran ? (status == BatchItemStatus.Passed ? 0 : 1) : null,
                        Error = status == BatchItemStatus.Error ? "Model provider returned an error: overloaded" : null,
                        LogPath = ran ? log : null,
                    });
                    n++;
                }
            }
        }
        return new BatchReportData
        {
            BatchId = "sample01",
            Name = "Report sample <with> \"markup\"",
            CreatedAt = new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.Zero),
            Items = items,
            Source = Path.Combine(folder, "journal.jsonl"),
        };
    }

    /// <summary>
    /// An evaluation run: gold, null and demo on four instances, each attempt graded per test, so the
    /// report has its resolved-rate chart, its resolutions table, the paired comparison (chart and
    /// table) and the tests per instance. Demo resolves two, one partially, and breaks a passing test on the fourth.
    /// </summary>
    public static BatchReportData CreateEvaluation()
    {
        string[] instances = ["calc-add", "calc-sub", "text-title", "text-slug"];
        var items = new List<BatchItemResult>();
        foreach (var agent in new[] { "gold", "null", "demo" })
        {
            for (var i = 0; i < instances.Length; i++)
            {
                var (resolution, f2p, p2p) = agent switch
                {
                    "gold" => (Resolution.Resolved, TestOutcome.Passed, TestOutcome.Passed),
                    "null" => (Resolution.Unresolved, TestOutcome.Failed, TestOutcome.Passed),
                    _ => i switch
                    {
                        0 or 1 => (Resolution.Resolved, TestOutcome.Passed, TestOutcome.Passed),
                        2 => (Resolution.Partial, TestOutcome.Passed, TestOutcome.Passed),
                        _ => (Resolution.Unresolved, TestOutcome.Passed, TestOutcome.Failed),
                    },
                };
                GradedTest[] tests =
                [
                    new($"{instances[i]} > fixes the bug", TestExpectation.FailToPass, f2p),
                    new($"{instances[i]} > handles the edge case", TestExpectation.FailToPass, resolution == Resolution.Partial ? TestOutcome.Failed : f2p),
                    new($"{instances[i]} > still works", TestExpectation.PassToPass, p2p),
                ];
                items.Add(new BatchItemResult
                {
                    BatchId = "evalrun1",
                    ItemId = BatchExpansion.ItemId(agent, "instances", instances[i], "0"),
                    AgentId = agent,
                    TaskId = "instances",
                    TaskType = BatchTaskType.Evaluation,
                    Prompt = $"Fix {instances[i]}",
                    PromptIndex = 0,
                    CaseId = instances[i],
                    Status = resolution == Resolution.Resolved ? BatchItemStatus.Passed : BatchItemStatus.Failed,
                    Attempts = 1,
                    Duration = TimeSpan.FromSeconds(2 + i),
                    Iterations = 1,
                    Tokens = agent == "demo" ? new TokenUsage { Input = 9000, Output = 700 } : TokenUsage.Zero,
                    CostUsd = agent == "demo" ? 0.04m : null,
                    Grade = new InstanceGrade
                    {
                        Resolution = resolution,
                        Method = GradingMethod.JUnit,
                        ExitCode = resolution == Resolution.Resolved ? 0 : 1,
                        Tests = tests,
                        FailToPassTotal = 2,
                        FailToPassPassed = tests.Count(t => t.Expected == TestExpectation.FailToPass && t.Passed),
                        PassToPassTotal = 1,
                        PassToPassPassed = tests.Count(t => t.Expected == TestExpectation.PassToPass && t.Passed),
                    },
                });
            }
        }
        return new BatchReportData
        {
            BatchId = "evalrun1",
            Name = "eval instances.jsonl",
            CreatedAt = new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.Zero),
            Items = items,
            Source = "journal.jsonl",
        };
    }
}
