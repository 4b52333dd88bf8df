using System.Text.Json;
using AmpSessions.Core;
using AmpSessions.Core.Evaluation;
using AmpSessions.Testing;

namespace AmpSessions.Cli.Tests.Evaluation;

/// <summary>
/// The evaluation CLI as a user runs it: the built-in benchmark (JavaScript with node --test and
/// TAP, Python with unittest and JUnit XML) through `demo eval`, `eval validate`, `eval run`,
/// `eval compare` and `eval predictions`, and a benchmark mined from a real history with `eval mine`.
/// </summary>
public sealed class EvalCliTests : IDisposable
{
    private readonly TempDirectory temp = new("amp-eval-cli");
    private readonly CliRunner cli;

    public EvalCliTests()
    {
        cli = new CliRunner(temp.Combine("data"));
    }

    public void Dispose() => temp.Dispose();

    /// <summary>The CLI's own bundled demo agent, as an amp-compatible command.</summary>
    private static string DemoAgent => $"demo=amp:\"dotnet\" \"{TestPaths.CliAssembly}\" __demo-agent";

    private async Task<JsonElement> JsonAsync(int expectedExit, params string[] arguments)
    {
        var result = await cli.RunAsync([.. arguments, "--json"], null, TimeSpan.FromMinutes(4));
        Assert.True(result.ExitCode == expectedExit, result.ToString());
        return JsonDocument.Parse(result.StandardOutput).RootElement.Clone();
    }

    [Fact]
    public async Task Demo_eval_gold_resolves_all_null_none_and_the_demo_agent_some()
    {
        var json = await JsonAsync(0, "demo", "eval", "--dir", temp.Combine("bench"));

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

        // Predictions in SWE-bench's format: one JSON object per line with exactly its three string fields.
        var runId = json.GetProperty("run").GetProperty("runId").GetString()!;
        var predictions = temp.Combine("predictions.jsonl");
        await JsonAsync(0, "eval", "predictions", runId, "--agent", "demo", "--output", predictions);
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

        var comparison = await JsonAsync(0, "eval", "compare", runId, "--agent", "demo", "--agent", "null");
        Assert.Equal((2, 0), (comparison.GetProperty("onlyA").GetInt32(), comparison.GetProperty("onlyB").GetInt32()));
        Assert.Equal(0.5, comparison.GetProperty("pValue").GetDouble(), 9); // 2 vs 0 discordant: 2 · 1/4
    }

    [Fact]
    public async Task A_benchmark_mined_from_a_real_history_grades_per_test_from_junit()
    {
        // A real history: the built-in generator writes the Python repository (fixed dates, so fixed hashes).
        var bench = temp.Combine("gen");
        var context = AmpContext.Open(temp.Combine("gen-data"));
        var files = await new BuiltInBenchmark(context).CreateAsync(bench);
        var repo = files.Repositories.Single(r => r.EndsWith(BuiltInBenchmark.PythonRepository, StringComparison.Ordinal));
        var instancesFile = temp.Combine("mined", "instances.jsonl");

        var mined = await JsonAsync(0, "eval", "mine", repo, "--test-command", BuiltInBenchmark.PythonTestCommand, "--output", instancesFile);

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
        Assert.Equal("../gen/textutils-py", title.GetProperty("repo_path").GetString());
        Assert.Contains("{junit}", title.GetProperty("test_command").GetString(), StringComparison.Ordinal);

        var validation = await JsonAsync(0, "eval", "validate", instancesFile);
        Assert.Equal(["instances", "goldResolved", "nullResolved"], new[] { "instances", "goldResolved", "nullResolved" }.Where(k => validation.TryGetProperty(k, out _)));
        Assert.All(validation.GetProperty("instances").EnumerateArray(), i =>
        {
            Assert.Equal("Resolved", i.GetProperty("gold").GetString());
            Assert.Equal("Unresolved", i.GetProperty("null").GetString());
            Assert.False(string.IsNullOrEmpty(i.GetProperty("instanceId").GetString()));
        });
        Assert.Equal((3, 0), (validation.GetProperty("goldResolved").GetInt32(), validation.GetProperty("nullResolved").GetInt32()));

        var run = await JsonAsync(0, "eval", "run", instancesFile, "--agent", "gold", "--concurrency", "2");
        var runId = run.GetProperty("runId").GetString()!;
        Assert.All(run.GetProperty("instances").EnumerateArray(), i =>
        {
            Assert.Equal("Resolved", i.GetProperty("outcome").GetString());
            Assert.Equal("JUnit", i.GetProperty("method").GetString());
        });
        var predictions = temp.Combine("mined", "predictions.jsonl");
        await JsonAsync(0, "eval", "predictions", runId, "--output", predictions, "--model-name", "reference/gold");
        foreach (var line in File.ReadAllLines(predictions))
        {
            var prediction = JsonDocument.Parse(line).RootElement;
            Assert.Equal(3, prediction.EnumerateObject().Count());
            var instance = instances.Single(i => i.GetProperty("instance_id").GetString() == prediction.GetProperty("instance_id").GetString());
            // The gold agent's model_patch is the instance's gold patch, byte for byte.
            Assert.Equal(instance.GetProperty("patch").GetString(), prediction.GetProperty("model_patch").GetString());
            Assert.Equal("reference/gold", prediction.GetProperty("model_name_or_path").GetString());
        }
    }

    [Fact]
    public async Task A_bad_instances_file_starts_nothing_and_lists_every_problem()
    {
        var file = temp.Combine("bad.jsonl");
        File.WriteAllLines(file, ["{\"instance_id\": \"a\"}", "{oops"]);

        var result = await cli.RunAsync(["eval", "validate", file], null, TimeSpan.FromMinutes(1));

        Assert.Equal(1, result.ExitCode);
        var lines = result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith($"{file}:1:1: ", StringComparison.Ordinal) && l.Contains("problem_statement", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith($"{file}:2:", StringComparison.Ordinal) && l.Contains("Not valid JSON", StringComparison.Ordinal));
        Assert.EndsWith("nothing was started.", lines[^1], StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(cli.DataDirectory, "batches")) && Directory.EnumerateDirectories(Path.Combine(cli.DataDirectory, "batches")).Any());
    }
}
