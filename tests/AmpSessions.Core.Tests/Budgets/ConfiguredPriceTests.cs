using AmpSessions.Core.Attempts;
using AmpSessions.Core.Batches;
using AmpSessions.Core.Budgets;
using AmpSessions.Core.Configuration;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Iterations;
using AmpSessions.Core.Sessions;
using AmpSessions.Core.Tests.Iterations;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Budgets;

/// <summary>
/// Prices set once in the configuration (the user's config.yaml, the repository's .amp-sessions.yaml)
/// price every session: cost budgets are enforced on its turns, status shows its cost, and a cost
/// budget nothing would enforce is refused before anything is made.
/// </summary>
public sealed class ConfiguredPriceTests : IDisposable
{
    private readonly IterationTestBed bed = new();

    public void Dispose() => bed.Dispose();

    private string UserFile => Path.Combine(bed.Context.Data.Root, ConfigurationKeys.UserFileName);

    private string RepoFile => bed.Repo.Path(ConfigurationKeys.RepositoryFileName);

    /// <summary>An agent profile `fake` (the fake amp) and the given prices, in the user's config.yaml.</summary>
    private void WriteUserConfiguration(string prices) => File.WriteAllText(UserFile, $"""
        agents:
          fake:
            command: ['{TestPaths.FakeAgent.Replace("'", "''")}']
        prices:
        {prices}
        """);

    private string Spender() => bed.WriteSpenderScenario();

    /// <summary>Two steps of 400 tokens each, then success at once.</summary>
    private string Quick() => bed.WriteScenario("quick", """
        {"steps": [
          {"text": "first", "usage": {"input_tokens": 300, "output_tokens": 100}},
          {"writeFile": {"path": "first.txt", "content": "1\n"}},
          {"text": "second", "usage": {"input_tokens": 300, "output_tokens": 100}},
          {"success": "done"}
        ]}
        """);

    private Task<Session> NewAsync(string scenario, decimal? cost, string agent = "fake") => bed.Sessions.CreateAsync(new NewSessionRequest
    {
        RepoPath = bed.Repo.Root,
        BaseBranch = "main",
        Name = "Priced",
        Prompt = "In src/greet.ts rename the function hello to greet.",
        Agent = agent,
        AgentEnvironment = bed.FakeEnvironment(scenario),
        NotificationsEnabled = false,
        Budget = new Budget { CostUsd = cost },
    });

    [Fact]
    public async Task A_session_priced_by_config_yaml_stops_with_BudgetExceeded_when_its_cost_budget_is_spent()
    {
        // 1,000 dollars per million: each 400-token step costs $0.40.
        WriteUserConfiguration("  fake: { input: 1000, output: 1000 }");
        var session = await NewAsync(Spender(), cost: 0.5m);
        var watch = System.Diagnostics.Stopwatch.StartNew();

        var iteration = await bed.IterateAsync(session);

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"the turn was not stopped ({watch.Elapsed})");
        Assert.Equal(IterationStatus.BudgetExceeded, iteration.Status);
        Assert.StartsWith("the session's budget is spent (cost $0.80 of $0.50)", iteration.Error);
        Assert.Equal(["first.txt", "second.txt"], iteration.ChangedFiles.Order());
        var after = bed.Reload(session);
        Assert.Equal(SessionStatus.BudgetExceeded, after.Status);
        Assert.Equal("the session's budget is spent (cost $0.80 of $0.50)", after.StatusMessage);
        var state = await bed.Sessions.GetStateAsync(session.Id);
        Assert.Equal(0.80m, state.CostUsd);
        Assert.Equal(0.80m, state.BudgetSpent!.CostUsd);

