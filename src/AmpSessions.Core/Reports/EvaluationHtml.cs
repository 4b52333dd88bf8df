using System.Globalization;
using System.Text;
using AmpSessions.Core.Batches;
using AmpSessions.Core.Evaluation;
using static AmpSessions.Core.Reports.HtmlReport;

namespace AmpSessions.Core.Reports;

/// <summary>
/// The evaluation sections of the HTML report, shown when the batch has evaluation items: resolved
/// rate per agent with 95% Wilson intervals, a table of resolutions with cost and tokens per
/// resolved case, pass@k, iterations and time to resolution; the paired comparison of every two
/// agents (a table and a chart: both, only A, only B, neither, with the exact McNemar p-value);
/// and per-test tables (each listed test's outcome per agent, per instance).
/// </summary>
internal static class EvaluationHtml
{
    private const string Resolved = "#15803d", PartialColor = "#ca8a04", UnresolvedColor = "#dc2626", ErrorColor = "#7c3aed";
    private const int MaxPairs = 10;

    public static void Sections(StringBuilder html, BatchReportData data)
    {
        var items = data.Items.Where(i => i.TaskType == BatchTaskType.Evaluation).ToList();
        if (items.Count == 0)
        {
            return;
        }
        var agents = EvaluationStatistics.ByAgent(items);
        ResolvedRates(html, agents);
        AgentTable(html, agents);
        Paired(html, items, agents);
        PerTest(html, items, agents);
    }

    private static void ResolvedRates(StringBuilder html, IReadOnlyList<AgentEvaluationSummary> agents)
    {
        var bars = agents.Select(a => new Bar(a.AgentId, a.ResolvedRate ?? 0,
            a.ResolvedRate is null ? "nothing finished" : $"{Percent(a.ResolvedRate)} [{Interval(a.ResolvedInterval)}] n={a.Attempts}",
            Resolved, $"{a.AgentId}: {a.Resolved} of {a.Attempts} resolved")
        {
            Lower = a.Attempts == 0 ? null : a.ResolvedInterval.Lower,
            Upper = a.Attempts == 0 ? null : a.ResolvedInterval.Upper,
        }).ToList();
        html.Append("<section id=\"resolved-rate\"><h2>Resolved rate per agent (SWE-bench grading, 95% Wilson interval)</h2>\n");
        html.Append(SvgChart.Bars("Resolved rate per agent", bars, 1, v => $"{v * 100:0}%")).Append("\n</section>\n");
    }

