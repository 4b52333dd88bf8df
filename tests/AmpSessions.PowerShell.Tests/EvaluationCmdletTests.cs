using System.Management.Automation;
using System.Text.Json;
using AmpSessions.PowerShell.Tests.Hosting;

namespace AmpSessions.PowerShell.Tests;

/// <summary>
/// The evaluation cmdlets as a pwsh user runs them, on the built-in benchmark the core generates
/// (JavaScript with node --test and TAP, Python with unittest and JUnit XML): Test-AmpEvaluation
/// (gold resolves all, null none), Start-AmpEvaluation -AsJob with the CLI's bundled demo agent
/// (some, not all), Compare-AmpEvaluation and Export-AmpPrediction fed from the pipeline. To stay
/// inside the CI budget it takes two of the benchmark's six instances, one per language, which the
/// demo agent resolves and resolves partly; the CLI test runs all six.
/// </summary>
public sealed class EvaluationCmdletTests : IDisposable
{
    private static readonly string[] Subset =
    [
        "mathlib-js-clamp-ignores-its-upper-bound",
        "textutils-py-title-case-capitalizes-only-the-first-word",
    ];

    private readonly HostedPowerShell host = new();

    public void Dispose() => host.Dispose();

    private static string DemoAgent => $"demo=amp:\"dotnet\" \"{TestEnvironment.CliAssembly}\" __demo-agent";

    /// <summary>The built-in benchmark, written by the staged core into a new folder, cut down to <see cref="Subset"/>.</summary>
    private string BenchmarkSubset()
    {
        var folder = Path.Combine(host.Root, "bench");
        host.Invoke(
            "$context = [AmpSessions.Core.AmpContext]::Open($Data); " +
            "$null = [AmpSessions.Core.Evaluation.BuiltInBenchmark]::new($context).CreateAsync($Folder, [System.Threading.CancellationToken]::None).GetAwaiter().GetResult()",
            ("Folder", folder));
        var lines = File.ReadAllLines(Path.Combine(folder, "instances.jsonl"))
            .Where(l => Subset.Contains(JsonDocument.Parse(l).RootElement.GetProperty("instance_id").GetString()))
            .ToArray();
        Assert.Equal(Subset.Length, lines.Length);
        var subset = Path.Combine(folder, "subset.jsonl"); // beside the original, so repo_path still resolves
        File.WriteAllLines(subset, lines);
        return subset;
    }

    private static T Get<T>(PSObject value, string property) => (T)LanguagePrimitives.ConvertTo(value.Properties[property].Value, typeof(T));

    [Fact]
    public void Gold_resolves_all_null_none_and_the_demo_agent_some_through_the_cmdlets()
    {
        var instances = BenchmarkSubset();
        host.Runspace.SessionStateProxy.SetVariable("Instances", instances);
        host.Runspace.SessionStateProxy.SetVariable("Demo", DemoAgent);

        // -WhatIf starts nothing.
        host.Invoke("Start-AmpEvaluation -Path $Instances -Agent gold -DataPath $Data -WhatIf; Test-AmpEvaluation $Instances -DataPath $Data -WhatIf");
        Assert.Empty(host.Invoke("Get-AmpBatch -DataPath $Data"));

        var check = host.Invoke("$check = Test-AmpEvaluation -Path $Instances -DataPath $Data; $check").Single();
        Assert.Equal("AmpSessions.Core.Evaluation.BenchmarkValidation", check.BaseObject.GetType().FullName);
        Assert.True(Get<bool>(check, "Valid"), host.Render("$check | Format-List", 120));
        Assert.Equal((2, 0), (Get<int>(check, "GoldResolved"), Get<int>(check, "NullResolved")));

        var run = host.Invoke("$run = Start-AmpEvaluation -Path $Instances -Agent $Demo -Concurrency 2 -DataPath $Data -AsJob | Wait-Job -Timeout 600 | Receive-Job; $run").Single();
        Assert.Equal("Completed", Get<string>(run, "Status"));
        var outcomes = host.Invoke("$run.Instances | ForEach-Object { '{0}={1}' -f $_.InstanceId, $_.Outcome }").Select(o => (string)o.BaseObject).Order(StringComparer.Ordinal);
        Assert.Equal(
        [
            "mathlib-js-clamp-ignores-its-upper-bound=Resolved",
            "textutils-py-title-case-capitalizes-only-the-first-word=Partial",
        ], outcomes);
        var text = host.Render("$run", 80);
        Assert.Matches(@"demo\s+1/2 resolved\s+50%", text);

        // Paired with gold of the validation run: gold alone resolved one, so p = 2 · (1/2)¹ = 1.
        var comparison = host.Invoke("$run | Compare-AmpEvaluation -OtherRun $check.RunId -Agent demo, gold -DataPath $Data").Single();
        Assert.Equal((2, 1, 0, 1), (Get<int>(comparison, "Pairs"), Get<int>(comparison, "BothResolved"), Get<int>(comparison, "OnlyA"), Get<int>(comparison, "OnlyB")));
        Assert.Equal(1.0, Get<double>(comparison, "PValue"), 9);

        var predictions = Path.Combine(host.Root, "predictions.jsonl");
        var written = host.Invoke("$run | Export-AmpPredictions -OutputPath $Out -ModelName acme/demo -DataPath $Data", ("Out", predictions)).Single();
        Assert.Equal(2, Get<int>(written, "Predictions"));
        var lines = File.ReadAllLines(predictions).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.All(lines, l => Assert.Equal(["instance_id", "model_name_or_path", "model_patch"], l.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal)));
        Assert.All(lines, l => Assert.Equal("acme/demo", l.GetProperty("model_name_or_path").GetString()));
        Assert.Contains(lines, l => l.GetProperty("model_patch").GetString()!.Contains("Math.min(hi, Math.max(lo, x))", StringComparison.Ordinal));
    }
}
