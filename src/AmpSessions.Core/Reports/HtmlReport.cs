using System.Globalization;
using System.Net;
using System.Text;
using AmpSessions.Core.Batches;

namespace AmpSessions.Core.Reports;

/// <summary>
/// The HTML report: one self-contained page (inline CSS and SVG, no script, no web fonts, no
/// network) with a summary, pass rate per agent with 95% Wilson intervals, tokens, cost and
/// duration per agent, tool use, and an agent × task matrix of items coloured by result, each
/// linking to its log.
/// </summary>
public static class HtmlReport
{
    private static readonly (BatchItemStatus Status, string Color, string Mark, string Text)[] Palette =
    [
        (BatchItemStatus.Passed, "#15803d", "P", "passed"),
        (BatchItemStatus.Failed, "#dc2626", "F", "failed"),
        (BatchItemStatus.Error, "#7c3aed", "E", "error"),
        (BatchItemStatus.TimedOut, "#ea580c", "T", "timed out"),
        (BatchItemStatus.Cancelled, "#6b7280", "C", "cancelled"),
        (BatchItemStatus.Running, "#0ea5e9", "R", "running"),
        (BatchItemStatus.Pending, "#cbd5e1", "·", "not run"),
    ];

    private const string Css = """
        :root { color-scheme: light; }
        * { box-sizing: border-box; }
        body { margin: 0; background: #f8fafc; color: #111827; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
        main { max-width: 1120px; margin: 0 auto; padding: 24px 28px 48px; }
        h1 { font-size: 24px; margin: 0 0 4px; }
        h2 { font-size: 17px; margin: 32px 0 10px; border-bottom: 1px solid #e5e7eb; padding-bottom: 4px; }
        .meta { color: #4b5563; margin: 0 0 18px; }
        .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 10px; }
        .card { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 10px 12px; }
        .card .k { color: #6b7280; font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
        .card .v { font-size: 22px; font-weight: 600; }
        .card .s { color: #4b5563; font-size: 12px; }
        .chart { display: block; max-width: 100%; height: auto; background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; }
        .chart text { font-size: 12px; fill: #111827; font-family: inherit; }
        .chart .tick, .chart .legend { fill: #4b5563; font-size: 11px; }
        table { border-collapse: collapse; background: #fff; width: 100%; border: 1px solid #e5e7eb; }
        th, td { padding: 5px 8px; border-bottom: 1px solid #eef2f7; text-align: left; vertical-align: top; }
        th { background: #f1f5f9; font-weight: 600; font-size: 12px; }
        td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
        .matrix td { min-width: 120px; }
        .cells { display: flex; flex-wrap: wrap; gap: 3px; }
        .cell { display: inline-block; width: 20px; height: 20px; border-radius: 3px; color: #fff; font-size: 11px; font-weight: 700; line-height: 20px; text-align: center; text-decoration: none; }
        .badge { display: inline-block; padding: 0 7px; border-radius: 9px; color: #fff; font-size: 12px; white-space: nowrap; }
        td code { white-space: nowrap; }
        .legend-row { display: flex; flex-wrap: wrap; gap: 14px; margin: 8px 0; color: #374151; }
        .legend-row span { display: inline-flex; align-items: center; gap: 5px; }
        .prompt { max-width: 340px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
        .note { color: #6b7280; font-size: 12px; }
        """;

