using AmpSessions.Core.Batches;
using AmpSessions.Core.Reports;

namespace AmpSessions.Core.Evaluation;

/// <summary>What `demo eval` did.</summary>
public sealed record EvaluationDemoResult
{
    public required BuiltInBenchmarkFiles Benchmark { get; init; }
    public required EvaluationRun Run { get; init; }
    public required BenchmarkValidation Validation { get; init; }
    public required PairedComparison Comparison { get; init; }
    public required string ReportPath { get; init; }
}

/// <summary>
/// The evaluation demo: writes the built-in benchmark, then runs the gold, null and demo agents on
/// it in one run (so the run is also the benchmark's validation), pairs the demo agent with gold,
/// and writes the HTML report next to the benchmark. Every step is the product's own code path.
/// </summary>
public sealed class EvaluationDemo
{
    public const string DemoAgentId = "demo";
    private readonly AmpContext context;

    public EvaluationDemo(AmpContext context) => this.context = context;

    public async Task<EvaluationDemoResult> RunAsync(string directory, string demoAgentSpec, IProgress<BatchEvent>? progress = null, CancellationToken cancellationToken = default)
    {
        var benchmark = await new BuiltInBenchmark(context).CreateAsync(directory, cancellationToken).ConfigureAwait(false);
        var service = new EvaluationService(context);
        var run = await service.RunAsync(new EvaluationRunRequest
        {
            InstancesFile = benchmark.InstancesFile,
            Agents =
            [
                new EvaluationAgent("gold", null, ReferenceAgent.Gold),
                new EvaluationAgent("null", null, ReferenceAgent.Null),
                new EvaluationAgent(DemoAgentId, demoAgentSpec),
            ],
            Concurrency = Math.Max(2, Environment.ProcessorCount),
            Name = "demo eval (built-in benchmark)",
        }, progress, cancellationToken).ConfigureAwait(false);
        var report = Path.Combine(benchmark.Directory, "report.html");
        BatchReports.Write(service.Results(run.RunId), ReportFormat.Html, report);
        return new EvaluationDemoResult
        {
            Benchmark = benchmark,
            Run = run,
            Validation = service.Validation(run.RunId),
            Comparison = service.Compare(run.RunId, agentA: DemoAgentId, agentB: "gold"),
            ReportPath = report,
        };
    }
}
