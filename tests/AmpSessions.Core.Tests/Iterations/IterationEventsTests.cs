using AmpSessions.Core.Errors;
using AmpSessions.Core.Iterations;
using AmpSessions.Core.Jobs;
using AmpSessions.Core.Sessions;
using AmpSessions.Core.Tests.Integration;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Iterations;

/// <summary>
/// RunWithEventsAsync: a real iteration by the fake agent in a real worktree, reported through a
/// background run's events as a PowerShell pipeline or job would read them.
/// </summary>
public sealed class IterationEventsTests : IntegrationTestBase
{
    private Task<Session> AgentSessionAsync(string? script = null, string? scenario = null, string? agent = null) =>
        Sessions.CreateAsync(new NewSessionRequest
        {
            RepoPath = Repo.Root,
            BaseBranch = "main",
            Name = "Rename greet",
            Prompt = "In src/greet.ts rename function hello to greet.",
            ScriptCommand = script,
            Agent = agent ?? $"amp:\"{TestPaths.FakeAgent}\"",
            AgentEnvironment = scenario is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["FAKE_AMP_SCENARIO"] = scenario },
            NotificationsEnabled = false,
        });

    private async Task<(BackgroundRun<IterationRecord> Run, IReadOnlyList<RunEvent> Events)> IterateAsync(Session session)
    {
        var run = new BackgroundRun<IterationRecord>("iterate", (events, ct) =>
            new IterationRunner(Context, Notifier).RunWithEventsAsync(new IterateRequest { Session = session.Id }, events, ct));
        run.Start();
        var events = new List<RunEvent>();
        await foreach (var item in run.Events.ReadAllAsync())
        {
            events.Add(item);
        }
        await run.Completion.ContinueWith(_ => { }, TaskScheduler.Default);
        return (run, events);
    }

    private static IReadOnlyList<RunProgress> Progress(IEnumerable<RunEvent> events) =>
        events.Where(e => e.Kind == RunEventKind.Progress).Select(e => e.Progress!).ToArray();

    private static IReadOnlyList<string> Messages(IEnumerable<RunEvent> events, RunEventKind kind) =>
        events.Where(e => e.Kind == kind).Select(e => e.Message!).ToArray();

    [Fact]
    public async Task A_successful_iteration_reports_its_phases_the_agents_work_the_commit_and_the_test_verdict()
    {
        var session = await AgentSessionAsync(script: "echo checked");

        var (run, events) = await IterateAsync(session);

        var iteration = run.Result!;
        Assert.Equal(BackgroundRunState.Completed, run.State);
        Assert.Equal(IterationStatus.Succeeded, iteration.Status);
        Assert.NotNull(iteration.CommitSha);
        var progress = Progress(events);
        Assert.All(progress, p => Assert.Equal($"Iteration of session {session.Id}", p.Activity));
        Assert.Equal("Preparing the iteration", progress[0].Status);
        Assert.Contains(progress, p => p.Status.StartsWith("Iteration 1: ", StringComparison.Ordinal) && p.Status.EndsWith(" tokens)", StringComparison.Ordinal));
        Assert.Contains(progress, p => p.CurrentOperation == "tool edit_file");
        Assert.Contains(progress, p => p is { Status: "Iteration 1: running the test script", CurrentOperation: "echo checked" });
        Assert.True(Assert.Single(progress, p => p.IsCompleted) == progress[^1], "the activity is completed last");

        var verbose = Messages(events, RunEventKind.Verbose);
        Assert.StartsWith($"Iteration 1 of session {session.Id} started with amp:", verbose[0], StringComparison.Ordinal);
        Assert.Contains("Agent: Let me look at the file first.", verbose);
        Assert.Contains("Tool: edit_file", verbose);
        Assert.Contains("Agent finished.", verbose);
        Assert.Contains("| checked", verbose);

        var information = Messages(events, RunEventKind.Information);
        Assert.Equal(2, information.Count);
        Assert.StartsWith($"Committed {iteration.CommitSha![..7]} amp: ", information[0], StringComparison.Ordinal);
        Assert.EndsWith("(1 file).", information[0], StringComparison.Ordinal);
        Assert.Equal($"The test script passed after iteration 1 of session {session.Id}.", information[1]);
        Assert.Empty(Messages(events, RunEventKind.Warning));
        Assert.Equal("export function greet(name: string): string {", File.ReadAllLines(Path.Combine(session.WorktreePath, "src/greet.ts"))[0]);
    }

    [Fact]
    [Trait("Platform", "Posix")]
    public async Task A_failed_turn_and_a_failed_test_script_are_warnings_beside_the_record()
    {
        var failedTurn = await AgentSessionAsync(script: "echo never", scenario: "agent-error");
        var (turnRun, turnEvents) = await IterateAsync(failedTurn);

        var iteration = turnRun.Result!;
        Assert.Equal(IterationStatus.Failed, iteration.Status);
        var warning = Assert.Single(Messages(turnEvents, RunEventKind.Warning));
        Assert.Equal($"Iteration 1 of session {failedTurn.Id} ended Failed: {iteration.Error}.", warning);
        Assert.Contains("overloaded", warning, StringComparison.Ordinal);
        Assert.Empty(Messages(turnEvents, RunEventKind.Information));
        Assert.True(Progress(turnEvents)[^1].IsCompleted);

        var failedTests = await AgentSessionAsync(script: "echo broken; exit 3");
        var (testRun, testEvents) = await IterateAsync(failedTests);

        Assert.False(testRun.Result!.ScriptPassed);
        Assert.Equal([$"The test script failed after iteration 1 of session {failedTests.Id}."], Messages(testEvents, RunEventKind.Warning));
        Assert.Contains("| broken", Messages(testEvents, RunEventKind.Verbose));
    }

    [Fact]
    public async Task The_progress_is_completed_when_the_agent_cannot_even_start()
    {
        var session = await AgentSessionAsync(agent: $"amp:\"{Path.Combine(Repo.Scratch("missing"), "no-such-amp")}\"");

        var (run, events) = await IterateAsync(session);

        Assert.Equal(BackgroundRunState.Failed, run.State);
        Assert.IsAssignableFrom<AmpSessionsException>(run.Error);
        Assert.True(Progress(events)[^1].IsCompleted);
        Assert.Equal(IterationStatus.Crashed, Assert.Single(Context.Iterations.List(session.Id)).Status);
    }
}
