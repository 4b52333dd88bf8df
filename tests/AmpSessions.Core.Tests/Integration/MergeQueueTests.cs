using AmpSessions.Core.Errors;
using AmpSessions.Core.Events;
using AmpSessions.Core.Integration;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Core.Tests.Integration;

[Trait("Platform", "Posix")]
public sealed class MergeQueueTests : IntegrationTestBase
{
    private Task<Session> SessionAsync(string name, string? script = "true") =>
        Sessions.CreateAsync(new NewSessionRequest { RepoPath = Repo.Root, BaseBranch = "main", Name = name, Prompt = name, ScriptCommand = script, NotificationsEnabled = false });

    private static string Lines(string prefix, int count) => string.Concat(Enumerable.Range(1, count).Select(i => $"{prefix} {i}\n"));

    [Fact]
    public async Task Five_sessions_two_conflicting_and_one_failing_after_rebase_land_three_in_one_run()
    {
        BaseCommit("shared.txt", "first line\nsecond line\n", "Add shared.txt");
        // A and B change the same line: they conflict with each other; A is the bigger change.
        var a = await SessionAsync("a big change");
        AgentCommit(a, "A", ("shared.txt", "first line by A\nsecond line\n"), ("a.txt", Lines("a", 30)));
        var b = await SessionAsync("b small change");
        AgentCommit(b, "B", ("shared.txt", "first line by B\nsecond line\n"));
        // C's test passes on its own base and fails once D's file is in the base.
        var c = await SessionAsync("c needs no d", "test ! -e d.txt");
        AgentCommit(c, "C", ("c.txt", Lines("c", 10)));
        var d = await SessionAsync("d adds d.txt");
        AgentCommit(d, "D", ("d.txt", Lines("d", 20)));
        var e = await SessionAsync("e tiny");
        AgentCommit(e, "E", ("e.txt", Lines("e", 5)));
        Assert.True((await new Core.Scripts.ScriptRunner(Context, Notifier).RunAsync(c.Id)).Passed, "C's tests pass before the queue runs");
        var oldBase = Tip("main");

        var result = await new MergeQueue(Context, Notifier).RunAsync(new MergeQueueRequest { Sessions = [a.Id, b.Id, c.Id, d.Id, e.Id] });

        Assert.Equal([a.Id, d.Id, e.Id], result.Merged);
        Assert.Equal([b.Id, c.Id], result.Skipped.Select(s => s.Id));
        Assert.StartsWith($"would conflict with {a.Id} in shared.txt", result.Skipped[0].Reason);
        Assert.StartsWith($"tests failed after rebasing onto main at {result.Landings[1].NewBaseCommit[..7]} after {a.Id}, {d.Id} landed", result.Skipped[1].Reason);
        Assert.Equal([new ConflictPrediction(a.Id, b.Id, ["shared.txt"])], result.PredictedConflicts.Select(p => p with { Paths = [.. p.Paths] }).ToArray(),
            new PredictionComparer());
        Assert.Equal(oldBase, result.OldBaseCommit);
        Assert.Equal(Tip("main"), result.NewBaseCommit);
        Assert.Equal(result.Landings[^1].NewBaseCommit, result.NewBaseCommit);

        // Linear history: no merge commits, every landed change is on main, the main checkout followed clean.
        Assert.Equal("", Repo.Git("rev-list", "--merges", $"{oldBase}..main"));
        Assert.Equal(3, int.Parse(Repo.Git("rev-list", "--count", $"{oldBase}..main")));
        Assert.Equal("first line by A\nsecond line\n", Repo.ReadFile("shared.txt"));
        Assert.True(File.Exists(Repo.Path("d.txt")) && File.Exists(Repo.Path("e.txt")) && !File.Exists(Repo.Path("c.txt")));
        Assert.Equal("", Repo.Git("status", "--porcelain"));
        foreach (var landed in new[] { a, d, e })
        {
            Assert.Equal(SessionStatus.Merged, Reload(landed).Status);
            Assert.NotEmpty(BackupRefs(landed));
        }
        // Left out: B untouched (no rebase tried), C rebased and kept with its backup.
        Assert.Equal(SessionStatus.Idle, Reload(b).Status);
        Assert.Empty(BackupRefs(b));
        Assert.Equal(SessionStatus.Idle, Reload(c).Status);
        Assert.Contains(BackupRefs(c), r => r.EndsWith("-rebase", StringComparison.Ordinal));
        Assert.Equal("", Repo.Git("merge-base", "--is-ancestor", result.Landings[1].NewBaseCommit, Reload(c).BranchName));
        var finished = Context.Events.Last(1, new EventFilter { Types = [AmpEventTypes.QueueFinished] }).Single();
        Assert.Equal([a.Id, d.Id, e.Id], finished.Data["merged"]!.AsArray().Select(n => n!.GetValue<string>()));
    }

