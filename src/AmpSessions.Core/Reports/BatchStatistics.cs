using AmpSessions.Core.Agents;
using AmpSessions.Core.Batches;

namespace AmpSessions.Core.Reports;

/// <summary>
/// Aggregates over a group of items (all of them, one agent's, one task's). The pass rate counts
/// finished items only: passed / (passed + failed + error + timed out); cancelled and not-run
/// items are not trials.
/// </summary>
public sealed record ItemGroupStatistics
{
    public required string Key { get; init; }
    public required int Items { get; init; }
    public required IReadOnlyDictionary<BatchItemStatus, int> Counts { get; init; }
    public int Passed => Count(BatchItemStatus.Passed);
    public int Failed => Count(BatchItemStatus.Failed);
    public int Errors => Count(BatchItemStatus.Error);
    public int TimedOut => Count(BatchItemStatus.TimedOut);
    public int Cancelled => Count(BatchItemStatus.Cancelled);
    public int BudgetExceeded => Count(BatchItemStatus.BudgetExceeded);
    public int NotRun => Count(BatchItemStatus.Pending) + Count(BatchItemStatus.Running);

    /// <summary>Finished items: the trials of the pass rate.</summary>
    public int Trials => Passed + Failed + Errors + TimedOut + BudgetExceeded;

    /// <summary>Null when nothing finished.</summary>
    public double? PassRate => Trials == 0 ? null : (double)Passed / Trials;

    public ConfidenceInterval PassRateInterval => WilsonInterval.Compute(Passed, Trials);
    public required TokenUsage Tokens { get; init; }

    /// <summary>Null when no item had a price.</summary>
    public decimal? CostUsd { get; init; }

    public required TimeSpan TotalDuration { get; init; }

    /// <summary>Mean over items that ran; null when none did.</summary>
    public TimeSpan? MeanDuration { get; init; }

    public TimeSpan? MinDuration { get; init; }
    public TimeSpan? MaxDuration { get; init; }
    public double? MeanIterations { get; init; }
    public required IReadOnlyDictionary<string, int> ToolCalls { get; init; }
    public int FilesChanged { get; init; }

    private int Count(BatchItemStatus status) => Counts.GetValueOrDefault(status);

    public static ItemGroupStatistics Of(string key, IReadOnlyCollection<BatchItemResult> items)
    {
        var ran = items.Where(i => i.Status is not (BatchItemStatus.Pending or BatchItemStatus.Running)).ToList();
        var priced = items.Where(i => i.CostUsd is not null).ToList();
        var tools = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var (tool, count) in items.SelectMany(i => i.ToolCalls))
        {
            tools[tool] = tools.GetValueOrDefault(tool) + count;
        }
        return new ItemGroupStatistics
        {
            Key = key,
            Items = items.Count,
            Counts = items.GroupBy(i => i.Status).ToDictionary(g => g.Key, g => g.Count()),
            Tokens = items.Aggregate(TokenUsage.Zero, (sum, i) => sum.Add(i.Tokens)),
            CostUsd = priced.Count == 0 ? null : priced.Sum(i => i.CostUsd!.Value),
            TotalDuration = TimeSpan.FromTicks(items.Sum(i => i.Duration.Ticks)),
            MeanDuration = ran.Count == 0 ? null : TimeSpan.FromTicks((long)ran.Average(i => i.Duration.Ticks)),
            MinDuration = ran.Count == 0 ? null : ran.Min(i => i.Duration),
            MaxDuration = ran.Count == 0 ? null : ran.Max(i => i.Duration),
            MeanIterations = ran.Count == 0 ? null : ran.Average(i => i.Iterations),
            ToolCalls = tools,
            FilesChanged = items.Sum(i => i.FilesChanged),
        };
    }
}

/// <summary>The whole batch, per agent and per task, in the order items first name them.</summary>
public sealed record BatchStatistics
{
    public required ItemGroupStatistics Overall { get; init; }
    public required IReadOnlyList<ItemGroupStatistics> ByAgent { get; init; }
    public required IReadOnlyList<ItemGroupStatistics> ByTask { get; init; }

    public static BatchStatistics Compute(IReadOnlyList<BatchItemResult> items) => new()
    {
        Overall = ItemGroupStatistics.Of("all", items),
        ByAgent = items.GroupBy(i => i.AgentId).Select(g => ItemGroupStatistics.Of(g.Key, g.ToList())).ToList(),
        ByTask = items.GroupBy(i => i.TaskId).Select(g => ItemGroupStatistics.Of(g.Key, g.ToList())).ToList(),
    };
}
