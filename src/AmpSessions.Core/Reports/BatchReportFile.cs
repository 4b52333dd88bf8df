namespace AmpSessions.Core.Reports;

/// <summary>A report written to a file: where, in which format, and of what.</summary>
public sealed record BatchReportFile
{
    /// <summary>The report file, absolute.</summary>
    public required string Path { get; init; }

    public required ReportFormat Format { get; init; }
    public required string BatchId { get; init; }
    public required string Name { get; init; }

    /// <summary>Items in the report.</summary>
    public required int Items { get; init; }

    public required int Passed { get; init; }

    /// <summary>The journal the results came from.</summary>
    public string? Source { get; init; }
}
