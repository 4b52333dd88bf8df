using System.Text.Json;
using AmpSessions.Core.Batches;
using AmpSessions.Core.Reports;
using AmpSessions.Core.Serialization;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Reports;

public sealed class BatchReportsTests : IDisposable
{
    private readonly TempDirectory temp = new("amp-report");

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Csv_has_a_header_crlf_rows_and_rfc4180_quoting()
    {
        var data = ReportSamples.Create(temp.Path);
        var path = temp.Combine("out", "report.csv");

        BatchReports.Write(data, ReportFormat.Csv, path);

        var text = File.ReadAllText(path);
        Assert.StartsWith(string.Join(',', BatchReports.CsvColumns) + "\r\n", text);
        Assert.EndsWith("\r\n", text);
        var rows = ParseCsv(text);
        Assert.Equal(13, rows.Count);
        Assert.All(rows, r => Assert.Equal(BatchReports.CsvColumns.Count, r.Count));
        var first = rows[1].Zip(BatchReports.CsvColumns).ToDictionary(p => p.Second, p => p.First);
        Assert.Equal("Add a feature, \"quickly\"\nthen test it", first["prompt"]);
        Assert.Equal("Passed", first["status"]);
        Assert.Equal("1500", first["duration_ms"]);
        Assert.Equal("0.05", first["cost_usd"]);
        Assert.Equal("Bash=1;Read=0;edit_file=2", first["tools"]); // ordinal order
        Assert.Equal("0", first["grading_exit_code"]);
        Assert.Contains(",\"Add a feature, \"\"quickly\"\"\nthen test it\",", text);
        var pending = rows[11].Zip(BatchReports.CsvColumns).ToDictionary(p => p.Second, p => p.First);
        Assert.Equal(("Pending", "", ""), (pending["status"], pending["cost_usd"], pending["log_path"]));
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [InlineData("two\r\nlines", "\"two\r\nlines\"")]
    [InlineData("", "")]
    [InlineData(null, "")]
    public void Csv_fields_are_quoted_only_when_needed(string? value, string expected) => Assert.Equal(expected, BatchReports.CsvField(value));

    [Fact]
    public void Jsonl_has_one_result_per_line_that_reads_back()
    {
        var data = ReportSamples.Create(temp.Path);
        var writer = new StringWriter();

        BatchReports.Render(data, ReportFormat.Jsonl, writer, temp.Path);

        var lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(12, lines.Length);
        var back = lines.Select(l => JsonSerializer.Deserialize<BatchItemResult>(l, JsonOutput.Compact)!).ToList();
        Assert.Equal(data.Items.Select(i => (i.ItemId, i.Status, i.CostUsd, i.Tokens.Input)), back.Select(i => (i.ItemId, i.Status, i.CostUsd, i.Tokens.Input)));
        Assert.Contains("\"status\":\"TimedOut\"", lines[6]);
    }

    [Fact]
    public void Html_is_self_contained_with_charts_intervals_a_matrix_and_relative_log_links()
    {
        var data = ReportSamples.Create(temp.Path);
        var path = temp.Combine("report.html");

        BatchReports.Write(data, ReportFormat.Html, path);

        var html = File.ReadAllText(path);
        Assert.StartsWith("<!DOCTYPE html>", html);
        foreach (var forbidden in new[] { "<script", "<link", "@import", "url(", " src=", "https://", "http://cdn", "<iframe" })
        {
            Assert.DoesNotContain(forbidden, html, StringComparison.OrdinalIgnoreCase);
        }
        Assert.Contains("default-src 'none'", html);
        foreach (var section in new[] { "summary", "pass-rate", "tokens", "cost", "duration", "agents", "tools", "matrix", "items" })
        {
            Assert.Contains($"<section id=\"{section}\">", html);
        }
        Assert.Equal(4, CountOf(html, "<svg "));
        Assert.Contains("Report sample &lt;with&gt; &quot;markup&quot;", html);
        Assert.Contains("cheap &lt;b&gt;&amp;&lt;/b&gt;", html);
        Assert.DoesNotContain("<b>&</b>", html);

        // fast: 3 passed of 4 finished → 75% with Wilson [30%, 95%]
        Assert.Contains("75% [30–95%] n=4", html);
        var fastLog = $"logs/{data.Items[0].ItemId}-1.log";
        Assert.Contains($"href=\"{fastLog}\"", html);
        Assert.True(File.Exists(Path.Combine(temp.Path, fastLog)));
        Assert.Equal(11 * 2, CountOf(html, "href=\"logs/")); // each item that ran: matrix cell + table row
        Assert.Equal(12, CountOf(html, "class=\"cell\" style=") - 8); // 12 item cells + 8 legend swatches (one per status, BudgetExceeded included)
    }

    [Fact]
    public void Html_leaves_out_sections_the_batch_did_not_ask_for()
    {
        var data = ReportSamples.Create(temp.Path) with { Metrics = [BatchMetric.SuccessRate] };
        var writer = new StringWriter();

        BatchReports.Render(data, ReportFormat.Html, writer, temp.Path);

        var html = writer.ToString();
        Assert.Contains("<section id=\"pass-rate\">", html);
        Assert.DoesNotContain("<section id=\"tokens\">", html);
        Assert.DoesNotContain("<section id=\"cost\">", html);
        Assert.Equal(1, CountOf(html, "<svg "));
    }

    [Fact]
    public void Log_links_are_relative_to_the_report_and_escaped()
    {
        Assert.Equal("logs/a%20b.log", HtmlReport.Link(Path.Combine(temp.Path, "logs", "a b.log"), temp.Path));
        Assert.Equal("../data/x.log", HtmlReport.Link(Path.Combine(temp.Path, "data", "x.log"), Path.Combine(temp.Path, "reports")));
    }

    private static int CountOf(string text, string part)
    {
        var count = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }

    /// <summary>An RFC 4180 reader: quoted fields may hold commas, doubled quotes and line breaks.</summary>
    private static List<List<string>> ParseCsv(string text)
    {
        var rows = new List<List<string>>();
        var row = new List<string>();
        var field = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') { quoted = false; }
                else { field.Append(c); }
            }
            else if (c == '"') { quoted = true; }
            else if (c == ',') { row.Add(field.ToString()); field.Clear(); }
            else if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                row.Add(field.ToString());
                field.Clear();
                rows.Add(row);
                row = [];
                i++;
            }
            else { field.Append(c); }
        }
        return rows;
    }
}