    public static string Render(BatchReportData data, string linkBase)
    {
        var stats = BatchStatistics.Compute(data.Items);
        var html = new StringBuilder(16 * 1024 + data.Items.Count * 600);
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        // Nothing may load from elsewhere: the page must work offline and from a CI artifact.
        html.Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n");
        html.Append(CultureInfo.InvariantCulture, $"<title>{E(data.Name)} — batch {E(data.BatchId)}</title>\n<style>\n{Css}\n</style>\n</head>\n<body>\n<main>\n");
        html.Append(CultureInfo.InvariantCulture, $"<h1>{E(data.Name)}</h1>\n<p class=\"meta\">Batch <code>{E(data.BatchId)}</code>{(data.Shard is null ? "" : $", shard {E(data.Shard.ToString())}")}, created {E(data.CreatedAt.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture))}");
        html.Append(CultureInfo.InvariantCulture, $"{(data.Source is null ? "" : $" · from <code>{E(data.Source)}</code>")}</p>\n");

        Summary(html, data, stats);
        if (data.Shows(BatchMetric.SuccessRate))
        {
            PassRates(html, stats);
        }
        if (data.Shows(BatchMetric.TokenUsage))
        {
            Tokens(html, stats);
        }
        if (data.Shows(BatchMetric.CostAnalysis))
        {
            Costs(html, stats);
        }
        if (data.Shows(BatchMetric.ExecutionTime))
        {
            Durations(html, stats);
        }
        EvaluationHtml.Sections(html, data);
        AgentTable(html, data, stats);
        if (data.Shows(BatchMetric.ToolUsageStats))
        {
            Tools(html, stats);
        }
        Matrix(html, data, stats, linkBase);
        ItemTable(html, data, linkBase);
        html.Append("<p class=\"note\">Pass rate = passed ÷ finished items (passed, failed, error, timed out); cancelled and not-run items are not counted. Intervals are 95% Wilson score intervals.</p>\n");
        html.Append("</main>\n</body>\n</html>\n");
        return html.ToString();
    }

    private static void Summary(StringBuilder html, BatchReportData data, BatchStatistics stats)
    {
        var o = stats.Overall;
        html.Append("<section id=\"summary\"><h2>Summary</h2><div class=\"cards\">\n");
        Card(html, "Items", N(o.Items + data.MissingItems), data.MissingItems > 0 ? $"{N(data.MissingItems)} with no record" : $"{N(o.Trials)} finished");
        Card(html, "Pass rate", Percent(o.PassRate), o.Trials == 0 ? "nothing finished" : $"95% CI {Interval(o.PassRateInterval)}");
        Card(html, "Passed", N(o.Passed), $"of {N(o.Trials)} finished");
        Card(html, "Failed / error", $"{N(o.Failed)} / {N(o.Errors)}", $"{N(o.TimedOut)} timed out");
        Card(html, "Cancelled / not run", $"{N(o.Cancelled)} / {N(o.NotRun)}", "resume runs these");
        if (data.Shows(BatchMetric.TokenUsage))
        {
            Card(html, "Tokens", Compact(o.Tokens.Total), $"{Compact(o.Tokens.Input)} in · {Compact(o.Tokens.Output)} out");
        }
        if (data.Shows(BatchMetric.CostAnalysis))
        {
            Card(html, "Cost", Money(o.CostUsd), o.CostUsd is null ? "no price table" : "USD, from the price table");
        }
        if (data.Shows(BatchMetric.ExecutionTime))
        {
            Card(html, "Run time", Duration(o.TotalDuration), o.MeanDuration is { } mean ? $"mean {Duration(mean)} per item" : "nothing ran");
        }
        if (data.Shows(BatchMetric.AvgIterations))
        {
            Card(html, "Iterations", o.MeanIterations is { } it ? it.ToString("0.0", CultureInfo.InvariantCulture) : "–", "mean per item");
        }
        html.Append("</div></section>\n");
    }

    private static void PassRates(StringBuilder html, BatchStatistics stats)
    {
        var bars = stats.ByAgent.Select(a => new Bar(a.Key, a.PassRate ?? 0,
            a.PassRate is null ? "no finished items" : $"{Percent(a.PassRate)} [{Interval(a.PassRateInterval)}] n={a.Trials}",
            "#15803d", $"{a.Key}: {a.Passed} of {a.Trials} passed")
        {
            Lower = a.Trials == 0 ? null : a.PassRateInterval.Lower,
            Upper = a.Trials == 0 ? null : a.PassRateInterval.Upper,
        }).ToList();
        html.Append("<section id=\"pass-rate\"><h2>Pass rate per agent (95% Wilson interval)</h2>\n");
        html.Append(SvgChart.Bars("Pass rate per agent", bars, 1, v => $"{v * 100:0}%")).Append("\n</section>\n");
    }

