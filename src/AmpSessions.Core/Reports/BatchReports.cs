using System.Globalization;
using AmpSessions.Core.Batches;
using AmpSessions.Core.Serialization;
using AmpSessions.Core.Storage;

namespace AmpSessions.Core.Reports;

/// <summary>Writes a batch's results as JSONL, CSV or a self-contained HTML page.</summary>
public static class BatchReports
{
    /// <summary>The CSV columns, in order.</summary>
    public static readonly IReadOnlyList<string> CsvColumns =
    [
        "batch_id", "item_id", "agent_id", "task_id", "task_type", "repository", "case_id", "prompt_index", "prompt", "status", "attempts",
        "iterations", "duration_ms", "input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens", "cost_usd", "model", "tools",
        "files_changed", "grading_exit_code", "session_id", "started_at", "ended_at", "error", "log_path",
        "resolution", "fail_to_pass", "pass_to_pass", "grading_method", "tests_not_passing",
    ];

    /// <summary>Writes the report to a file (its folder is created; links in HTML are relative to it).</summary>
    public static BatchReportFile Write(BatchReportData data, ReportFormat format, string path)
    {
        ArgumentNullException.ThrowIfNull(data);
        var fullPath = Path.GetFullPath(path);
        AtomicFile.Write(fullPath, writer => Render(data, format, writer, Path.GetDirectoryName(fullPath)!), "AmpReportUnwritable");
        return new BatchReportFile
        {
            Path = fullPath,
            Format = format,
            BatchId = data.BatchId,
            Name = data.Name,
            Items = data.Items.Count,
            Passed = data.Items.Count(i => i.Status == BatchItemStatus.Passed),
            Source = data.Source,
        };
    }

    /// <summary>Renders the report; HTML links to logs are made relative to <paramref name="linkBase"/>.</summary>
    public static void Render(BatchReportData data, ReportFormat format, TextWriter writer, string linkBase)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(writer);
        switch (format)
        {
            case ReportFormat.Jsonl:
                foreach (var item in data.Items)
                {
                    writer.Write(JsonOutput.Serialize(item, indented: false));
                    writer.Write('\n');
                }
                break;
            case ReportFormat.Csv:
                WriteCsv(data, writer);
                break;
            default:
                writer.Write(HtmlReport.Render(data, linkBase));
                break;
        }
    }

    private static void WriteCsv(BatchReportData data, TextWriter writer)
    {
        // RFC 4180: CRLF line ends, a header row, fields quoted when they hold a comma, quote or line break.
        writer.Write(string.Join(',', CsvColumns));
        writer.Write("\r\n");
        foreach (var i in data.Items)
        {
            string?[] fields =
            [
                i.BatchId, i.ItemId, i.AgentId, i.TaskId, i.TaskType.ToString().ToLowerInvariant(), i.Repository, i.CaseId, Number(i.PromptIndex),
                i.Prompt, i.Status.ToString(), Number(i.Attempts), Number(i.Iterations), Number((long)i.Duration.TotalMilliseconds),
                Number(i.Tokens.Input), Number(i.Tokens.Output), Number(i.Tokens.CacheCreation), Number(i.Tokens.CacheRead),
                i.CostUsd?.ToString(CultureInfo.InvariantCulture), i.Model,
                string.Join(';', i.ToolCalls.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}={t.Value}")),
                Number(i.FilesChanged), Number(i.GradingExitCode), i.SessionId, Time(i.StartedAt), Time(i.EndedAt), i.Error, i.LogPath,
                i.TaskType == BatchTaskType.Evaluation ? Evaluation.EvaluationStatistics.ResolutionOf(i)?.ToString() : null,
                i.Grade?.FailToPassText, i.Grade?.PassToPassText, i.Grade?.Method.ToString(),
                i.Grade is { } grade ? string.Join(';', grade.Tests.Where(t => !t.Passed).Select(t => $"{t.Name}={t.Outcome.ToString().ToLowerInvariant()}")) : null,
            ];
            writer.Write(string.Join(',', fields.Select(CsvField)));
            writer.Write("\r\n");
        }
    }

    /// <summary>One CSV field: quoted (quotes doubled) when it contains a comma, a quote or a line break.</summary>
    public static string CsvField(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }
        return value.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
    }

    private static string? Number(long? value) => value?.ToString(CultureInfo.InvariantCulture);

    private static string? Time(DateTimeOffset? value) => value?.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);
}
