using System.Text.Json;
using AmpSessions.Core.Evaluation;
using AmpSessions.Testing;

namespace AmpSessions.Cli.Tests.Evaluation;

/// <summary>
/// `demo eval` on the built-in benchmark, run once for this class (the expensive part: gold, null and
/// the demo agent on six instances, each in a session of its own, each graded per test), and what
/// a user does with the run afterwards: predictions, compare. The mined-benchmark test mines the same
/// generated Python repository, so the benchmark is written once.
/// </summary>
public sealed class BuiltInBenchmarkRun : IAsyncLifetime
{
    public TempDirectory Temp { get; } = new("amp-eval-cli");

    public CliRunner Cli { get; private set; } = null!;

    /// <summary>`demo eval --json`.</summary>
    public JsonElement Demo { get; private set; }

    public string RunId => Demo.GetProperty("run").GetProperty("runId").GetString()!;

    public string BenchmarkDirectory => Temp.Combine("bench");

    public async Task<JsonElement> JsonAsync(int expectedExit, params string[] arguments)
    {
        var result = await Cli.RunAsync([.. arguments, "--json"], null, TimeSpan.FromMinutes(4));
        Assert.True(result.ExitCode == expectedExit, result.ToString());
        return JsonDocument.Parse(result.StandardOutput).RootElement.Clone();
    }

    public async Task InitializeAsync()
    {
        Cli = new CliRunner(Temp.Combine("data"));
        Demo = await JsonAsync(0, "demo", "eval", "--dir", BenchmarkDirectory);
    }

