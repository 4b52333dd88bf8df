using System.Text.Json;
using AmpSessions.Testing;

namespace AmpSessions.Cli.Tests.Evaluation;

/// <summary>
/// Issue 14 item 2's "per evaluation": `eval run --budget-tokens` is the budget of the run's batch, so
/// a spent budget stops the running attempt and starts no other, and the run says so.
/// </summary>
public sealed class EvalBudgetCliTests : IDisposable
{
    private readonly TempDirectory temp = new("amp-eval-budget");
    private readonly CliRunner cli;

    public EvalBudgetCliTests()
    {
        cli = new CliRunner(temp.Combine("data"));
        cli.Environment["AMP_SESSIONS_NOTIFICATIONS"] = "0";
    }

    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task A_token_budget_stops_an_evaluation_run_and_the_run_says_so()
    {
        // A small hand-written benchmark (commit pairs, shell tests): the budget, not the cases, is under test.
        var bench = CommitPairBenchmark.Create(temp.Combine("calc"), temp.Combine("bench"));
        var demoAgent = $"demo=amp:\"dotnet\" \"{TestPaths.CliAssembly}\" __demo-agent";

        var result = await cli.RunAsync(["eval", "run", bench.PairsFile, "--agent", demoAgent, "--budget-tokens", "1", "--json"], null, TimeSpan.FromMinutes(4));

        Assert.True(result.ExitCode == 1, result.ToString());
        var run = JsonDocument.Parse(result.StandardOutput).RootElement;
        Assert.Equal("BudgetExceeded", run.GetProperty("status").GetString());
        Assert.Equal(CommitPairBenchmark.InstanceCount, run.GetProperty("total").GetInt32());
        Assert.True(run.GetProperty("completed").GetInt32() < CommitPairBenchmark.InstanceCount, result.ToString());
        var status = await cli.RunAsync("batch", "status", run.GetProperty("runId").GetString()!, "--json");
        Assert.Contains("The batch's budget is spent (tokens ", status.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("BudgetReached", (await cli.RunAsync("events", "--type", "BudgetReached")).StandardOutput, StringComparison.Ordinal);
    }
}
