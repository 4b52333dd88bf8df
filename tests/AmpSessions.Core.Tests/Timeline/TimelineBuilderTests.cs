using AmpSessions.Core.Agents;
using AmpSessions.Core.Iterations;
using AmpSessions.Core.Tests.Iterations;
using AmpSessions.Core.Timeline;

namespace AmpSessions.Core.Tests.Timeline;

public sealed class TimelineBuilderTests : IDisposable
{
    private readonly IterationTestBed bed = new();

    public void Dispose() => bed.Dispose();

    [Fact]
    [Trait("Platform", "Posix")]
    public async Task Commits_carry_their_iteration_tokens_duration_and_test_result_and_other_iterations_and_manual_commits_show_too()
    {
        var session = await bed.NewSessionAsync(script: "grep -q 'function greet' src/greet.ts");
        var first = await bed.IterateAsync(session);
        await bed.UseScenarioAsync(session, "approval-blocked");
        var blocked = await bed.IterateAsync(session);
        // Git dates a commit to the second: commit by hand in a later second than the blocked turn began.
        var nextSecond = blocked.StartedAt.AddTicks(TimeSpan.TicksPerSecond - blocked.StartedAt.Ticks % TimeSpan.TicksPerSecond);
        var wait = nextSecond - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(50);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }
        File.WriteAllText(Path.Combine(session.WorktreePath, "NOTES.md"), "by hand\n");
        var manual = await bed.Sessions.CommitAsync(session.Id, "Add notes by hand");

        var timeline = await new TimelineBuilder(bed.Context).BuildAsync(session.Id);

        Assert.Equal(3, timeline.Count);
        var commit = timeline[0];
        Assert.Equal(TimelineEntryKind.Commit, commit.Kind);
        Assert.Equal(first.CommitSha, commit.Commit);
        Assert.Equal(first.CommitSha![..7], commit.ShortHash);
        Assert.Equal("amp: " + first.Summary, commit.Subject);
        Assert.Equal(["src/greet.ts"], commit.Files);
        Assert.Equal(1, commit.IterationNumber);
        Assert.Equal(IterationStatus.Succeeded, commit.IterationStatus);
        Assert.Equal(new TokenUsage(21, 218, 15_636, 30_626), commit.Tokens);
        Assert.Equal(first.Duration, commit.Duration);
        Assert.Equal(TestResult.Passed, commit.TestResult);

        var waiting = timeline[1];
        Assert.Equal(TimelineEntryKind.Iteration, waiting.Kind);
        Assert.Null(waiting.Commit);
        Assert.Equal(2, waiting.IterationNumber);
        Assert.Equal(IterationStatus.AwaitingInput, waiting.IterationStatus);
        Assert.StartsWith("iteration 2: AwaitingInput - The agent needs approval for Bash", waiting.Subject);
        Assert.Equal(blocked.Tokens, waiting.Tokens);
        Assert.Equal(TestResult.NotRun, waiting.TestResult);

        var byHand = timeline[2];
        Assert.Equal(TimelineEntryKind.Commit, byHand.Kind);
        Assert.Equal(manual.Commit, byHand.Commit);
        Assert.Equal("Add notes by hand", byHand.Subject);
        Assert.Equal(["NOTES.md"], byHand.Files);
        Assert.Null(byHand.IterationNumber);
        Assert.Equal(0, byHand.TotalTokens);
        Assert.Equal(TestResult.NotRun, byHand.TestResult);
    }

    [Fact]
    public async Task A_successful_iteration_that_changed_nothing_is_listed_without_a_commit()
    {
        var session = await bed.NewSessionAsync("older-build");
        await bed.IterateAsync(session);

        var entry = Assert.Single(await new TimelineBuilder(bed.Context).BuildAsync(session.Id));

        Assert.Equal(TimelineEntryKind.Iteration, entry.Kind);
        Assert.Equal("iteration 1: Done. (no commit)", entry.Subject);
        Assert.Equal(132, entry.TotalTokens);
    }

    [Fact]
    public async Task An_iterations_commit_sorts_by_the_iteration_not_by_the_seconds_git_keeps()
    {
        // Iterations are stamped by the context's clock, here an hour ahead of git's: sorting by the
        // commit's own date would put iteration 2's commit before iteration 1.
        var clock = new SteppingClock(DateTimeOffset.UtcNow.AddHours(1));
        var context = AmpContext.Open(new AmpContextOptions { DataDirectory = bed.Context.Data.Root, Clock = clock });
        var session = await bed.NewSessionAsync("older-build");
        var runner = new IterationRunner(context);
        await runner.RunAsync(new IterateRequest { Session = session.Id });
        await bed.UseScenarioAsync(session, "success-edit");
        await runner.RunAsync(new IterateRequest { Session = session.Id });

        var timeline = await new TimelineBuilder(context).BuildAsync(session.Id);

        Assert.Equal([(TimelineEntryKind.Iteration, 1), (TimelineEntryKind.Commit, 2)], timeline.Select(e => (e.Kind, e.IterationNumber ?? 0)));
    }

    private sealed class SteppingClock(DateTimeOffset start) : TimeProvider
    {
        private int ticks;

        public override DateTimeOffset GetUtcNow() => start.AddMilliseconds(100 * Interlocked.Increment(ref ticks));
    }

    [Fact]
    public async Task A_fresh_session_has_an_empty_timeline()
    {
        var session = await bed.NewSessionAsync();

        Assert.Empty(await new TimelineBuilder(bed.Context).BuildAsync(session.Id));
    }
}
