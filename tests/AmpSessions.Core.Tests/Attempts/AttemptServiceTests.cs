using AmpSessions.Core.Agents;
using AmpSessions.Core.Attempts;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Sessions;
using AmpSessions.Core.Tests.Iterations;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Attempts;

[Trait("Platform", "Posix")]
public sealed class AttemptServiceTests : IDisposable
{
    private readonly IterationTestBed bed = new();

    public void Dispose() => bed.Dispose();

    /// <summary>An agent that is the fake playing one scenario file: `env FAKE_AMP_SCENARIO=script:... fake-amp`.</summary>
    private string Agent(string name, params string[] steps)
    {
        var scenario = bed.WriteScenario(name, $$"""{"steps": [{{string.Join(", ", steps)}}, {"success": "done"}]}""");
        return AgentSpec.Format(AgentDialect.Amp, ["env", "FAKE_AMP_SCENARIO=" + scenario, TestPaths.FakeAgent]);
    }

    private static string Write(string path, string content, int tokens) =>
        $$$"""{"text": "writing {{{path}}}", "usage": {"input_tokens": {{{tokens}}}, "output_tokens": 10}}, {"writeFile": {"path": "{{{path}}}", "content": "{{{content}}}"}}""";

    private NewSessionRequest Task(string? script = "test -f ok.txt") => new()
    {
        RepoPath = bed.Repo.Root,
        BaseBranch = "main",
        Name = "Add ok",
        Prompt = "Create ok.txt",
        ScriptCommand = script,
        NotificationsEnabled = false,
    };

    [Fact]
    public async Task Three_attempts_with_different_agents_propose_the_passing_one_with_the_smallest_diff_and_keeping_it_archives_the_others()
    {
        var big = Agent("big", Write("ok.txt", string.Concat(Enumerable.Repeat("line\\n", 20)), 100));
        var small = Agent("small", Write("ok.txt", "ok\\n", 300));
        var failing = Agent("failing", Write("nope.txt", "x\\n", 50));

        var comparison = await new AttemptService(bed.Context).CreateAsync(new NewAttemptsRequest { Session = Task(), Agents = [big, small, failing] });

        Assert.Equal(3, comparison.Attempts.Count);
        var (bigOne, smallOne, failingOne) = (comparison.Attempts[0], comparison.Attempts[1], comparison.Attempts[2]);
        Assert.Equal((true, 20, 110L), (bigOne.TestsPassed, bigOne.ChangedLines, bigOne.Tokens));
        Assert.Equal((true, 1, 310L), (smallOne.TestsPassed, smallOne.ChangedLines, smallOne.Tokens));
        Assert.Equal((false, 1), (failingOne.TestsPassed, failingOne.ChangedLines));
        Assert.Equal(smallOne.SessionId, comparison.ProposedId);
        Assert.True(smallOne.Proposed);
        Assert.Equal($"{smallOne.SessionId}: its tests pass with the smallest change (1 line in 1 file)", comparison.Reason);
        // The base fails the script too (no ok.txt there), so the failing attempt is no regression.
        Assert.False(comparison.BaselinePassed);
        Assert.False(failingOne.Regression);
        var sessions = bed.Context.Sessions.ListByAttemptGroup(comparison.Group);
        Assert.Equal(["Add ok #1", "Add ok #2", "Add ok #3"], sessions.Select(s => s.Name));
        Assert.All(sessions, s => Assert.Equal(SessionStatus.Idle, s.Status));
        Assert.False(Directory.Exists(bed.Repo.Path(".worktrees", "baseline-" + comparison.Group)));

        var kept = await new AttemptService(bed.Context).KeepAsync(bigOne.SessionId, keep: null);

        Assert.Equal(smallOne.SessionId, kept.KeptId);
        foreach (var other in new[] { bigOne, failingOne })
        {
            var session = bed.Context.Sessions.Get(other.SessionId)!;
            Assert.Equal(SessionStatus.Archived, session.Status);
            Assert.False(Directory.Exists(session.WorktreePath));
            Assert.NotEqual("", bed.Repo.Git("rev-parse", "refs/heads/" + session.BranchName));
            Assert.Contains("-attempt", bed.Repo.Git("for-each-ref", "--format=%(refname)", $"refs/amp-sessions/{session.Id}/backup/"));
        }
        Assert.Equal(SessionStatus.Idle, bed.Context.Sessions.Get(smallOne.SessionId)!.Status);
    }

