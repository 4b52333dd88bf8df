using System.Text.Json;
using AmpSessions.Testing;

namespace AmpSessions.Cli.Tests.Evaluation;

/// <summary>
/// `eval validate` on small instances files whose tests are shell commands printing TAP (fast: no
/// language runtime): a bad file starts nothing, `--repeat k` finds a flaky test, and a repository
/// given by clone URL in the repositories table (a local bare repository: no network) is cloned
/// once into the data directory and graded like a folder.
/// </summary>
public sealed class EvalInstancesTests : IDisposable
{
    private readonly TempDirectory temp = new("amp-eval-instances");
    private readonly CliRunner cli;

    public EvalInstancesTests()
    {
        cli = new CliRunner(temp.Combine("data"));
    }

    public void Dispose() => temp.Dispose();

    private async Task<JsonElement> JsonAsync(int expectedExit, params string[] arguments)
    {
        var result = await cli.RunAsync([.. arguments, "--json"], null, TimeSpan.FromMinutes(4));
        Assert.True(result.ExitCode == expectedExit, result.ToString());
        return JsonDocument.Parse(result.StandardOutput).RootElement.Clone();
    }

    /// <summary>A repository with one commit; returns its head.</summary>
    private string Repository(string folder)
    {
        Directory.CreateDirectory(folder);
        Git(folder, "init", "--quiet", "--initial-branch=main");
        File.WriteAllText(Path.Combine(folder, "README.md"), "cases\n");
        Git(folder, "add", "--all");
        Git(folder, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-m", "base");
        return Git(folder, "rev-parse", "HEAD").Trim();
    }

    /// <summary>An instance whose gold patch adds <paramref name="file"/>; the test 'fixed' passes when it exists.</summary>
    private static Dictionary<string, object> Instance(string id, string head, string file, string command, string[] passToPass) => new()
    {
        ["instance_id"] = id,
        ["base_commit"] = head,
        ["problem_statement"] = $"add {file}",
        ["patch"] = $"diff --git a/{file} b/{file}\nnew file mode 100644\n--- /dev/null\n+++ b/{file}\n@@ -0,0 +1 @@\n+x\n",
        ["FAIL_TO_PASS"] = new[] { "fixed" },
        ["PASS_TO_PASS"] = passToPass,
        ["test_command"] = $"if [ -f {file} ]; then echo 'ok 1 - fixed'; else echo 'not ok 1 - fixed'; fi; {command}",
    };

    private string Write(string name, params Dictionary<string, object>[] instances)
    {
        var file = temp.Combine(name);
        File.WriteAllLines(file, instances.Select(i => JsonSerializer.Serialize(i)));
        return file;
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

    [Fact]
    public async Task Repeat_runs_gold_k_times_and_flags_the_test_whose_outcome_varies()
    {
        var head = Repository(temp.Combine("repo"));
        var counter = temp.Combine("runs.count");
        // 'sometimes' passes on every second run of the test command (the counter lives outside the worktrees).
        var flaky = $"n=$(cat '{counter}' 2>/dev/null || echo 0); n=$((n+1)); echo $n > '{counter}'; if [ $((n % 2)) -eq 0 ]; then echo 'ok 2 - sometimes'; else echo 'not ok 2 - sometimes'; fi";
        var file = Write("instances.jsonl",
            With(Instance("flaky-1", head, "f.txt", flaky, ["sometimes"]), "repo_path", "repo"),
            With(Instance("steady-1", head, "g.txt", "echo 'ok 2 - always'", ["always"]), "repo_path", "repo"));

        // One attempt at a time, so the counter counts every run; 3 gold runs + 1 null run of flaky-1 see n = 1..4,
        // and any three of them include an odd and an even n.
        var validation = await JsonAsync(1, "eval", "validate", file, "--repeat", "3", "--concurrency", "1");

        var instances = validation.GetProperty("instances").EnumerateArray().ToDictionary(i => i.GetProperty("instanceId").GetString()!);
        Assert.Equal(["sometimes"], instances["flaky-1"].GetProperty("flakyTests").EnumerateArray().Select(t => t.GetString()));
        Assert.Contains(instances["flaky-1"].GetProperty("problems").EnumerateArray(), p => p.GetString() == "test 'sometimes' is flaky: its outcome changed between the 3 gold runs");
        Assert.False(instances["flaky-1"].GetProperty("valid").GetBoolean());
        Assert.Empty(instances["steady-1"].GetProperty("flakyTests").EnumerateArray());
        Assert.True(instances["steady-1"].GetProperty("valid").GetBoolean());
        Assert.Equal(3, validation.GetProperty("repeat").GetInt32());
        Assert.Equal(4, int.Parse(File.ReadAllText(counter).Trim(), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_clone_url_in_the_repositories_table_is_cloned_once_and_graded()
    {
        var head = Repository(temp.Combine("source"));
        var bare = temp.Combine("remote", "acme-tools.git");
        Git(temp.Path, "clone", "--quiet", "--bare", temp.Combine("source"), bare);
        var url = new Uri(bare).AbsoluteUri; // file:///...: a clone URL that needs no network
        var instance = Instance("acme__tools-1", head, "f.txt", "echo 'ok 2 - kept'", ["kept"]);
        instance["repo"] = "acme/tools";
        var file = Write("swe.jsonl", instance);

        var validation = await JsonAsync(0, "eval", "validate", file, "--repository", $"acme/tools={url}");
        var clone = Assert.Single(Directory.EnumerateDirectories(Path.Combine(cli.DataDirectory, "repositories")));
        var clonedAt = Directory.GetCreationTimeUtc(Path.Combine(clone, ".git"));
        // Reading the run again (its batch text names the URL) uses the clone instead of cloning again.
        var status = await JsonAsync(0, "batch", "status", validation.GetProperty("runId").GetString()!);

        // The CLI contract: {"instances":[{"instanceId","gold","null"}...],"goldResolved":n,"nullResolved":n}.
        Assert.All(new[] { "instances", "goldResolved", "nullResolved" }, key => Assert.True(validation.TryGetProperty(key, out _), key));
        var only = Assert.Single(validation.GetProperty("instances").EnumerateArray());
        Assert.Equal(("acme__tools-1", "Resolved", "Unresolved"), (only.GetProperty("instanceId").GetString(), only.GetProperty("gold").GetString(), only.GetProperty("null").GetString()));
        Assert.Equal((1, 0), (validation.GetProperty("goldResolved").GetInt32(), validation.GetProperty("nullResolved").GetInt32()));
        Assert.Equal(2, status.GetProperty("items").GetArrayLength());
        // One clone in the data directory, from that URL, made once; the bare repository is untouched.
        Assert.Equal(clone, Assert.Single(Directory.EnumerateDirectories(Path.Combine(cli.DataDirectory, "repositories"))));
        Assert.Equal(clonedAt, Directory.GetCreationTimeUtc(Path.Combine(clone, ".git")));
        Assert.StartsWith("acme+tools-", Path.GetFileName(clone), StringComparison.Ordinal);
        Assert.Equal(url, Git(clone, "config", "--get", "remote.origin.url").Trim());
        Assert.Equal(head, Git(clone, "rev-parse", "HEAD").Trim());
        Assert.DoesNotContain("amp/", Git(bare, "branch", "--list"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Shards_on_two_machines_merge_into_one_run_that_compares_and_exports()
    {
        var head = Repository(temp.Combine("repo"));
        // Gold resolves every instance; null none. Four instances, each agent on each: 8 items split over two shards.
        var file = Write("instances.jsonl", [.. Enumerable.Range(1, 4).Select(i => With(Instance($"case-{i}", head, $"f{i}.txt", "echo 'ok 2 - kept'", ["kept"]), "repo_path", "repo"))]);
        var journals = new List<string>();
        foreach (var shard in new[] { "1/2", "2/2" })
        {
            // Each shard on its own "machine": a data directory of its own.
            var machine = new CliRunner(temp.Combine("machine-" + shard[0]));
            var result = await machine.RunAsync(["eval", "run", file, "--agent", "gold", "--agent", "null", "--shard", shard, "--json"], null, TimeSpan.FromMinutes(4));
            Assert.True(result.ExitCode == 0, result.ToString());
            journals.Add(JsonDocument.Parse(result.StandardOutput).RootElement.GetProperty("journalPath").GetString()!);
        }
        var merged = temp.Combine("merged.jsonl");

        var merge = await JsonAsync(0, ["batch", "merge", .. journals, "--output", merged]);
        var comparison = await JsonAsync(0, "eval", "compare", merged);
        var predictions = await JsonAsync(0, "eval", "predictions", merged, "--agent", "gold", "--output", temp.Combine("gold.jsonl"));

        Assert.Equal((8, 0), (merge.GetProperty("items").GetInt32(), merge.GetProperty("missingItems").GetInt32()));
        Assert.Equal((4, 4, 0), (comparison.GetProperty("pairs").GetInt32(), comparison.GetProperty("onlyA").GetInt32() + comparison.GetProperty("onlyB").GetInt32(), comparison.GetProperty("bothResolved").GetInt32()));
        Assert.Equal(0.125, comparison.GetProperty("pValue").GetDouble(), 9); // 4 vs 0 discordant: 2 · (1/2)⁴
        Assert.Equal(4, predictions.GetProperty("predictions").GetInt32());
    }

    private static Dictionary<string, object> With(Dictionary<string, object> instance, string key, object value)
    {
        instance[key] = value;
        return instance;
    }

    private static string Git(string repo, params string[] arguments)
    {
        var result = AmpSessions.Core.Processes.ProcessRunner.RunAsync(new AmpSessions.Core.Processes.ProcessSpec("git", ["-C", repo, .. arguments])).GetAwaiter().GetResult();
        Assert.True(result.ExitCode == 0, result.StandardError);
        return result.StandardOutput;
    }
}