    private static void Tokens(StringBuilder html, BatchStatistics stats)
    {
        (string Name, string Color)[] legend = [("input", "#2563eb"), ("output", "#f59e0b"), ("cache creation", "#a855f7"), ("cache read", "#14b8a6")];
        var bars = stats.ByAgent.Select(a => new StackedBar(a.Key,
            [(a.Tokens.Input, legend[0].Color, legend[0].Name), (a.Tokens.Output, legend[1].Color, legend[1].Name),
             (a.Tokens.CacheCreation, legend[2].Color, legend[2].Name), (a.Tokens.CacheRead, legend[3].Color, legend[3].Name)],
            $"{Compact(a.Tokens.Total)} tokens")).ToList();
        html.Append("<section id=\"tokens\"><h2>Tokens per agent</h2>\n");
        html.Append(SvgChart.Stacked("Tokens per agent", bars, legend, v => Compact((long)v))).Append("\n</section>\n");
    }

    private static void Costs(StringBuilder html, BatchStatistics stats)
    {
        html.Append("<section id=\"cost\"><h2>Cost per agent (USD)</h2>\n");
        if (stats.ByAgent.All(a => a.CostUsd is null))
        {
            html.Append("<p class=\"note\">No item has a price: add a <code>prices</code> table to the batch file (USD per million tokens per agent or model).</p>\n</section>\n");
            return;
        }
        var max = SvgChart.NiceMax((double)stats.ByAgent.Max(a => a.CostUsd ?? 0));
        var bars = stats.ByAgent.Select(a => new Bar(a.Key, (double)(a.CostUsd ?? 0), a.CostUsd is null ? "no price" : Money(a.CostUsd), "#b45309",
            $"{a.Key}: {Money(a.CostUsd)}")).ToList();
        html.Append(SvgChart.Bars("Cost per agent", bars, max, v => "$" + v.ToString(v >= 10 ? "0" : "0.###", CultureInfo.InvariantCulture))).Append("\n</section>\n");
    }

    private static void Durations(StringBuilder html, BatchStatistics stats)
    {
        var max = SvgChart.NiceMax(stats.ByAgent.Max(a => a.MaxDuration?.TotalSeconds ?? 0));
        var bars = stats.ByAgent.Select(a => new Bar(a.Key, a.MeanDuration?.TotalSeconds ?? 0,
            a.MeanDuration is { } mean ? $"mean {Duration(mean)} ({Duration(a.MinDuration!.Value)} – {Duration(a.MaxDuration!.Value)})" : "nothing ran",
            "#0369a1", $"{a.Key}: mean {Duration(a.MeanDuration ?? TimeSpan.Zero)}, total {Duration(a.TotalDuration)}")
        {
            Lower = a.MinDuration?.TotalSeconds,
            Upper = a.MaxDuration?.TotalSeconds,
        }).ToList();
        html.Append("<section id=\"duration\"><h2>Duration per item, by agent (mean, range)</h2>\n");
        html.Append(SvgChart.Bars("Duration per agent", bars, max, v => Duration(TimeSpan.FromSeconds(v)))).Append("\n</section>\n");
    }