    public Task DisposeAsync()
    {
        Temp.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>
/// The evaluation CLI as a user runs it: the built-in benchmark (JavaScript with node --test and
/// TAP, Python with unittest and JUnit XML) through `demo eval`, `eval predictions` and
/// `eval compare`, and a benchmark mined from a real history with `eval mine`, then `eval run`.
/// </summary>
public sealed class EvalCliTests(BuiltInBenchmarkRun bench) : IClassFixture<BuiltInBenchmarkRun>
{
    [Fact]
    public void Demo_eval_gold_resolves_all_null_none_and_the_demo_agent_some()
    {
        var json = bench.Demo;

        var validation = json.GetProperty("validation");
        Assert.Equal(6, validation.GetProperty("instances").GetArrayLength());
        Assert.Equal(6, validation.GetProperty("goldResolved").GetInt32());
        Assert.Equal(0, validation.GetProperty("nullResolved").GetInt32());
        var agents = json.GetProperty("run").GetProperty("agents").EnumerateArray().ToDictionary(a => a.GetProperty("agentId").GetString()!);
        Assert.Equal(6, agents["gold"].GetProperty("resolved").GetInt32());
        Assert.Equal(0, agents["null"].GetProperty("resolved").GetInt32());
        // The demo agent follows explicit instructions only: two cases resolve, one is partial, one breaks a passing test.
        Assert.Equal((2, 1, 3), (agents["demo"].GetProperty("resolved").GetInt32(), agents["demo"].GetProperty("partial").GetInt32(), agents["demo"].GetProperty("unresolved").GetInt32()));
        var outcomes = json.GetProperty("run").GetProperty("instances").EnumerateArray()
            .Where(i => i.GetProperty("agentId").GetString() == "demo")
            .ToDictionary(i => i.GetProperty("instanceId").GetString()!, i => i.GetProperty("outcome").GetString());
        Assert.Equal("Resolved", outcomes["mathlib-js-clamp-ignores-its-upper-bound"]);
        Assert.Equal("Partial", outcomes["textutils-py-title-case-capitalizes-only-the-first-word"]);
        var regression = json.GetProperty("run").GetProperty("instances").EnumerateArray()
            .Single(i => i.GetProperty("agentId").GetString() == "demo" && i.GetProperty("instanceId").GetString() == "mathlib-js-mean-of-an-empty-list-is-nan");
        Assert.Equal(("Unresolved", "1/1", "6/7"), (regression.GetProperty("outcome").GetString(), regression.GetProperty("failToPass").GetString(), regression.GetProperty("passToPass").GetString()));
        Assert.Contains(regression.GetProperty("tests").EnumerateArray(), t => t.GetProperty("name").GetString() == "mean > averages numbers" && t.GetProperty("outcome").GetString() == "Failed");
        Assert.Equal(0.125, json.GetProperty("comparison").GetProperty("pValue").GetDouble(), 9); // demo vs gold: 0 vs 4 discordant, 2/16
        var report = File.ReadAllText(json.GetProperty("reportPath").GetString()!);
        Assert.Contains("id=\"resolved-rate\"", report, StringComparison.Ordinal);
        Assert.Contains("id=\"paired\"", report, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Predictions_of_the_demo_agent_are_in_swe_bench_format()
    {
        var predictions = bench.Temp.Combine("predictions.jsonl");
        await bench.JsonAsync(0, "eval", "predictions", bench.RunId, "--agent", "demo", "--output", predictions);

        // One JSON object per line with exactly SWE-bench's three string fields.
        var lines = File.ReadAllLines(predictions);
        Assert.Equal(6, lines.Length);
        foreach (var line in lines)
        {
            var prediction = JsonDocument.Parse(line).RootElement;
            Assert.Equal(["instance_id", "model_name_or_path", "model_patch"], prediction.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
            Assert.All(prediction.EnumerateObject(), p => Assert.Equal(JsonValueKind.String, p.Value.ValueKind));
            Assert.Equal("demo", prediction.GetProperty("model_name_or_path").GetString());
        }
        Assert.Contains(lines, l => l.Contains("Math.min(hi, Math.max(lo, x))", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Compare_pairs_two_agents_of_the_run()
    {
        var comparison = await bench.JsonAsync(0, "eval", "compare", bench.RunId, "--agent", "demo", "--agent", "null");

        Assert.Equal((2, 0), (comparison.GetProperty("onlyA").GetInt32(), comparison.GetProperty("onlyB").GetInt32()));
        Assert.Equal(0.5, comparison.GetProperty("pValue").GetDouble(), 9); // 2 vs 0 discordant: 2 · 1/4
    }

    [Fact]
    public async Task A_benchmark_mined_from_a_real_history_grades_per_test_from_junit()
    {
        // A real history: the built-in generator wrote the Python repository (fixed dates, so fixed hashes).
        var repo = Path.Combine(bench.BenchmarkDirectory, BuiltInBenchmark.PythonRepository);
        var instancesFile = bench.Temp.Combine("mined", "instances.jsonl");

        var mined = await bench.JsonAsync(0, "eval", "mine", repo, "--test-command", BuiltInBenchmark.PythonTestCommand, "--output", instancesFile);

        Assert.Equal(4, mined.GetProperty("examined").GetInt32());
        var rejected = Assert.Single(mined.GetProperty("rejected").EnumerateArray());
        Assert.Equal("Initial version", rejected.GetProperty("subject").GetString());
        var instances = File.ReadAllLines(instancesFile).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        Assert.Equal(3, instances.Count);
        var title = instances.Single(i => i.GetProperty("instance_id").GetString()!.Contains("title-case", StringComparison.Ordinal));
        // By hand: the fix adds two tests that fail before it; the other five tests pass before and after.
        Assert.Equal(["tests.test_titles.TestTitleCase.test_every_word", "tests.test_titles.TestTitleCase.test_keeps_inner_capitals"],
            title.GetProperty("FAIL_TO_PASS").EnumerateArray().Select(e => e.GetString()).Order(StringComparer.Ordinal));
        Assert.Equal(5, title.GetProperty("PASS_TO_PASS").GetArrayLength());
        Assert.Equal("../bench/textutils-py", title.GetProperty("repo_path").GetString());
        Assert.Contains("{junit}", title.GetProperty("test_command").GetString(), StringComparison.Ordinal);

        // Gold on every mined instance: each attempt graded per test from the JUnit XML the command wrote.
        var run = await bench.JsonAsync(0, "eval", "run", instancesFile, "--agent", "gold", "--concurrency", "2");
        var runId = run.GetProperty("runId").GetString()!;
        Assert.Equal(3, run.GetProperty("instances").GetArrayLength());
        Assert.All(run.GetProperty("instances").EnumerateArray(), i =>
        {
            Assert.Equal("Resolved", i.GetProperty("outcome").GetString());
            Assert.Equal("JUnit", i.GetProperty("method").GetString());
            var instance = instances.Single(m => m.GetProperty("instance_id").GetString() == i.GetProperty("instanceId").GetString());
            Assert.Equal(instance.GetProperty("FAIL_TO_PASS").GetArrayLength() + instance.GetProperty("PASS_TO_PASS").GetArrayLength(), i.GetProperty("tests").GetArrayLength());
            Assert.All(i.GetProperty("tests").EnumerateArray(), t => Assert.Equal("Passed", t.GetProperty("outcome").GetString()));
        });
        // The results JSONL (the run's journal) keeps every attempt's per-test outcomes.
        var results = File.ReadAllLines(run.GetProperty("journalPath").GetString()!).Skip(1).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(r => r.TryGetProperty("grade", out var g) && g.ValueKind == JsonValueKind.Object).ToList();
        Assert.Equal(3, results.Count);
        Assert.All(results, r => Assert.Equal(r.GetProperty("grade").GetProperty("failToPassTotal").GetInt32() + r.GetProperty("grade").GetProperty("passToPassTotal").GetInt32(),
            r.GetProperty("grade").GetProperty("tests").GetArrayLength()));

        var predictions = bench.Temp.Combine("mined", "predictions.jsonl");
        await bench.JsonAsync(0, "eval", "predictions", runId, "--output", predictions, "--model-name", "reference/gold");
        var written = File.ReadAllLines(predictions);
        Assert.Equal(3, written.Length);
        foreach (var line in written)
        {
            var prediction = JsonDocument.Parse(line).RootElement;
            Assert.Equal(3, prediction.EnumerateObject().Count());
            var instance = instances.Single(i => i.GetProperty("instance_id").GetString() == prediction.GetProperty("instance_id").GetString());
            // The gold agent's model_patch is the instance's gold patch, byte for byte.
            Assert.Equal(instance.GetProperty("patch").GetString(), prediction.GetProperty("model_patch").GetString());
            Assert.Equal("reference/gold", prediction.GetProperty("model_name_or_path").GetString());
        }
    }
}
