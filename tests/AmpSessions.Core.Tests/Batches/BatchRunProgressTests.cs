using AmpSessions.Core.Batches;
using AmpSessions.Core.Jobs;
using AmpSessions.Testing.Batches;
using static AmpSessions.Testing.Batches.BatchWorkspace;

namespace AmpSessions.Core.Tests.Batches;

/// <summary>What the module turns into Write-Progress: a batch activity with a child activity per running item.</summary>
[Collection(BatchRunCollection.Name)]
public sealed class BatchRunProgressTests : IDisposable
{
    private readonly BatchRunTestBed bed = new();

    public void Dispose() => bed.Dispose();

    // A run that is never started: only its writer and its event channel are used.
    private static BackgroundRun<int> Sink() => new("progress", (_, _) => Task.FromResult(0));

    private static List<RunProgress> Drain(BackgroundRun<int> sink)
    {
        var records = new List<RunProgress>();
        while (sink.Events.TryRead(out var item))
        {
            records.Add(Assert.IsType<RunProgress>(item.Progress));
        }
        return records;
    }

    [Fact]
    public async Task A_run_reports_one_batch_activity_and_a_nested_activity_per_item_each_completed_once()
    {
        var ws = bed.Workspace;
        var file = bed.WriteBatch("  concurrency: 3\n  retry_policy:\n    max_attempts: 2\n    backoff_ms: 50",
            ws.Agent("steady", ws.Script("steady", Succeeds(sleepMs: 150))),
            ws.Agent("flaky", ws.Script("flaky", FailsFirstTime(sleepMs: 150))));
        var sink = Sink();

        var result = await bed.Service.RunAsync(new BatchRunRequest { FilePath = file }, new BatchRunProgress(sink.Writer));

        var records = Drain(sink);
        var batchKey = BatchRunProgress.BatchKey(result.BatchId);
        var batch = records.Where(r => r.Key == batchKey).ToList();
        Assert.All(batch, r => Assert.Null(r.ParentKey));
        Assert.Equal(0, batch[0].PercentComplete);
        Assert.Contains("0 of 8 items done", batch[0].Status, StringComparison.Ordinal);
        var percents = batch.Select(r => r.PercentComplete ?? -1).ToList();
        Assert.Equal(percents.Order(), percents);
        Assert.True(batch[^1].IsCompleted);
        Assert.Equal("Completed: 8 of 8 items finished", batch[^1].Status);
        Assert.Single(batch, r => r.IsCompleted);
        Assert.Equal(100, batch[^2].PercentComplete);
        Assert.Contains(batch, r => r.CurrentOperation?.StartsWith("running: ", StringComparison.Ordinal) == true);

        // Every item: its own key under the batch, opened, completed once and last, with the item's label.
        var items = records.Where(r => r.Key != batchKey).GroupBy(r => r.Key!).ToList();
        Assert.Equal(bed.Service.Status(result.BatchId).Items.Select(i => BatchRunProgress.ItemKey(result.BatchId, i.ItemId)).Order(StringComparer.Ordinal),
            items.Select(g => g.Key).Order(StringComparer.Ordinal));
        Assert.All(items, item =>
        {
            Assert.All(item, r => Assert.Equal(batchKey, r.ParentKey));
            Assert.StartsWith("attempt 1: running", item.First().Status, StringComparison.Ordinal);
            Assert.True(item.Last().IsCompleted);
            Assert.Single(item, r => r.IsCompleted);
            Assert.Single(item.Select(r => r.Activity).Distinct());
        });
        var flaky = items.Where(g => g.First().Activity.StartsWith("flaky", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, flaky.Count);
        Assert.All(flaky, item =>
        {
            Assert.Contains(item, r => r.Status.Contains("waiting to retry: simulated first-attempt failure", StringComparison.Ordinal));
            Assert.Contains(item, r => r.Status.StartsWith("attempt 2: running", StringComparison.Ordinal));
            // repo-b has no PASS file, so its build grade fails.
            var expected = item.First().Activity.Contains("build (repo-b", StringComparison.Ordinal) ? "failed" : "passed";
            Assert.Equal($"{expected} after 2 attempts", item.Last().Status);
        });

        // Never more item activities open at once than the batch runs items at once.
        var open = new HashSet<string>(StringComparer.Ordinal);
        var most = 0;
        foreach (var record in records.Where(r => r.Key != batchKey))
        {
            if (record.IsCompleted)
            {
                open.Remove(record.Key!);
            }
            else
            {
                open.Add(record.Key!);
            }
            most = Math.Max(most, open.Count);
        }
        Assert.Equal(3, most);
        Assert.Empty(open);
    }

    [Fact]
    public void A_batch_that_ends_with_items_still_running_completes_their_activities_before_its_own()
    {
        var sink = Sink();
        var progress = new BatchRunProgress(sink.Writer);
        BatchItem Item(string id, string repository) => new()
        {
            Id = id, AgentId = "steady", TaskId = "build", TaskType = BatchTaskType.Batch, Prompt = "Add a feature", PromptIndex = 0,
            Repository = repository, RepositoryPath = "/work/" + repository,
        };

        progress.Report(new BatchStarted("b1", "Nightly", 4, 3, 2, new BatchShard(1, 2)));
        progress.Report(new ItemStatusChanged("b1", Item("i1", "repo-a"), BatchItemStatus.Running, 1, null));
        progress.Report(new ItemStatusChanged("b1", Item("i2", "repo-b"), BatchItemStatus.Running, 1, null));
        progress.Report(new BatchFinished("b1", BatchStatus.Cancelled, 1, 4));

        var records = Drain(sink);
        Assert.Equal(
        [
            "batch:b1 - 25 False Batch b1 \"Nightly\": 1 of 4 items done; 3 to run, 2 at once, shard 1/2",
            "batch:b1/item:i1 batch:b1 - False steady × build (repo-a #1): attempt 1: running",
            "batch:b1 - 25 False Batch b1 \"Nightly\": 1 of 4 items done (0 passed, 0 not), 1 running",
            "batch:b1/item:i2 batch:b1 - False steady × build (repo-b #1): attempt 1: running",
            "batch:b1 - 25 False Batch b1 \"Nightly\": 1 of 4 items done (0 passed, 0 not), 2 running",
            "batch:b1/item:i1 batch:b1 100 True steady × build (repo-a #1): stopped",
            "batch:b1/item:i2 batch:b1 100 True steady × build (repo-b #1): stopped",
            "batch:b1 - 100 True Batch b1 \"Nightly\": Cancelled: 1 of 4 items finished",
        ], records.Select(r => $"{r.Key} {r.ParentKey ?? "-"} {r.PercentComplete?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"} {r.IsCompleted} {r.Activity}: {r.Status}"));
        Assert.Equal("/work/repo-a", records[1].CurrentOperation);
        Assert.Equal("running: steady × build (repo-a #1), steady × build (repo-b #1)", records[4].CurrentOperation);
    }
}