    private static void AgentTable(StringBuilder html, BatchReportData data, BatchStatistics stats)
    {
        html.Append("<section id=\"agents\"><h2>Agents</h2>\n<table><thead><tr><th>Agent</th><th class=\"n\">Items</th><th class=\"n\">Passed</th><th class=\"n\">Failed</th><th class=\"n\">Error</th><th class=\"n\">Timed out</th><th class=\"n\">Pass rate</th><th>95% CI</th>");
        html.Append(data.Shows(BatchMetric.AvgIterations) ? "<th class=\"n\">Avg iterations</th>" : "");
        html.Append(data.Shows(BatchMetric.TokenUsage) ? "<th class=\"n\">Tokens</th>" : "");
        html.Append(data.Shows(BatchMetric.CostAnalysis) ? "<th class=\"n\">Cost</th>" : "");
        html.Append(data.Shows(BatchMetric.ExecutionTime) ? "<th class=\"n\">Mean duration</th>" : "");
        html.Append("</tr></thead><tbody>\n");
        foreach (var a in stats.ByAgent)
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(a.Key)}</td><td class=\"n\">{a.Items}</td><td class=\"n\">{a.Passed}</td><td class=\"n\">{a.Failed}</td><td class=\"n\">{a.Errors}</td><td class=\"n\">{a.TimedOut}</td><td class=\"n\">{Percent(a.PassRate)}</td><td>{(a.Trials == 0 ? "–" : Interval(a.PassRateInterval))}</td>");
            html.Append(data.Shows(BatchMetric.AvgIterations) ? $"<td class=\"n\">{(a.MeanIterations is { } it ? it.ToString("0.0", CultureInfo.InvariantCulture) : "–")}</td>" : "");
            html.Append(data.Shows(BatchMetric.TokenUsage) ? $"<td class=\"n\">{N(a.Tokens.Total)}</td>" : "");
            html.Append(data.Shows(BatchMetric.CostAnalysis) ? $"<td class=\"n\">{Money(a.CostUsd)}</td>" : "");
            html.Append(data.Shows(BatchMetric.ExecutionTime) ? $"<td class=\"n\">{(a.MeanDuration is { } d ? Duration(d) : "–")}</td>" : "");
            html.Append("</tr>\n");
        }
        html.Append("</tbody></table></section>\n");
    }

    private static void Tools(StringBuilder html, BatchStatistics stats)
    {
        var tools = stats.Overall.ToolCalls.OrderByDescending(t => t.Value).ThenBy(t => t.Key, StringComparer.Ordinal).Take(20).Select(t => t.Key).ToList();
        html.Append("<section id=\"tools\"><h2>Tool calls</h2>\n");
        if (tools.Count == 0)
        {
            html.Append("<p class=\"note\">No tool calls were recorded.</p></section>\n");
            return;
        }
        html.Append("<table><thead><tr><th>Tool</th>");
        foreach (var agent in stats.ByAgent)
        {
            html.Append(CultureInfo.InvariantCulture, $"<th class=\"n\">{E(agent.Key)}</th>");
        }
        html.Append("<th class=\"n\">All</th></tr></thead><tbody>\n");
        foreach (var tool in tools)
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><td><code>{E(tool)}</code></td>");
            foreach (var agent in stats.ByAgent)
            {
                html.Append(CultureInfo.InvariantCulture, $"<td class=\"n\">{N(agent.ToolCalls.GetValueOrDefault(tool))}</td>");
            }
            html.Append(CultureInfo.InvariantCulture, $"<td class=\"n\">{N(stats.Overall.ToolCalls[tool])}</td></tr>\n");
        }
        html.Append("</tbody></table></section>\n");
    }

    private static void Matrix(StringBuilder html, BatchReportData data, BatchStatistics stats, string linkBase)
    {
        html.Append("<section id=\"matrix\"><h2>Items: agent × task</h2>\n<div class=\"legend-row\">");
        foreach (var (_, color, mark, text) in Palette)
        {
            html.Append(CultureInfo.InvariantCulture, $"<span><i class=\"cell\" style=\"background:{color}\">{E(mark)}</i>{E(text)}</span>");
        }
        html.Append("</div>\n<table class=\"matrix\"><thead><tr><th>Agent \\ task</th>");
        foreach (var task in stats.ByTask)
        {
            html.Append(CultureInfo.InvariantCulture, $"<th>{E(task.Key)} <span class=\"note\">{Percent(task.PassRate)}</span></th>");
        }
        html.Append("</tr></thead><tbody>\n");
        var byCell = data.Items.ToLookup(i => (i.AgentId, i.TaskId));
        foreach (var agent in stats.ByAgent)
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><th>{E(agent.Key)}</th>");
            foreach (var task in stats.ByTask)
            {
                html.Append("<td><div class=\"cells\">");
                foreach (var item in byCell[(agent.Key, task.Key)])
                {
                    var (_, color, mark, text) = Style(item.Status);
                    var title = $"{item.AgentId} × {item.TaskId} · {item.CaseId ?? item.Repository} · {text} · {Duration(item.Duration)}\n{item.Prompt}";
                    html.Append(item.LogPath is null
                        ? $"<span class=\"cell\" style=\"background:{color}\" title=\"{E(title)}\">{E(mark)}</span>"
                        : $"<a class=\"cell\" style=\"background:{color}\" href=\"{E(Link(item.LogPath, linkBase))}\" title=\"{E(title)}\">{E(mark)}</a>");
                }
                html.Append("</div></td>");
            }
            html.Append("</tr>\n");
        }
        html.Append("</tbody></table></section>\n");
    }

    private static void ItemTable(StringBuilder html, BatchReportData data, string linkBase)
    {
        html.Append("<section id=\"items\"><h2>All items</h2>\n<table><thead><tr><th>Item</th><th>Agent</th><th>Task</th><th>Repository / case</th><th>Prompt</th><th>Status</th><th class=\"n\">Attempts</th><th class=\"n\">Duration</th><th class=\"n\">Tokens</th><th class=\"n\">Cost</th><th class=\"n\">Grade exit</th><th>Log</th></tr></thead><tbody>\n");
        foreach (var item in data.Items)
        {
            var (_, color, _, text) = Style(item.Status);
            html.Append(CultureInfo.InvariantCulture, $"<tr><td><code>{E(item.ItemId)}</code></td><td>{E(item.AgentId)}</td><td>{E(item.TaskId)}</td><td>{E(item.CaseId ?? item.Repository ?? "")}</td>");
            html.Append(CultureInfo.InvariantCulture, $"<td class=\"prompt\" title=\"{E(item.Prompt)}\">{E(item.Prompt)}</td><td><span class=\"badge\" style=\"background:{color}\"{(item.Error is null ? "" : $" title=\"{E(item.Error)}\"")}>{E(text)}</span></td>");
            html.Append(CultureInfo.InvariantCulture, $"<td class=\"n\">{item.Attempts}</td><td class=\"n\">{Duration(item.Duration)}</td><td class=\"n\">{N(item.Tokens.Total)}</td><td class=\"n\">{Money(item.CostUsd)}</td>");
            html.Append(CultureInfo.InvariantCulture, $"<td class=\"n\">{(item.GradingExitCode is { } code ? code.ToString(CultureInfo.InvariantCulture) : "–")}</td>");
            html.Append(item.LogPath is null ? "<td>–</td>" : $"<td><a href=\"{E(Link(item.LogPath, linkBase))}\">log</a></td>");
            html.Append("</tr>\n");
        }
        html.Append("</tbody></table></section>\n");
    }

    private static (BatchItemStatus Status, string Color, string Mark, string Text) Style(BatchItemStatus status) => Palette.First(p => p.Status == status);

    private static void Card(StringBuilder html, string key, string value, string sub) =>
        html.Append(CultureInfo.InvariantCulture, $"<div class=\"card\"><div class=\"k\">{E(key)}</div><div class=\"v\">{E(value)}</div><div class=\"s\">{E(sub)}</div></div>\n");

    /// <summary>A link from the report's folder to a log: relative (so the folder can be moved or archived whole), escaped per segment.</summary>
    public static string Link(string target, string linkBase)
    {
        var relative = Path.GetRelativePath(Path.GetFullPath(linkBase), Path.GetFullPath(target));
        if (Path.IsPathRooted(relative))
        {
            return new Uri(Path.GetFullPath(target)).AbsoluteUri;
        }
        return string.Join('/', relative.Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar).Select(Uri.EscapeDataString));
    }

    internal static string E(string text) => WebUtility.HtmlEncode(text);

    internal static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    internal static string Compact(long value) => value switch
    {
        >= 10_000_000 => (value / 1_000_000.0).ToString("0", CultureInfo.InvariantCulture) + "M",
        >= 1_000_000 => (value / 1_000_000.0).ToString("0.0", CultureInfo.InvariantCulture) + "M",
        >= 10_000 => (value / 1_000.0).ToString("0", CultureInfo.InvariantCulture) + "k",
        >= 1_000 => (value / 1_000.0).ToString("0.0", CultureInfo.InvariantCulture) + "k",
        _ => value.ToString(CultureInfo.InvariantCulture),
    };

    internal static string Percent(double? rate) => rate is { } r ? (r * 100).ToString("0", CultureInfo.InvariantCulture) + "%" : "–";

    internal static string Interval(ConfidenceInterval interval) =>
        $"{(interval.Lower * 100).ToString("0", CultureInfo.InvariantCulture)}–{(interval.Upper * 100).ToString("0", CultureInfo.InvariantCulture)}%";

    internal static string Money(decimal? cost) => cost is { } c ? "$" + c.ToString(c >= 100 ? "0" : c >= 0.1m ? "0.00" : "0.0000", CultureInfo.InvariantCulture) : "–";

    internal static string Duration(TimeSpan duration) => duration.TotalSeconds switch
    {
        < 1 => $"{duration.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)} ms",
        < 60 => $"{duration.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s",
        < 3600 => $"{(int)duration.TotalMinutes}m {duration.Seconds:00}s",
        _ => $"{(int)duration.TotalHours}h {duration.Minutes:00}m",
    };
}
