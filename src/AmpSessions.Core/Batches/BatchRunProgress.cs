using System.Globalization;
using AmpSessions.Core.Jobs;

namespace AmpSessions.Core.Batches;

/// <summary>
/// Turns a running batch's events into progress activities on a <see cref="RunEventWriter"/>:
/// one activity per batch (items done, percent, what runs now) and, nested under it, one per
/// running item (its attempt, or the wait before a retry), completed when the item ends; the
/// batch's activity is completed when the run ends. The module shows them with Write-Progress.
/// Thread-safe: items report from several workers at once.
/// </summary>
public sealed class BatchRunProgress(RunEventWriter events) : IProgress<BatchEvent>
{
    private readonly object sync = new();
    private readonly Dictionary<string, string> running = new(StringComparer.Ordinal);
    private string activity = "Batch";
    private int completed;
    private int total;
    private int passed;
    private int failed;

    /// <summary>The key of a batch's activity.</summary>
    public static string BatchKey(string batchId) => "batch:" + batchId;

    /// <summary>The key of one item's activity (nested under <see cref="BatchKey"/>).</summary>
    public static string ItemKey(string batchId, string itemId) => $"batch:{batchId}/item:{itemId}";

    public void Report(BatchEvent value)
    {
        ArgumentNullException.ThrowIfNull(value);
        lock (sync)
        {
            switch (value)
            {
                case BatchStarted s:
                    activity = $"Batch {s.BatchId} \"{s.Name}\"";
                    total = s.Total;
                    completed = s.Total - s.Remaining;
                    ReportBatch(s.BatchId, $"{completed} of {total} items done; {s.Remaining} to run, {s.Concurrency} at once{(s.Shard is null ? "" : $", shard {s.Shard}")}");
                    break;
                case BatchProgress p:
                    (completed, total, passed, failed) = (p.Completed, p.Total, p.Passed, p.Failed);
                    ReportBatch(p.BatchId, Counts());
                    break;
                case ItemStatusChanged { Status: BatchItemStatus.Running } e:
                    running[e.Item.Id] = e.Item.Label;
                    events.Progress(e.Item.Label, $"attempt {e.Attempt.ToString(CultureInfo.InvariantCulture)}: running", currentOperation: e.Item.RepositoryPath,
                        key: ItemKey(e.BatchId, e.Item.Id), parentKey: BatchKey(e.BatchId));
                    ReportBatch(e.BatchId, Counts());
                    break;
                case ItemStatusChanged { Retrying: true } e:
                    running[e.Item.Id] = e.Item.Label;
                    events.Progress(e.Item.Label, $"attempt {e.Attempt.ToString(CultureInfo.InvariantCulture)} {Describe(e.Status)}, waiting to retry{(e.Message is null ? "" : $": {e.Message}")}",
                        key: ItemKey(e.BatchId, e.Item.Id), parentKey: BatchKey(e.BatchId));
                    break;
                case ItemStatusChanged e:
                    running.Remove(e.Item.Id);
                    events.CompleteProgress(e.Item.Label, $"{Describe(e.Status)}{(e.Attempt > 1 ? $" after {e.Attempt.ToString(CultureInfo.InvariantCulture)} attempts" : "")}{(e.Message is null ? "" : $": {e.Message}")}",
                        key: ItemKey(e.BatchId, e.Item.Id), parentKey: BatchKey(e.BatchId));
                    break;
                case BatchFinished f:
                    foreach (var itemId in running.Keys)
                    {
                        events.CompleteProgress(running[itemId], "stopped", ItemKey(f.BatchId, itemId), BatchKey(f.BatchId));
                    }
                    running.Clear();
                    events.CompleteProgress(activity, $"{f.Status}: {f.Completed.ToString(CultureInfo.InvariantCulture)} of {f.Total.ToString(CultureInfo.InvariantCulture)} items finished", BatchKey(f.BatchId));
                    break;
            }
        }
    }

    private void ReportBatch(string batchId, string status) =>
        events.Progress(activity, status, total == 0 ? 100 : Math.Clamp(completed * 100 / total, 0, 100),
            running.Count == 0 ? null : "running: " + string.Join(", ", running.Values), key: BatchKey(batchId));

    private string Counts() => string.Create(CultureInfo.InvariantCulture,
        $"{completed} of {total} items done ({passed} passed, {failed} not), {running.Count} running");

    private static string Describe(BatchItemStatus status) => status switch
    {
        BatchItemStatus.TimedOut => "timed out",
        BatchItemStatus.BudgetExceeded => "stopped by the budget",
        _ => status.ToString().ToLowerInvariant(),
    };
}
