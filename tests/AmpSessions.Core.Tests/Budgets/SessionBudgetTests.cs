using AmpSessions.Core.Budgets;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Events;
using AmpSessions.Core.Iterations;
using AmpSessions.Core.Sessions;
using AmpSessions.Core.Tests.Integration;
using AmpSessions.Core.Tests.Iterations;

namespace AmpSessions.Core.Tests.Budgets;

public sealed class SessionBudgetTests : IDisposable
{
    private readonly IterationTestBed bed = new();

    public void Dispose() => bed.Dispose();

    private async Task<Session> SessionAsync(string scenario, Budget budget)
    {
        var session = await bed.NewSessionAsync(scenario);
        var withBudget = bed.Reload(session) with { Budget = budget, NotificationsEnabled = true };
        bed.Context.Sessions.Update(withBudget);
        return withBudget;
    }

    private string Spender() => bed.WriteSpenderScenario();

    [Fact]
    public async Task A_token_budget_stops_the_turn_gracefully_commits_what_was_done_and_marks_the_session()
    {
        var session = await SessionAsync(Spender(), new Budget { Tokens = 700 });
        var notifier = new RecordingNotifier();
        var watch = System.Diagnostics.Stopwatch.StartNew();

        var iteration = await bed.IterateAsync(session, notifier: notifier);

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"the turn was not stopped ({watch.Elapsed})");
        Assert.Equal(IterationStatus.BudgetExceeded, iteration.Status);
        Assert.Equal(800, iteration.TotalTokens);
        Assert.StartsWith("the session's budget is spent (tokens 800 of 700)", iteration.Error);
        Assert.NotNull(iteration.CommitSha);
        Assert.Equal(["first.txt", "second.txt"], iteration.ChangedFiles.Order());
        Assert.False(File.Exists(Path.Combine(session.WorktreePath, "third.txt")));
        Assert.Contains("Amp-Budget-Reached: the session's budget is spent (tokens 800 of 700)", bed.GitInWorktree(session, "log", "-1", "--format=%B"));
        var after = bed.Reload(session);
        Assert.Equal(SessionStatus.BudgetExceeded, after.Status);
        Assert.Equal("the session's budget is spent (tokens 800 of 700)", after.StatusMessage);
        var reached = bed.Context.Events.Last(1, new EventFilter { Types = [AmpEventTypes.BudgetReached] }).Single();
        Assert.Equal(("Tokens", "session"), (reached.Data["limit"]!.GetValue<string>(), reached.Data["scope"]!.GetValue<string>()));
        Assert.Contains(notifier.Sent, n => n.Kind == Core.Notifications.NotificationKind.BudgetReached);

        var refused = await Assert.ThrowsAsync<AmpSessionsException>(() => bed.IterateAsync(session));
        Assert.Equal("AmpBudgetExceeded", refused.ErrorId);
        Assert.Contains($"amp-sessions set {session.Id} --budget-tokens <n>", refused.Message);

        var raised = await bed.Sessions.UpdateAsync(session.Id, new SessionUpdate { BudgetTokens = 5000 });
        Assert.Equal(SessionStatus.Idle, raised.Status);
        Assert.Equal(5000, raised.Budget.Tokens);
        var state = await bed.Sessions.GetStateAsync(session.Id);
        Assert.Equal((800L, 1), (state.BudgetSpent!.Tokens, state.BudgetSpent.Iterations));
        var removed = await bed.Sessions.UpdateAsync(session.Id, new SessionUpdate { BudgetTokens = 0 });
        Assert.True(removed.Budget.IsEmpty);
    }

    [Fact]
    public async Task An_iteration_budget_marks_the_session_after_its_last_iteration()
    {
        var session = await SessionAsync("success-edit", new Budget { Iterations = 1 });

        var iteration = await bed.IterateAsync(session);

        Assert.Equal(IterationStatus.Succeeded, iteration.Status);
        Assert.Equal(SessionStatus.BudgetExceeded, bed.Reload(session).Status);
        Assert.Equal("the session's budget is spent (iterations 1 of 1)", bed.Reload(session).StatusMessage);
        var lowered = await bed.Sessions.UpdateAsync(session.Id, new SessionUpdate { BudgetIterations = 0, BudgetTokens = 1 });
        Assert.Equal(SessionStatus.BudgetExceeded, lowered.Status);
        Assert.StartsWith("the session's budget is spent (tokens", lowered.StatusMessage);
    }

    [Fact]
    public async Task A_time_budget_stops_a_long_turn()
    {
        var session = await SessionAsync(bed.WriteScenario("slow", """{"steps": [{"writeFile": {"path": "started.txt", "content": "x"}}, {"sleepMs": 30000}, {"success": "late"}]}"""),
            new Budget { Time = TimeSpan.FromSeconds(2) });
        var watch = System.Diagnostics.Stopwatch.StartNew();

        var iteration = await bed.IterateAsync(session);

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
        Assert.Equal(IterationStatus.BudgetExceeded, iteration.Status);
        Assert.StartsWith("the session's budget is spent (time", iteration.Error);
        Assert.Equal(["started.txt"], iteration.ChangedFiles);
        Assert.Equal(SessionStatus.BudgetExceeded, bed.Reload(session).Status);
    }

    [Fact]
    public async Task Budgets_must_be_positive()
    {
        var error = await Assert.ThrowsAsync<AmpSessionsException>(() => bed.Sessions.CreateAsync(new NewSessionRequest
        {
            RepoPath = bed.Repo.Root, Name = "bad budget", Prompt = "x", Budget = new Budget { Tokens = 0 },
        }));
        Assert.Equal("AmpBudgetInvalid", error.ErrorId);
        Assert.Empty(bed.Context.Sessions.List());
    }
}
