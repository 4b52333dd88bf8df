using AmpSessions.Testing;

namespace AmpSessions.Cli.Tests;

/// <summary>
/// Prices set once with `config set` price every session the CLI shows: `new --budget-cost` is refused
/// without one (nothing made), `set --budget-cost` too, and `status` shows the cost after a turn.
/// </summary>
public sealed class PricesCliTests : IDisposable
{
    private readonly CliSessionBed bed = new();

    public void Dispose() => bed.Dispose();

    [Fact]
    public async Task A_cost_budget_needs_a_price_and_status_shows_the_cost_once_config_set_gives_one()
    {
        var refused = await bed.RunAsync("new", "--repo", bed.Repo.Root, "--name", "Capped", "--prompt", "In src/greet.ts rename hello to greet.",
            "--agent", CliSessionBed.FakeAgent, "--budget-cost", "2");

        Assert.True(refused.ExitCode != 0, refused.ToString());
        var line = Assert.Single(refused.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("amp-sessions: A cost budget needs a price, and the configuration has none for agent 'amp:", line);
        Assert.Contains("`amp-sessions config set prices.amp.input 3`", line);
        Assert.Contains("--budget-tokens", line);
        Assert.Equal("[]", (await bed.RunAsync("list", "--json")).StandardOutput.Trim());
        Assert.Equal("main", bed.Repo.Git("branch", "--format=%(refname:short)").Trim());

        var unpriced = await bed.NewSessionAsync();
        var setRefused = await bed.RunAsync("set", unpriced, "--budget-cost", "2");
        Assert.True(setRefused.ExitCode != 0, setRefused.ToString());
        Assert.Contains("A cost budget needs a price", setRefused.StandardError);

        var configured = await bed.RunAsync("config", "set", "prices.amp.output", "1000");
        Assert.True(configured.ExitCode == 0, configured.ToString());
        Assert.StartsWith("prices.amp.output: 1000  (from ", configured.StandardOutput);
        var id = await bed.NewSessionAsync("--budget-cost", "2");
        var iterated = await bed.RunAsync("iterate", id);
        Assert.True(iterated.ExitCode == 0, iterated.ToString());

        var status = await bed.RunAsync("status", id);
        var json = CliSessionBed.Json(await bed.RunAsync("status", id, "--json"));

        Assert.True(status.ExitCode == 0, status.ToString());
        // The fake's turn writes 218 output tokens: $0.218 at $1,000 per million.
        Assert.Contains("  cost:     $0.22\n", status.StandardOutput.ReplaceLineEndings("\n"));
        Assert.Contains("  budget:   $2.00 (spent: 46,501 tokens, 1 iteration, ", status.StandardOutput);
        Assert.Equal(0.218m, json.GetProperty("costUsd").GetDecimal());
        Assert.Equal(0.218m, json.GetProperty("budgetSpent").GetProperty("costUsd").GetDecimal());
        // The other session runs the same agent: now priced too, and it has spent nothing.
        Assert.Equal(0m, CliSessionBed.Json(await bed.RunAsync("status", unpriced, "--json")).GetProperty("costUsd").GetDecimal());
    }
}
