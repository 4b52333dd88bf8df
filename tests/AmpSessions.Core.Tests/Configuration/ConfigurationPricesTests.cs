using AmpSessions.Core.Batches;
using AmpSessions.Core.Configuration;
using AmpSessions.Core.Errors;

namespace AmpSessions.Core.Tests.Configuration;

/// <summary>
/// The configuration's <c>prices</c>: read by the batch file's reader (the same shape and errors),
/// merged per key across the layers, shown and set by key (model names with dots too).
/// </summary>
public sealed class ConfigurationPricesTests : IDisposable
{
    private readonly ConfigurationTestBed bed = new();

    public void Dispose() => bed.Dispose();

    [Fact]
    public void There_are_no_built_in_prices()
    {
        Assert.True(bed.Load().Prices.IsEmpty);
        Assert.DoesNotContain(bed.Load().List(), s => s.Key.StartsWith("prices.", StringComparison.Ordinal));
    }

    [Fact]
    public void A_bad_prices_entry_is_reported_with_file_line_and_column()
    {
        bed.WriteUserFile("""
            prices:
              amp: { input: -1, output: 15 }
              claude: 3
              gpt-4.1:
                input: 2
                cached: 1
              ~: { input: 1 }
            """);

        var ex = Assert.Throws<ConfigurationFileException>(() => bed.Load());

        var errors = ex.Errors.Select(e => $"{e.Line}:{e.Column} {e.Kind}").ToList();
        Assert.Equal(["2:17 InvalidValue", "3:11 WrongType", "6:5 UnknownKey", "7:3 WrongType"], errors);
        Assert.All(ex.Errors, e => Assert.Equal(bed.Service.UserFile, e.FilePath));
        Assert.StartsWith($"{bed.Service.UserFile}:2:17: ", ex.Message);
        Assert.Contains("prices.claude must be a mapping (input, output, cache_creation, cache_read: USD per million tokens), not", ex.Errors[1].Message);
    }

    [Fact]
    public void The_batch_file_reads_its_prices_with_the_same_reader_and_errors()
    {
        var folder = bed.Repo.Scratch("batch");
        Directory.CreateDirectory(Path.Combine(folder, "repo"));
        var file = Path.Combine(folder, "batch.yaml");
        File.WriteAllText(file, """
            version: 3
            agents:
              - id: fast
            tasks:
              - { id: t, type: batch, prompts: [go], repositories: [./repo] }
            prices:
              fast: { input: -1 }
            """);

        var error = Assert.Single(Assert.Throws<BatchFileException>(() => BatchFileParser.Load(file)).Errors);

        Assert.Equal((7, 18, BatchFileErrorKind.InvalidValue), (error.Line, error.Column, error.Kind));
        bed.WriteUserFile("prices:\n  fast: { input: -1 }\n");
        var same = Assert.Single(Assert.Throws<ConfigurationFileException>(() => bed.Load()).Errors);
        Assert.Equal(error.Message, same.Message);
    }

    [Fact]
    public void Each_key_comes_from_the_highest_layer_that_prices_it()
    {
        bed.WriteUserFile("prices:\n  amp: { input: 3, output: 15 }\n  default: { input: 1 }\n");
        bed.WriteRepoFile("prices:\n  amp: { input: 0.5 }\n  claude-sonnet-4.5: { input: 3, cache_read: 0.3 }\n");

        var configuration = bed.Load();

        Assert.Equal(0.5m, configuration.Prices.Find("amp")!.InputPerMillion);
        Assert.Equal(0m, configuration.Prices.Find("amp")!.OutputPerMillion);
        Assert.Equal(1m, configuration.Prices.Find("claude")!.InputPerMillion);
        Assert.Equal(0.3m, configuration.Prices.Find("claude", "claude-sonnet-4.5")!.CacheReadPerMillion);
        var amp = configuration.Get("prices.amp");
        Assert.Equal(bed.RepoFile, amp.Source);
        Assert.Equal("{input: 0.5, output: 0, cache_creation: 0, cache_read: 0}", amp.DisplayValue);
        var dotted = configuration.Get("prices.claude-sonnet-4.5.cache_read");
        Assert.Equal((0.3m, bed.RepoFile), ((decimal)dotted.Value!, dotted.Source));
        Assert.Equal(bed.Service.UserFile, configuration.Get("prices.default.input").Source);
        Assert.Contains(configuration.List(), s => s.Key == "prices.claude-sonnet-4.5.input" && s.DisplayValue == "3");
    }

    [Fact]
    public async Task Config_set_writes_a_price_by_key_and_refuses_a_bad_one()
    {
        var set = await bed.Service.SetAsync("prices.gpt-4.1.input", "2.5", ConfigurationScope.User, bed.Repo.Root);
        await bed.Service.SetAsync("prices.gpt-4.1.output", 10, ConfigurationScope.User, bed.Repo.Root);

        Assert.Equal(("prices.gpt-4.1.input", 2.5m, bed.Service.UserFile), (set.Key, (decimal)set.Value!, set.Source));
        Assert.Equal(10m, bed.Load().Prices.Find("amp", "gpt-4.1")!.OutputPerMillion);
        Assert.Contains("prices:\n  gpt-4.1:\n    input: 2.5\n    output: 10\n", File.ReadAllText(bed.Service.UserFile));
        var before = File.ReadAllText(bed.Service.UserFile);

        var negative = await Assert.ThrowsAsync<AmpSessionsException>(() => bed.Service.SetAsync("prices.gpt-4.1.input", "-1", ConfigurationScope.User, bed.Repo.Root));
        Assert.Equal("'prices.gpt-4.1.input' must be zero or more US dollars per million tokens, like 3 or 0.3, not '-1'.", negative.Message);
        var unknown = await Assert.ThrowsAsync<AmpSessionsException>(() => bed.Service.SetAsync("prices.amp.cached", "1", ConfigurationScope.User, bed.Repo.Root));
        Assert.Equal("AmpConfigKeyUnknown", unknown.ErrorId);
        Assert.Equal(before, File.ReadAllText(bed.Service.UserFile));

        await bed.Service.SetAsync("prices.gpt-4.1.output", null, ConfigurationScope.User, bed.Repo.Root);
        Assert.Equal(0m, bed.Load().Prices.Find("amp", "gpt-4.1")!.OutputPerMillion);
    }
}