    [Fact]
    public async Task A_regression_is_a_failing_attempt_where_the_base_passes()
    {
        var breaks = Agent("breaks", """{"deleteFile": "README.md"}""");
        var keeps = Agent("keeps", Write("extra.txt", "x\\n", 5));

        var comparison = await new AttemptService(bed.Context).CreateAsync(new NewAttemptsRequest { Session = Task("test -f README.md"), Agents = [breaks, keeps] });

        Assert.True(comparison.BaselinePassed);
        Assert.True(comparison.Attempts[0].Regression);
        Assert.False(comparison.Attempts[1].Regression);
        Assert.Equal(comparison.Attempts[1].SessionId, comparison.ProposedId);
    }

    [Fact]
    public async Task Bad_counts_and_groups_are_refused_and_leave_nothing()
    {
        var error = await Assert.ThrowsAsync<AmpSessionsException>(() => new AttemptService(bed.Context).CreateAsync(new NewAttemptsRequest { Session = Task(), Count = 1 }));
        Assert.Equal("AmpAttemptsCountInvalid", error.ErrorId);
        var bad = await Assert.ThrowsAsync<AmpSessionsException>(() => new AttemptService(bed.Context).CreateAsync(new NewAttemptsRequest { Session = Task() with { BaseBranch = "nosuch" }, Count = 2 }));
        Assert.Equal("AmpBaseBranchNotFound", bad.ErrorId);
        Assert.Empty(bed.Context.Sessions.List());
        Assert.Equal("main", bed.Repo.Git("for-each-ref", "--format=%(refname:short)", "refs/heads/"));
        Assert.Equal("AmpAttemptGroupNotFound", Assert.Throws<AmpSessionsException>(() => new AttemptService(bed.Context).Members("gnosuch1")).ErrorId);
    }

    private static AttemptSummary Summary(string id, int lines, long tokens, double seconds, bool regression = false) => new()
    {
        SessionId = id, Name = id, Status = SessionStatus.Idle, Iterations = 1, TestsPassed = true, Regression = regression,
        FilesChanged = 1, ChangedLines = lines, Tokens = tokens, Duration = TimeSpan.FromSeconds(seconds), Succeeded = true,
    };

    [Fact]
    public void The_reason_names_the_measure_that_decided_not_the_whole_ranking()
    {
        // Same change size and tokens: time decides, and the reason must say so (it used to say "fewest tokens").
        var (id, reason) = AttemptService.Propose([Summary("slow0001", 3, 500, 9.0), Summary("fast0002", 3, 500, 4.0)]);
        Assert.Equal("fast0002", id);
        Assert.Equal("fast0002: its tests pass with the shortest time (4.0s)", reason);

        // One rival is bigger, the other the same size with more tokens: both measures decided, in rank order.
        (id, reason) = AttemptService.Propose([Summary("big00001", 9, 100, 1.0), Summary("same0002", 3, 800, 1.0), Summary("best0003", 3, 400, 2.0)]);
        Assert.Equal("best0003", id);
        Assert.Equal("best0003: its tests pass with the smallest change (3 lines in 1 file), then the fewest tokens (400)", reason);

        // A regression ranks below any change size.
        (id, reason) = AttemptService.Propose([Summary("regr0001", 1, 10, 1.0, regression: true), Summary("safe0002", 5, 10, 1.0)]);
        Assert.Equal("safe0002", id);
        Assert.Equal("safe0002: its tests pass with no regression", reason);

        // Equal on everything: say so rather than invent a reason.
        (id, reason) = AttemptService.Propose([Summary("twin0001", 2, 10, 1.0), Summary("twin0002", 2, 10, 1.0)]);
        Assert.Equal("twin0001", id);
        Assert.Equal("twin0001: its tests pass, equal to twin0002 on every measure (the first is proposed)", reason);
    }
}
