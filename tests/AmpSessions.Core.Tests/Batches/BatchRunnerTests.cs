using AmpSessions.Core.Agents;
using System.Diagnostics;
using AmpSessions.Core.Batches;
using AmpSessions.Core.Errors;
using AmpSessions.Testing;
using AmpSessions.Testing.Batches;
using static AmpSessions.Testing.Batches.BatchWorkspace;

namespace AmpSessions.Core.Tests.Batches;

[Collection(BatchRunCollection.Name)]
public sealed class BatchRunnerTests : IDisposable
{
    private readonly BatchRunTestBed bed = new();

    private BatchWorkspace Ws => bed.Workspace;

    public void Dispose() => bed.Dispose();

    [Fact]
    public async Task Twelve_items_with_retries_stay_within_concurrency_and_isolate_failures()
    {
        var file = bed.WriteBatch("  concurrency: 4\n  timeout_sec: 120\n  retry_policy:\n    max_attempts: 2\n    backoff_ms: 50",
            Ws.Agent("steady", Ws.Script("steady", Succeeds(sleepMs: 400))),
            Ws.Agent("flaky", Ws.Script("flaky", FailsFirstTime(sleepMs: 400))),
            Ws.Agent("broken", Ws.Script("broken", AlwaysErrors())));
        var events = new EventLog();

        var result = await bed.Service.RunAsync(new BatchRunRequest { FilePath = file }, events);

        Assert.Equal(BatchStatus.Completed, result.Status);
        Assert.Equal((12, 12), (result.Total, result.Completed));
        var items = bed.Service.Status(result.BatchId).Items;
        Assert.Equal(
        [
            "steady build repo-a Passed 1 0", "steady build repo-b Failed 1 1", "steady docs repo-a Passed 1 -", "steady docs repo-b Passed 1 -",
            "flaky build repo-a Passed 2 0", "flaky build repo-b Failed 2 1", "flaky docs repo-a Passed 2 -", "flaky docs repo-b Passed 2 -",
            "broken build repo-a Error 2 -", "broken build repo-b Error 2 -", "broken docs repo-a Error 2 -", "broken docs repo-b Error 2 -",
        ], items.Select(i => $"{i.AgentId} {i.TaskId} {i.Repository} {i.Status} {i.Attempts} {i.GradingExitCode?.ToString() ?? "-"}"));

        // Never more than 4 at once, and the limit was used; 4 + 8 + 8 attempts.
        Assert.Equal(4, bed.Runner.MaxConcurrency);
        Assert.Equal(20, bed.Runner.Calls);
        Assert.Equal(20, Ws.Invocations().Count);

        var steady = items[0];
        Assert.Equal(new TokenUsage { Input = 1600, Output = 110, CacheCreation = 300, CacheRead = 900 }, steady.Tokens);
        Assert.Equal(0.007845m, steady.CostUsd); // (1600×3 + 110×15 + 300×3.75 + 900×0.3) / 1e6
        Assert.Equal(new Dictionary<string, int> { ["Bash"] = 1, ["Read"] = 1 }, steady.ToolCalls);
        Assert.Equal(1, steady.Iterations);
        Assert.True(steady.Duration >= TimeSpan.FromMilliseconds(400), $"duration {steady.Duration}");
        Assert.Null(items[4].CostUsd); // no price for flaky
        Assert.Contains("overloaded", items[8].Error);
        Assert.All(items, i => Assert.True(File.Exists(i.LogPath), i.LogPath));
        Assert.Contains("\"type\":\"result\"", File.ReadAllText(items[0].LogPath!));

        // The journal holds each item once, the same as the store.
        var journal = BatchJournal.Read(result.JournalPath);
        Assert.Equal(12, journal.Records.Count);
        Assert.Equal(items.Select(i => (i.ItemId, i.Status)).Order(), journal.Latest().Select(i => (i.ItemId, i.Status)).Order());
        Assert.Equal(12, journal.Header.ItemIds.Count);

        var all = events.All;
        var started = Assert.IsType<BatchStarted>(all[0]);
        Assert.Equal((12, 12, 4), (started.Total, started.Remaining, started.Concurrency));
        var finished = Assert.IsType<BatchFinished>(all[^1]);
        Assert.Equal((BatchStatus.Completed, 12, 12), (finished.Status, finished.Completed, finished.Total));
        var progress = all.OfType<BatchProgress>().ToList();
        Assert.Equal(Enumerable.Range(1, 12), progress.Select(p => p.Completed));
        Assert.Equal((6, 6), (progress[^1].Passed, progress[^1].Failed));
        Assert.Equal(8, all.OfType<ItemStatusChanged>().Count(e => e.Retrying));
        Assert.Equal(20, all.OfType<ItemStatusChanged>().Count(e => e.Status == BatchItemStatus.Running));

        Assert.Equal(["report.jsonl", "report.csv", "report.html"], result.Reports.Select(Path.GetFileName));
        Assert.All(result.Reports, r => Assert.True(File.Exists(r)));
        Assert.Equal(BatchStatus.Completed, bed.Service.Status(result.BatchId).Summary.Status);
    }