        // Raising the cost budget above what was spent makes the session runnable again.
        var raised = await bed.Sessions.UpdateAsync(session.Id, new SessionUpdate { BudgetCost = 2 });
        Assert.Equal(SessionStatus.Idle, raised.Status);
    }

    [Fact]
    public async Task The_repository_file_overrides_the_user_price_of_the_same_key()
    {
        WriteUserConfiguration("  fake: { input: 1000, output: 1000 }\n  default: { input: 7 }");
        File.WriteAllText(RepoFile, "prices:\n  fake: { input: 1, output: 2 }\n");
        var session = await NewAsync(Quick(), cost: 0.5m);

        var iteration = await bed.IterateAsync(session);

        // At the user's price the turn would cost $0.80 and be stopped; at the repository's it costs $0.001.
        Assert.Equal(IterationStatus.Succeeded, iteration.Status);
        var state = await bed.Sessions.GetStateAsync(session.Id);
        Assert.Equal((600 * 1m + 200 * 2m) / 1_000_000m, state.CostUsd);
        var configuration = new ConfigurationService(bed.Context).ForSession(session);
        Assert.Equal(Path.GetFullPath(RepoFile), configuration.Get("prices.fake.input").Source);
        Assert.Equal(Path.GetFullPath(UserFile), configuration.Get("prices.default").Source);
    }

    [Fact]
    public async Task Status_shows_the_cost_of_a_session_without_a_budget()
    {
        WriteUserConfiguration("  default: { input: 3, output: 15, cache_creation: 3.75, cache_read: 0.3 }");
        var session = await NewAsync(Quick(), cost: null);
        // Priced, and nothing spent yet: $0, not unknown.
        Assert.Equal(0m, (await bed.Sessions.GetStateAsync(session.Id)).CostUsd);

        await bed.IterateAsync(session);

        var state = await bed.Sessions.GetStateAsync(session.Id);
        Assert.Null(state.BudgetSpent);
        Assert.Equal((600 * 3m + 200 * 15m) / 1_000_000m, state.CostUsd);
    }

    [Fact]
    public async Task A_session_without_a_price_has_an_unknown_cost_not_zero()
    {
        var session = await NewAsync(Quick(), cost: null, agent: IterationTestBed.FakeAgent);

        await bed.IterateAsync(session);

        Assert.Null((await bed.Sessions.GetStateAsync(session.Id)).CostUsd);
    }

    [Fact]
    public async Task A_cost_budget_without_a_price_is_refused_and_leaves_no_session_branch_or_worktree()
    {
        WriteUserConfiguration("  other-agent: { input: 1 }");
        var branchesBefore = bed.Repo.Git("branch", "--list");

        var error = await Assert.ThrowsAsync<AmpSessionsException>(() => NewAsync(Quick(), cost: 2));

        Assert.Equal("AmpBudgetCostUnpriced", error.ErrorId);
        Assert.Contains("A cost budget needs a price, and the configuration has none for agent 'fake'", error.Message);
        Assert.Contains("`amp-sessions config set prices.fake.input 3`", error.Message);
        Assert.Contains("--budget-tokens", error.Message);
        Assert.Contains("Set-AmpConfig -Key prices.fake.input -Value 3", error.Render(RemedyStyle.PowerShell));
        Assert.Empty(bed.Context.Sessions.List());
        Assert.Equal(branchesBefore, bed.Repo.Git("branch", "--list"));
        Assert.False(Directory.Exists(bed.Repo.Path(".worktrees")) && Directory.EnumerateFileSystemEntries(bed.Repo.Path(".worktrees")).Any());
    }

    [Fact]
    public async Task Setting_a_cost_budget_on_an_unpriced_session_is_refused_and_changes_nothing()
    {
        WriteUserConfiguration("  other-agent: { input: 1 }");
        var session = await NewAsync(Quick(), cost: null);

        var error = await Assert.ThrowsAsync<AmpSessionsException>(() => bed.Sessions.UpdateAsync(session.Id, new SessionUpdate { BudgetCost = 2, BudgetTokens = 10 }));

        Assert.Equal("AmpBudgetCostUnpriced", error.ErrorId);
        Assert.True(bed.Reload(session).Budget.IsEmpty);
        // With a price the same change is taken.
        WriteUserConfiguration("  fake: { input: 1 }");
        Assert.Equal(2m, (await bed.Sessions.UpdateAsync(session.Id, new SessionUpdate { BudgetCost = 2 })).Budget.CostUsd);
    }

    [Fact]
    public async Task Best_of_N_attempts_show_the_cost_their_configuration_prices()
    {
        // The fake runs as amp:<program>, so the amp entry prices it.
        File.WriteAllText(UserFile, "prices:\n  amp: { input: 1000, output: 1000 }\n");
        var request = new NewAttemptsRequest
        {
            Session = new NewSessionRequest
            {
                RepoPath = bed.Repo.Root, BaseBranch = "main", Name = "Two ways", Prompt = "Create first.txt",
                AgentEnvironment = bed.FakeEnvironment(Quick()), NotificationsEnabled = false,
            },
            Agents = [IterationTestBed.FakeAgent, IterationTestBed.FakeAgent],
        };

        var comparison = await new AttemptService(bed.Context).CreateAsync(request);

        Assert.Equal([0.80m, 0.80m], comparison.Attempts.Select(a => a.CostUsd));
        Assert.Equal([0.80m, 0.80m], (await new AttemptService(bed.Context).CompareAsync(comparison.Group)).Attempts.Select(a => a.CostUsd));
    }

    [Fact]
    public async Task A_batch_item_is_priced_by_the_batch_file_entry_else_by_its_repository_configuration()
    {
        File.WriteAllText(UserFile, "prices:\n  default: { input: 1000 }\n");
        var folder = bed.Repo.Scratch("batch");
        var batch = Path.Combine(folder, "batch.yaml");
        var agent = (string id) => $"  - id: {id}\n    command: [\"{TestPaths.FakeAgent}\"]\n    env: {{ FAKE_AMP_SCENARIO: \"{Quick()}\", FAKE_AMP_STATE_DIR: \"{bed.StateDirectory}\" }}";
        File.WriteAllText(batch, $$"""
            version: 3
            metadata: { name: priced }
            agents:
            {{agent("listed")}}
            {{agent("configured")}}
            tasks:
              - { id: t, type: batch, prompts: ["Create first.txt"], repositories: ["{{bed.Repo.Root}}"] }
            prices:
              listed: { input: 1 }
            """);

        var result = await new BatchService(bed.Context).RunAsync(new BatchRunRequest { FilePath = batch });

        // 600 input tokens each: at the batch file's $1 per million, and at the configuration's $1,000.
        Assert.Equal([("configured", 0.6m), ("listed", 0.0006m)], result.Ran.Select(i => (i.AgentId, i.CostUsd!.Value)).Order());
    }

    [Fact]
    public void A_batch_file_entry_wins_over_the_configuration_and_the_configuration_prices_what_it_leaves()
    {
        File.WriteAllText(UserFile, "prices:\n  fake: { input: 5 }\n  some-model: { input: 9 }\n  amp: { input: 4 }\n");
        var configuration = new ConfigurationService(bed.Context).Load(bed.Repo.Root);
        var session = new Session
        {
            Id = "s1", Name = "n", Prompt = "p", RepoRoot = bed.Repo.Root, BaseBranch = "main", BaseCommit = "", BranchName = "b", WorktreePath = "w",
            Status = SessionStatus.Idle, CreatedAt = DateTimeOffset.UnixEpoch, UpdatedAt = DateTimeOffset.UnixEpoch, Agent = "fake",
        };
        var batch = new PriceTable { Entries = new Dictionary<string, ModelPrice> { ["fake"] = new() { InputPerMillion = 1 } } };

        Assert.Equal(1, SessionPricing.For(configuration.With(ConfigurationService.SessionLayer(session)), session, batch).Price!.InputPerMillion);
        Assert.Equal(5, SessionPricing.For(configuration.With(ConfigurationService.SessionLayer(session)), session, PriceTable.Empty).Price!.InputPerMillion);
        // A batch agent's entry, whatever agent spec its session runs, is the item's default.
        Assert.Equal(1, batch.Only("fake").Find("amp:/some/program")!.InputPerMillion);
        Assert.Same(PriceTable.Empty, batch.Only("unpriced"));
        var modelled = session with { Agent = "unpriced", ModelOverride = "some-model" };
        Assert.Equal(9, SessionPricing.For(configuration.With(ConfigurationService.SessionLayer(modelled)), modelled, batch.Only("unpriced")).Price!.InputPerMillion);
        // An agent given as a program is priced as its kind.
        var build = session with { Agent = "amp:/home/ada/amp/dist/main.js" };
        Assert.Equal(4, SessionPricing.For(configuration.With(ConfigurationService.SessionLayer(build)), build).Price!.InputPerMillion);
    }
}