    private static void AgentTable(StringBuilder html, IReadOnlyList<AgentEvaluationSummary> agents)
    {
        var maxK = agents.Select(a => a.PassAtK.Count).DefaultIfEmpty(0).Max();
        html.Append("<section id=\"resolutions\"><h2>Resolutions per agent</h2>\n<table><thead><tr><th>Agent</th><th class=\"n\">Attempts</th><th class=\"n\">Resolved</th><th class=\"n\">Partial</th><th class=\"n\">Unresolved</th><th class=\"n\">Error</th><th class=\"n\">Resolved rate</th><th>95% CI</th>");
        for (var k = 1; k <= maxK; k++)
        {
            html.Append(CultureInfo.InvariantCulture, $"<th class=\"n\">pass@{k}</th>");
        }
        html.Append("<th class=\"n\">Cost / resolved</th><th class=\"n\">Tokens / resolved</th><th class=\"n\">Mean iterations</th><th class=\"n\">Time to resolution</th></tr></thead><tbody>\n");
        foreach (var a in agents)
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(a.AgentId)}</td><td class=\"n\">{a.Attempts}</td><td class=\"n\">{a.Resolved}</td><td class=\"n\">{a.Partial}</td><td class=\"n\">{a.Unresolved}</td><td class=\"n\">{a.Errors}</td>");
            html.Append(CultureInfo.InvariantCulture, $"<td class=\"n\">{Percent(a.ResolvedRate)}</td><td>{(a.Attempts == 0 ? "–" : Interval(a.ResolvedInterval))}</td>");
            for (var k = 1; k <= maxK; k++)
            {
                html.Append(CultureInfo.InvariantCulture, $"<td class=\"n\">{(a.PassAtK.TryGetValue(k, out var p) ? Percent(p) : "–")}</td>");
            }
            html.Append(CultureInfo.InvariantCulture, $"<td class=\"n\">{Money(a.CostPerResolved)}</td><td class=\"n\">{(a.TokensPerResolved is { } t ? N((long)t) : "–")}</td>");
            html.Append(CultureInfo.InvariantCulture, $"<td class=\"n\">{(a.MeanIterations is { } it ? it.ToString("0.0", CultureInfo.InvariantCulture) : "–")}</td><td class=\"n\">{(a.MeanTimeToResolution is { } d ? Duration(d) : "–")}</td></tr>\n");
        }
        html.Append("</tbody></table>\n<p class=\"note\">Resolved: every FAIL_TO_PASS test passes and every PASS_TO_PASS test still passes; partial: some FAIL_TO_PASS tests pass and nothing broke. Cost and tokens per resolved case divide everything the agent spent, failures included, by its resolved cases.</p></section>\n");
    }

    private static void Paired(StringBuilder html, IReadOnlyList<BatchItemResult> items, IReadOnlyList<AgentEvaluationSummary> agents)
    {
        var ids = agents.Select(a => a.AgentId).ToList();
        var pairs = new List<PairedComparison>();
        for (var a = 0; a < ids.Count && pairs.Count < MaxPairs; a++)
        {
            for (var b = a + 1; b < ids.Count && pairs.Count < MaxPairs; b++)
            {
                pairs.Add(PairedComparison.Of(ids[a], EvaluationStatistics.FirstAttempts(items, ids[a]), ids[b], EvaluationStatistics.FirstAttempts(items, ids[b])));
            }
        }
        if (pairs.Count == 0)
        {
            return;
        }
        html.Append("<section id=\"paired\"><h2>Paired comparison (same instances, exact McNemar test)</h2>\n");
        (string Name, string Color)[] legend = [("both resolved", Resolved), ("only A", "#2563eb"), ("only B", "#f59e0b"), ("neither", "#cbd5e1")];
        var bars = pairs.Select(p => new StackedBar($"{p.AgentA} vs {p.AgentB}",
            [(p.BothResolved, legend[0].Color, legend[0].Name), (p.OnlyA, legend[1].Color, $"only {p.AgentA}"), (p.OnlyB, legend[2].Color, $"only {p.AgentB}"), (p.NeitherResolved, legend[3].Color, legend[3].Name)],
            $"p = {P(p.PValue)}, n={p.Pairs}")).ToList();
        html.Append(SvgChart.Stacked("Paired comparison", bars, legend, v => v.ToString("0", CultureInfo.InvariantCulture)));
        html.Append("\n<table><thead><tr><th>A</th><th>B</th><th class=\"n\">Pairs</th><th class=\"n\">Both</th><th class=\"n\">Only A</th><th class=\"n\">Only B</th><th class=\"n\">Neither</th><th class=\"n\">Exact McNemar p</th><th>Verdict</th><th>Only A resolved</th><th>Only B resolved</th></tr></thead><tbody>\n");
        foreach (var p in pairs)
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(p.AgentA)}</td><td>{E(p.AgentB)}</td><td class=\"n\">{p.Pairs}</td><td class=\"n\">{p.BothResolved}</td><td class=\"n\">{p.OnlyA}</td><td class=\"n\">{p.OnlyB}</td><td class=\"n\">{p.NeitherResolved}</td>");
            html.Append(CultureInfo.InvariantCulture, $"<td class=\"n\">{P(p.PValue)}</td><td>{E(p.Verdict)}</td><td>{E(string.Join(", ", p.OnlyAInstances))}</td><td>{E(string.Join(", ", p.OnlyBInstances))}</td></tr>\n");
        }
        html.Append("</tbody></table>\n<p class=\"note\">Only the discordant instances (resolved by one agent, not the other) carry evidence; p is the two-sided exact binomial test on them. First attempts only.</p></section>\n");
    }

    private static void PerTest(StringBuilder html, IReadOnlyList<BatchItemResult> items, IReadOnlyList<AgentEvaluationSummary> agents)
    {
        var graded = items.Where(i => i.Grade is { Tests.Count: > 0 } && (i.PromptIndex ?? 0) == 0).ToList();
        if (graded.Count == 0)
        {
            return;
        }
        var ids = agents.Select(a => a.AgentId).ToList();
        html.Append("<section id=\"tests\"><h2>Tests per instance</h2>\n<table><thead><tr><th>Instance</th><th>Test</th><th>List</th>");
        foreach (var id in ids)
        {
            html.Append(CultureInfo.InvariantCulture, $"<th>{E(id)}</th>");
        }
        html.Append("</tr></thead><tbody>\n");
        foreach (var instance in graded.GroupBy(i => i.CaseId!, StringComparer.Ordinal))
        {
            var byAgent = instance.GroupBy(i => i.AgentId).ToDictionary(g => g.Key, g => g.First().Grade!);
            var tests = byAgent.Values.SelectMany(g => g.Tests).GroupBy(t => t.Name, StringComparer.Ordinal).Select(g => g.First()).ToList();
            var first = true;
            foreach (var test in tests)
            {
                html.Append(CultureInfo.InvariantCulture, $"<tr><td>{(first ? $"<code>{E(instance.Key)}</code>" : "")}</td><td><code>{E(test.Name)}</code></td><td>{E(List(test.Expected))}</td>");
                foreach (var id in ids)
                {
                    var outcome = byAgent.TryGetValue(id, out var grade) ? grade.Tests.FirstOrDefault(t => t.Name == test.Name)?.Outcome : null;
                    html.Append(outcome is { } o
                        ? $"<td><span class=\"badge\" style=\"background:{Color(o)}\">{E(o.ToString().ToLowerInvariant())}</span></td>"
                        : "<td>–</td>");
                }
                html.Append("</tr>\n");
                first = false;
            }
        }
        html.Append("</tbody></table></section>\n");
    }

    private static string List(TestExpectation expectation) => expectation switch
    {
        TestExpectation.FailToPass => "FAIL_TO_PASS",
        TestExpectation.PassToPass => "PASS_TO_PASS",
        _ => "unlisted",
    };

    private static string Color(TestOutcome outcome) => outcome switch
    {
        TestOutcome.Passed => Resolved,
        TestOutcome.Failed => UnresolvedColor,
        TestOutcome.Error => ErrorColor,
        TestOutcome.Skipped => PartialColor,
        _ => "#6b7280",
    };

    private static string P(double p) => p < 0.0001 ? "< 0.0001" : p.ToString("0.####", CultureInfo.InvariantCulture);
}