    [Fact]
    public async Task Prediction_with_merge_tree_changes_no_checkout_index_or_ref()
    {
        var a = await SessionAsync("one");
        var tipA = AgentCommit(a, "A", ("src/greet.ts", "A\n"));
        var b = await SessionAsync("two");
        var tipB = AgentCommit(b, "B", ("src/greet.ts", "B\n"));
        var before = Everything(a) + Everything(b);

        var paths = await MergeQueue.PredictAsync(new Core.Git.GitClient(Repo.Root), tipA, tipB, CancellationToken.None);

        Assert.Equal(["src/greet.ts"], paths);
        Assert.Empty(await MergeQueue.PredictAsync(new Core.Git.GitClient(Repo.Root), tipA, Tip("main"), CancellationToken.None));
        Assert.Equal(before, Everything(a) + Everything(b));
    }

    [Fact]
    public async Task A_session_that_conflicts_with_the_base_or_is_not_ready_is_left_out_with_its_reason()
    {
        var conflicted = await ConflictingSessionAsync();
        var empty = await SessionAsync("nothing yet");
        var dirty = await SessionAsync("dirty");
        AgentCommit(dirty, "work", ("x.txt", "x\n"));
        Write(dirty, "x.txt", "changed\n");
        var good = await SessionAsync("good");
        AgentCommit(good, "good", ("good.txt", "good\n"));

        var result = await new MergeQueue(Context, Notifier).RunAsync(new MergeQueueRequest { Sessions = [conflicted.Id, empty.Id, dirty.Id, good.Id] });

        Assert.Equal([good.Id], result.Merged);
        var reasons = result.Skipped.ToDictionary(s => s.Id, s => s.Reason);
        Assert.StartsWith("conflicts with main in src/greet.ts", reasons[conflicted.Id]);
        Assert.StartsWith("nothing to merge", reasons[empty.Id]);
        Assert.StartsWith("has 1 uncommitted change", reasons[dirty.Id]);
    }

    [Fact]
    public async Task Sessions_on_different_bases_need_a_base_and_nothing_changes()
    {
        Repo.Git("branch", "release");
        var a = await SessionAsync("on main");
        AgentCommit(a, "A", ("a.txt", "a\n"));
        var b = await Sessions.CreateAsync(new NewSessionRequest { RepoPath = Repo.Root, BaseBranch = "release", Name = "on release", Prompt = "x" });
        AgentCommit(b, "B", ("b.txt", "b\n"));

        var error = await AssertRefusedAsync(a, "AmpQueueBasesDiffer", () => new MergeQueue(Context, Notifier).RunAsync(new MergeQueueRequest { Sessions = [a.Id, b.Id] }));

        Assert.Contains("pass --base", error.Message);
        await Assert.ThrowsAsync<SessionNotFoundException>(() => new MergeQueue(Context).RunAsync(new MergeQueueRequest { Sessions = [a.Id, "nosuchsession"] }));
    }

    private sealed class PredictionComparer : IEqualityComparer<ConflictPrediction>
    {
        public bool Equals(ConflictPrediction? x, ConflictPrediction? y) =>
            x is not null && y is not null && x.First == y.First && x.Second == y.Second && x.Paths.SequenceEqual(y.Paths);

        public int GetHashCode(ConflictPrediction obj) => HashCode.Combine(obj.First, obj.Second);
    }
}
