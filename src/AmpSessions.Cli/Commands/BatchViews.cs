using System.Globalization;
using AmpSessions.Core.Batches;

namespace AmpSessions.Cli.Commands;

/// <summary>Words and durations for batch output.</summary>
internal static class BatchText
{
    /// <summary>"5/12 finished, 3 passed, 1 failed, 1 error" (only the statuses present).</summary>
    public static string Counts(BatchSummary summary)
    {
        var parts = new List<string> { $"{summary.Finished}/{summary.Total} finished" };
        foreach (var status in new[] { BatchItemStatus.Passed, BatchItemStatus.Failed, BatchItemStatus.Error, BatchItemStatus.TimedOut, BatchItemStatus.Cancelled, BatchItemStatus.Running })
        {
            if (summary.Counts.GetValueOrDefault(status) is > 0 and var count)
            {
                parts.Add($"{count} {Status(status)}");
            }
        }
        return string.Join(", ", parts);
    }

    public static string Status(BatchItemStatus status) => status switch
    {
        BatchItemStatus.TimedOut => "timed out",
        BatchItemStatus.Pending => "not run",
        _ => status.ToString().ToLowerInvariant(),
    };

    /// <summary>"1 case", "3 cases".</summary>
    public static string Count(int count, string noun) => $"{count} {noun}{(count == 1 ? "" : "s")}";

    public static string Duration(TimeSpan duration) => Core.Display.DisplayFormat.Duration(duration);
}
