using AmpSessions.Core.Batches;

namespace AmpSessions.Core.Reports;

/// <summary>What a report shows: a batch (or merged shards) and one result per item.</summary>
public sealed record BatchReportData
{
    public required string BatchId { get; init; }
    public required string Name { get; init; }
    public BatchShard? Shard { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public IReadOnlyList<BatchMetric> Metrics { get; init; } = BatchMetricsSettings.AllMetrics;

    /// <summary>One entry per item; items that have not run are Pending.</summary>
    public required IReadOnlyList<BatchItemResult> Items { get; init; }

    /// <summary>Items the batch expected that the source has no record of (a journal of a batch that was never resumed).</summary>
    public int MissingItems { get; init; }

    /// <summary>Where the data came from (a journal or the store's batch), for the page's header.</summary>
    public string? Source { get; init; }

    /// <summary>The batch's budget, when it had one: the report shows it beside what was spent.</summary>
    public Budgets.Budget? Budget { get; init; }

    public bool Shows(BatchMetric metric) => Metrics.Contains(metric);

    /// <summary>Reads a journal (a batch's, or one written by merge).</summary>
    public static BatchReportData FromJournal(string path)
    {
        var journal = BatchJournal.Read(path);
        var items = journal.Latest();
        var known = items.Select(i => i.ItemId).ToHashSet(StringComparer.Ordinal);
        return new BatchReportData
        {
            BatchId = journal.Header.BatchId,
            Name = journal.Header.Name,
            Shard = journal.Header.Shard,
            CreatedAt = journal.Header.CreatedAt,
            Metrics = journal.Header.Metrics,
            Items = items,
            MissingItems = journal.Header.ItemIds.Count(id => !known.Contains(id)),
            Source = journal.Path,
            Budget = journal.Header.Budget,
        };
    }
}
