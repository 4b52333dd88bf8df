using System.Text.Json;
using AmpSessions.Core.Batches;
using AmpSessions.Testing;
using YamlDotNet.RepresentationModel;

namespace AmpSessions.Cli.Tests.Batches;

/// <summary>
/// A batch as a Kubernetes Indexed Job would run it: N `batch run --shard job/N` processes at once,
/// each with JOB_COMPLETION_INDEX set as the Job controller sets it, its own data directory (the
/// pod's) and its journal on a shared folder; then one merge, which must equal one unsharded run.
/// </summary>
public sealed class KubernetesShardTests : IDisposable
{
    private const int Shards = 3;
    private readonly TempDirectory temp = new("amp-k8s");

    public KubernetesShardTests()
    {
        foreach (var name in new[] { "repo-a", "repo-b" })
        {
            TestRepository.CreateGreetRepository(temp.Combine(name));
        }
        File.WriteAllText(temp.Combine("batch.yaml"), $$"""
            version: 3
            metadata:
              name: "k8s shards"
            execution:
              concurrency: 2
            agents:
              - id: fake
                command: [{{JsonSerializer.Serialize(TestPaths.FakeAgent)}}]
              - id: broken
                command: [{{JsonSerializer.Serialize(TestPaths.FakeAgent)}}]
                env: { FAKE_AMP_SCENARIO: "agent-error" }
            tasks:
              - id: rename
                type: batch
                prompts: ["Rename hello to greet", "Rename hello to greet, and nothing else"]
                repositories: ["./repo-a", "./repo-b"]
                script_command: "git grep --quiet 'export function greet' -- src/greet.ts"
            """);
    }

    public void Dispose() => temp.Dispose();

    private static CliRunner Pod(string dataDirectory, int? index)
    {
        var cli = new CliRunner(dataDirectory);
        cli.Environment["AMP_SESSIONS_NOTIFICATIONS"] = "0";
        cli.Environment[BatchShard.JobIndexVariable] = index?.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return cli;
    }

    /// <summary>What a result says about its item, without times, ids of this run or machine paths.</summary>
    private static string[] Outcomes(string journal) => BatchJournal.Read(journal).Latest()
        .OrderBy(r => r.ItemId, StringComparer.Ordinal)
        .Select(r => $"{r.ItemId} {r.AgentId} {r.TaskId} {r.Repository} #{r.PromptIndex} {r.Status} iterations={r.Iterations} tokens={r.Tokens.Total} files={r.FilesChanged} grade={r.GradingExitCode}")
        .ToArray();

    [Fact]
    public async Task Shard_pods_with_job_completion_indexes_and_a_shared_journal_folder_merge_to_the_unsharded_result()
    {
        var shared = temp.Combine("journals");
        var pods = Enumerable.Range(0, Shards).Select(index => Pod(temp.Combine($"pod-{index}"), index).RunAsync(
            ["batch", "run", temp.Combine("batch.yaml"), "--shard", $"job/{Shards}", "--journal", Path.Combine(shared, $"shard-{index}.jsonl"), "--json"],
            null, TimeSpan.FromMinutes(5))).ToList();
        var whole = await Pod(temp.Combine("unsharded"), null).RunAsync(["batch", "run", temp.Combine("batch.yaml"), "--json"], null, TimeSpan.FromMinutes(5));
        var results = await Task.WhenAll(pods);

        Assert.True(whole.ExitCode == 0, whole.ToString());
        Assert.All(results, r => Assert.True(r.ExitCode == 0, r.ToString()));
        var journals = Enumerable.Range(0, Shards).Select(index => Path.Combine(shared, $"shard-{index}.jsonl")).ToArray();
        Assert.Equal(Enumerable.Range(1, Shards).Select(i => $"{i}/{Shards}"), journals.Select(j => BatchJournal.Read(j).Header.Shard!.ToString()));
        var merged = temp.Combine("merged.jsonl");
        var merge = await Pod(temp.Combine("merger"), null).RunAsync(["batch", "merge", .. journals, "--output", merged]);
        Assert.True(merge.ExitCode == 0, merge.ToString());

        var unsharded = JsonDocument.Parse(whole.StandardOutput).RootElement.GetProperty("journalPath").GetString()!;
        Assert.Equal(8, Outcomes(unsharded).Length);
        Assert.Equal(Outcomes(unsharded), Outcomes(merged));
        Assert.Equal(4, Outcomes(merged).Count(o => o.Contains(" fake ") && o.Contains(" Passed ")));

        // A pod started again with the same index continues its journal: nothing runs twice.
        var again = await Pod(temp.Combine("pod-0-restarted"), 0).RunAsync(
            ["batch", "run", temp.Combine("batch.yaml"), "--shard", $"job/{Shards}", "--journal", journals[0], "--json"], null, TimeSpan.FromMinutes(5));
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(0, JsonDocument.Parse(again.StandardOutput).RootElement.GetProperty("ran").GetArrayLength());
        Assert.Equal(Outcomes(merged), Outcomes((await Pod(temp.Combine("merger-2"), null).RunAsync(["batch", "merge", .. journals, "--output", temp.Combine("merged-2.jsonl")])).ExitCode == 0
            ? temp.Combine("merged-2.jsonl") : throw new InvalidOperationException("merge failed")));
        // Another shard's journal is refused, and job/N outside a pod says why.
        var wrong = await Pod(temp.Combine("pod-x"), 1).RunAsync(["batch", "run", temp.Combine("batch.yaml"), "--shard", $"job/{Shards}", "--journal", journals[0]]);
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("belongs to another batch file or shard", wrong.StandardError);
        var outside = await Pod(temp.Combine("pod-y"), null).RunAsync(["batch", "run", temp.Combine("batch.yaml"), "--shard", $"job/{Shards}"]);
        Assert.Contains("takes the shard from JOB_COMPLETION_INDEX, which is not set", outside.StandardError);
    }

    [Fact]
    public void The_example_manifest_is_an_indexed_job_whose_pods_run_their_shard_into_the_shared_journals()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "docs", "kubernetes", "batch-indexed-job.yaml"))));
        var documents = yaml.Documents.Select(d => (YamlMappingNode)d.RootNode).ToList();
        var shards = documents.Single(d => Scalar(d, "metadata", "name") == "amp-batch-shards");
        var spec = (YamlMappingNode)shards["spec"];
        Assert.Equal("Indexed", Scalar(spec, "completionMode"));
        var completions = Scalar(spec, "completions");
        var container = (YamlMappingNode)((YamlSequenceNode)((YamlMappingNode)((YamlMappingNode)spec["template"])["spec"])["containers"])[0];
        var args = ((YamlSequenceNode)container["args"]).Select(a => ((YamlScalarNode)a).Value).ToList();
        Assert.Equal(["batch", "run"], args.Take(2));
        Assert.Equal($"job/{completions}", args[args.IndexOf("--shard") + 1]);
        Assert.Equal("/journals/shard-$(JOB_COMPLETION_INDEX).jsonl", args[args.IndexOf("--journal") + 1]);
        var merge = documents.Single(d => Scalar(d, "metadata", "name") == "amp-batch-merge");
        Assert.Contains("amp-sessions batch merge /journals/shard-*.jsonl", merge.ToString());
    }

    private static string? Scalar(YamlMappingNode node, params string[] path)
    {
        YamlNode current = node;
        foreach (var key in path)
        {
            if (current is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(key), out var next))
            {
                return null;
            }
            current = next;
        }
        return (current as YamlScalarNode)?.Value;
    }
}
