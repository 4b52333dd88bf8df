using AmpSessions.Core.Batches;
using AmpSessions.Core.Errors;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Batches;

public sealed class BatchExpansionTests : IDisposable
{
    private readonly TempDirectory temp = new("amp-expand");

    public void Dispose() => temp.Dispose();

    private const string File3x2x2 = """
        version: 3
        agents:
          - id: fast
          - id: careful
          - id: cheap
        tasks:
          - id: build
            type: batch
            prompts: ["Add a feature", "Fix the bug"]
            repositories: ["./repo-a", "repo-b/"]
          - id: eval
            type: evaluation
            cases_dir: ./cases
            script_command: "true"
        """;

    private BatchDefinition Parse(string folderName)
    {
        var folder = temp.Combine(folderName);
        foreach (var path in new[] { "repo-a", "repo-b", "cases/one/repo", "cases/two/repo" })
        {
            Directory.CreateDirectory(Path.Combine(folder, path));
        }
        File.WriteAllText(Path.Combine(folder, "cases/one/case.yaml"), "prompt: first\nrepo: repo\n");
        File.WriteAllText(Path.Combine(folder, "cases/two/case.yaml"), "prompt: second\nrepo: repo\n");
        var file = Path.Combine(folder, "batch.yaml");
        File.WriteAllText(file, File3x2x2);
        return BatchFileParser.Load(file);
    }

    [Fact]
    public void Expands_agents_times_prompts_times_repositories_and_cases_in_file_order()
    {
        var items = BatchExpansion.Expand(Parse("x"));

        Assert.Equal(3 * (2 * 2 + 2), items.Count);
        Assert.Equal(
            ["fast build repo-a 0", "fast build repo-b 0", "fast build repo-a 1", "fast build repo-b 1", "fast eval one", "fast eval two"],
            items.Take(6).Select(i => $"{i.AgentId} {i.TaskId} {i.Repository ?? i.CaseId}{(i.PromptIndex is { } p ? $" {p}" : "")}"));
        Assert.Equal("Fix the bug", items[2].Prompt);
        Assert.Equal("first", items[4].Prompt);
        Assert.Equal("true", items[4].ScriptCommand);
        Assert.All(items, i => Assert.Matches("^[0-9a-f]{12}$", i.Id));
        Assert.Equal(items.Count, items.Select(i => i.Id).Distinct().Count());
    }

    [Fact]
    public void Item_ids_are_the_same_wherever_the_file_lives()
    {
        var here = BatchExpansion.Expand(Parse("machine-one"));
        var there = BatchExpansion.Expand(Parse(Path.Combine("elsewhere", "machine-two")));

        Assert.Equal(here.Select(i => i.Id), there.Select(i => i.Id));
        Assert.NotEqual(here[0].RepositoryPath, there[0].RepositoryPath);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(18)]
    [InlineData(25)]
    public void Shards_partition_the_items_evenly(int count)
    {
        var items = BatchExpansion.Expand(Parse("s"));
        var shards = Enumerable.Range(1, count).Select(i => new BatchShard(i, count).Select(items, x => x.Id)).ToList();

        var all = shards.SelectMany(s => s).Select(i => i.Id).ToList();
        Assert.Equal(items.Select(i => i.Id).Order(), all.Order());
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.True(shards.Max(s => s.Count) - shards.Min(s => s.Count) <= 1);
        // Stable by id: the input order does not matter.
        Assert.Equal(shards[0].Select(i => i.Id), new BatchShard(1, count).Select(items.Reverse(), x => x.Id).Select(i => i.Id));
    }

    [Theory]
    [InlineData("0/3")]
    [InlineData("4/3")]
    [InlineData("1/0")]
    [InlineData("a/b")]
    [InlineData("3")]
    [InlineData("-1/3")]
    [InlineData("1/3/5")]
    public void Bad_shards_are_refused_with_the_expected_form(string text)
    {
        var ex = Assert.Throws<AmpSessionsException>(() => BatchShard.Parse(text));
        Assert.Equal("AmpUsageShardInvalid", ex.ErrorId);
        Assert.Equal($"'{text}' is not a shard: write i/N with 1 <= i <= N, for example 2/3 for the second of three shards.", ex.Message);
    }

    [Fact]
    public void Shard_text_round_trips()
    {
        Assert.Equal("2/3", BatchShard.Parse(" 2/3 ").ToString());
        Assert.Equal(new BatchShard(2, 3), BatchShard.Parse("2/3"));
    }
}
