namespace AmpSessions.Core.Reports;

/// <summary>The report formats (lowercase in batch files and on the command line).</summary>
public enum ReportFormat
{
    /// <summary>One JSON object per item per line.</summary>
    Jsonl,
    /// <summary>One row per item, RFC 4180 quoting.</summary>
    Csv,
    /// <summary>A self-contained page with charts (no network needed).</summary>
    Html,
}

public static class ReportFormats
{
    public static string Extension(ReportFormat format) => format switch
    {
        ReportFormat.Jsonl => ".jsonl",
        ReportFormat.Csv => ".csv",
        _ => ".html",
    };

    public static bool TryParse(string text, out ReportFormat format) =>
        Enum.TryParse(text.Trim(), ignoreCase: true, out format) && Enum.IsDefined(format) && !int.TryParse(text, out _);

    public static string Names => string.Join(", ", Enum.GetNames<ReportFormat>().Select(n => n.ToLowerInvariant()));
}