    [Fact]
    public async Task An_item_past_its_time_limit_is_killed_and_recorded_as_timed_out()
    {
        var file = bed.WriteBatch("  concurrency: 4\n  timeout_sec: 2\n  retry_policy:\n    max_attempts: 2",
            Ws.Agent("sleepy", "hang"));

        var stopwatch = Stopwatch.StartNew();
        var result = await bed.Service.RunAsync(new BatchRunRequest { FilePath = file });

        Assert.Equal(BatchStatus.Completed, result.Status);
        var items = bed.Service.Status(result.BatchId).Items;
        Assert.All(items, i =>
        {
            Assert.Equal(BatchItemStatus.TimedOut, i.Status);
            Assert.Equal(2, i.Attempts); // time-outs are retried by default
            Assert.Equal("killed at the time limit of 2 s", i.Error);
            Assert.True(i.Duration >= TimeSpan.FromSeconds(4), $"{i.Duration}");
        });
        var invocations = Ws.Invocations();
        // Each attempt's agent was started and then killed (one starting slower than the limit is killed before it records itself).
        Assert.InRange(invocations.Count, 4, 8);
        Assert.All(invocations, i => Assert.False(IsRunning(i.ProcessId), $"fake agent {i.ProcessId} still runs"));
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(30), $"took {stopwatch.Elapsed}");
    }

    [Fact]
    public async Task A_stop_from_another_process_cancels_running_items_and_resume_runs_each_remaining_item_once()
    {
        var gate = Ws.Script("gate", new { hang = true });
        var file = bed.WriteBatch("  concurrency: 2", Ws.Agent("waiter", gate));
        var events = new EventLog();
        var run = bed.Service.RunAsync(new BatchRunRequest { FilePath = file }, events);
        var batchId = await WaitForAsync(() => events.All.OfType<BatchStarted>().FirstOrDefault()?.BatchId);
        await WaitForAsync(() => bed.Service.Status(batchId).Items.Count(i => i.Status == BatchItemStatus.Running) == 2 && Ws.Invocations().Count == 2 ? "" : null);

        var stop = await new CliRunner(Ws.DataDirectory).RunAsync("batch", "stop", batchId);

        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.Contains("Cancelled", stop.StandardOutput);
        var stopped = await run;
        Assert.Equal(BatchStatus.Cancelled, stopped.Status);
        var afterStop = bed.Service.Status(batchId);
        Assert.Equal(BatchStatus.Cancelled, afterStop.Summary.Status);
        // A stored message is shown by the CLI and the module alike, so it says what to do in words, not as one front end's command.
        Assert.EndsWith("items finished: resuming the batch runs the rest.", afterStop.Summary.Batch.Message);
        Assert.Equal(["Cancelled", "Cancelled", "Pending", "Pending"], afterStop.Items.Select(i => i.Status.ToString()).Order());
        Assert.All(Ws.Invocations(), i => Assert.False(IsRunning(i.ProcessId)));

        Ws.Script("gate", Succeeds());
        var resumed = await bed.Service.ResumeAsync(batchId);

        Assert.Equal(BatchStatus.Completed, resumed.Status);
        Assert.Equal(4, resumed.Ran.Count);
        var items = bed.Service.Status(batchId).Items;
        Assert.Equal(new[] { "Passed 2", "Failed 2", "Passed 1", "Passed 1" }.Order(), items.Select(i => $"{i.Status} {i.Attempts}").Order());
        var journal = BatchJournal.Read(stopped.JournalPath);
        Assert.Equal(4, journal.Records.Count(r => r.Status.IsFinished()));
        Assert.Equal(4, journal.Records.Where(r => r.Status.IsFinished()).Select(r => r.ItemId).Distinct().Count());
        Assert.Equal(2, journal.Records.Count(r => r.Status == BatchItemStatus.Cancelled));
    }

    [Fact]
    [Trait("Platform", "Posix")]
    public async Task Resume_after_sigkill_finishes_the_batch_and_never_reruns_a_finished_item()
    {
        var script = Ws.Script("steady", Succeeds(sleepMs: 500));
        var file = bed.WriteBatch("  concurrency: 2", Ws.Agent("one", script), Ws.Agent("two", script));
        string? batchId = null;
        var finishedLines = 0;

        // SIGKILL (Process.Kill) the process running the batch once three items are recorded.
        var killed = await RunHostAsync(["run", file, Ws.DataDirectory], line =>
        {
            batchId ??= line.StartsWith("started ", StringComparison.Ordinal) ? line.Split(' ')[1] : null;
            return line.StartsWith("item ", StringComparison.Ordinal) && ++finishedLines >= 3;
        });

        Assert.True(killed.StoppedByHandler, killed.StandardOutput + killed.StandardError);
        Assert.NotNull(batchId);
        var beforeResume = BatchJournal.Read(bed.Service.Status(batchId).Summary.Batch.JournalPath).Latest().Where(r => r.Status.IsFinished()).ToList();
        Assert.InRange(beforeResume.Count, 3, 7);
        Assert.Equal(BatchStatus.Interrupted, bed.Service.Status(batchId).Summary.Status);
        // Stopping a batch whose process is gone needs nobody to answer: it is Cancelled at once, its Running rows reset.
        var stopped = await bed.Service.StopAsync(batchId, TimeSpan.Zero);
        Assert.Equal(BatchStatus.Cancelled, stopped.Status);
        Assert.DoesNotContain(bed.Service.Status(batchId).Items, i => i.Status == BatchItemStatus.Running);

        var resumeStarted = DateTimeOffset.UtcNow;
        var resumed = await RunHostAsync(["resume", batchId, Ws.DataDirectory], _ => false);

        Assert.True(resumed.ExitCode == 0, resumed.StandardOutput + resumed.StandardError);
        Assert.Contains("finished Completed", resumed.StandardOutput);
        var items = bed.Service.Status(batchId).Items;
        Assert.Equal(8, items.Count);
        Assert.All(items, i => Assert.True(i.Status.IsFinished(), $"{i.ItemId} {i.Status}"));
        var journal = BatchJournal.Read(bed.Service.Status(batchId).Summary.Batch.JournalPath);
        var finished = journal.Records.Where(r => r.Status.IsFinished()).ToList();
        Assert.Equal(8, finished.Count);
        Assert.Equal(items.Select(i => i.ItemId).Order(), finished.Select(r => r.ItemId).Order());

        // Items finished before the kill were not started again.
        var definition = BatchFileParser.Load(file);
        var expanded = BatchExpansion.Expand(definition).ToDictionary(i => i.Id);
        var doneBefore = beforeResume.Select(r => (r.AgentId, expanded[r.ItemId].RepositoryPath, expanded[r.ItemId].Prompt)).ToHashSet();
        var startedAfter = Ws.Invocations().Where(i => i.StartedAt >= resumeStarted).Select(i => (AgentId: i.Agent ?? "", RepositoryPath: i.WorkingDirectory, i.Prompt)).ToList();
        Assert.Equal(8 - beforeResume.Count, startedAfter.Count);
        Assert.DoesNotContain(startedAfter, doneBefore.Contains);
    }

    [Fact]
    public async Task Three_shards_merged_equal_one_unsharded_run()
    {
        var file = bed.WriteBatch("  concurrency: 4",
            Ws.Agent("steady", Ws.Script("steady", Succeeds())),
            Ws.Agent("broken", Ws.Script("broken", AlwaysErrors())),
            Ws.Agent("other", Ws.Script("other", Succeeds())));

        var whole = await bed.Service.RunAsync(new BatchRunRequest { FilePath = file });
        var shards = new List<BatchRunResult>();
        for (var i = 1; i <= 3; i++)
        {
            shards.Add(await bed.Service.RunAsync(new BatchRunRequest { FilePath = file, Shard = new BatchShard(i, 3) }));
        }
        var merged = BatchMerge.Combine(shards.Select(s => s.JournalPath).ToList());

        Assert.Equal([4, 4, 4], shards.Select(s => s.Total));
        Assert.Equal(0, merged.MissingItems);
        Assert.Equal(0, merged.Unfinished);
        var expected = bed.Service.Status(whole.BatchId).Items.Select(i => (i.ItemId, i.Status)).Order().ToList();
        Assert.Equal(12, expected.Count);
        Assert.Equal(expected, merged.Items.Select(i => (i.ItemId, i.Status)).Order());
        Assert.Equal(12, merged.Header.ItemIds.Count);
        Assert.Null(merged.Header.Shard);
        Assert.StartsWith("merged-", merged.Header.BatchId);

        // The merged journal is a journal: it reads back and reports like one.
        var output = Ws.Path("merged.jsonl");
        BatchMerge.Write(merged, output, TextWriter.Null);
        Assert.Equal(expected, BatchJournal.Read(output).Latest().Select(i => (i.ItemId, i.Status)).Order());

        Assert.Equal(4, BatchMerge.Combine([shards[0].JournalPath, shards[1].JournalPath]).MissingItems);
        Assert.Equal("AmpBatchItemFinishedTwice",
            Assert.Throws<AmpSessionsException>(() => BatchMerge.Combine([whole.JournalPath, shards[0].JournalPath])).ErrorId);
        Assert.Equal("AmpUsageJournalGivenTwice",
            Assert.Throws<AmpSessionsException>(() => BatchMerge.Combine([shards[0].JournalPath, shards[0].JournalPath])).ErrorId);
        File.AppendAllText(file, "\n# edited\n");
        var other = await bed.Service.RunAsync(new BatchRunRequest { FilePath = file, Shard = new BatchShard(2, 3) });
        Assert.Equal("AmpBatchJournalsMismatch",
            Assert.Throws<AmpSessionsException>(() => BatchMerge.Combine([shards[0].JournalPath, other.JournalPath])).ErrorId);
    }

    [Fact]
    public async Task Evaluation_cases_are_graded_by_their_command_exit_code()
    {
        foreach (var (name, grade) in new[] { ("passes", "true"), ("fails", "false"), ("crashes", "exit 3") })
        {
            Ws.Folder($"cases/{name}/repo");
            Ws.WriteFile($"cases/{name}/case.yaml", $"prompt: Solve {name}\nrepo: ./repo\ngrade: \"{grade}\"\n");
        }
        var file = Ws.WriteFile("eval.yaml", $"""
            version: 3
            agents:
            {Ws.Agent("solver", Ws.Script("solver", Succeeds()))}
            tasks:
              - id: suite
                type: evaluation
                dataset: tiny
                cases_dir: ./cases
            """);

        var result = await bed.Service.RunAsync(new BatchRunRequest { FilePath = file });

        var items = bed.Service.Status(result.BatchId).Items;
        Assert.Equal(["crashes Failed 3", "fails Failed 1", "passes Passed 0"],
            items.Select(i => $"{i.CaseId} {i.Status} {i.GradingExitCode}"));
        Assert.All(items, i => Assert.Equal(BatchTaskType.Evaluation, i.TaskType));
        Assert.Equal(["Solve crashes", "Solve fails", "Solve passes"], Ws.Invocations().Select(i => i.Prompt).Order());
    }

    [Fact]
    public async Task An_agent_that_cannot_start_is_an_error_for_its_items_only()
    {
        var file = bed.WriteBatch("  concurrency: 2",
            Ws.Agent("steady", Ws.Script("steady", Succeeds())),
            "  - id: ghost\n    command: [\"./no-such-agent\"]");

        var result = await bed.Service.RunAsync(new BatchRunRequest { FilePath = file });

        Assert.Equal(BatchStatus.Completed, result.Status);
        var items = bed.Service.Status(result.BatchId).Items;
        Assert.Equal(["Passed", "Failed", "Passed", "Passed"], items.Where(i => i.AgentId == "steady").Select(i => i.Status.ToString()));
        Assert.All(items.Where(i => i.AgentId == "ghost"), i =>
        {
            Assert.Equal(BatchItemStatus.Error, i.Status);
            Assert.StartsWith("AmpExecutableNotFound: ", i.Error);
            Assert.Contains("no-such-agent", i.Error);
        });
    }

    [Fact]
    public async Task Resume_refuses_a_batch_that_a_live_process_runs()
    {
        var file = bed.WriteBatch("  concurrency: 1", Ws.Agent("waiter", Ws.Script("gate", new { hang = true })));
        var events = new EventLog();
        var run = bed.Service.RunAsync(new BatchRunRequest { FilePath = file }, events);
        var batchId = await WaitForAsync(() => events.All.OfType<BatchStarted>().FirstOrDefault()?.BatchId);

        var ex = await Assert.ThrowsAsync<AmpSessionsException>(() => bed.Service.ResumeAsync(batchId));

        Assert.Equal("AmpBatchRunning", ex.ErrorId);
        Assert.Contains($"is running in process {Environment.ProcessId}", ex.Message);
        await bed.Service.StopAsync(batchId, TimeSpan.FromSeconds(30));
        Assert.Equal(BatchStatus.Cancelled, (await run).Status);
    }

    private static Task<Core.Processes.ProcessResult> RunHostAsync(IReadOnlyList<string> arguments, Func<string, bool> stopWhen) =>
        Core.Processes.ProcessRunner.RunAsync(new Core.Processes.ProcessSpec(BatchHost, arguments) { Timeout = TimeSpan.FromMinutes(3) },
            line => line.Stream == Core.Processes.OutputStream.StandardOutput && stopWhen(line.Text)
                ? Core.Processes.LineDecision.Stop
                : Core.Processes.LineDecision.Continue);

    private static string BatchHost => Path.Combine(
        typeof(BatchRunnerTests).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>().Single(a => a.Key == "BatchHostDirectory").Value!,
        OperatingSystem.IsWindows() ? "batch-host.exe" : "batch-host");

    private static bool IsRunning(int processId)
    {
        try
        {
            using var process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static async Task<string> WaitForAsync(Func<string?> probe)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (probe() is { } value)
            {
                return value;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException("the condition did not come true within 60 s");
    }
}
