using AmpSessions.Core.Errors;
using AmpSessions.Core.Git;
using AmpSessions.Core.Integration;
using AmpSessions.Core.Iterations;
using AmpSessions.Core.Sessions;
using AmpSessions.Core.Tests.Iterations;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Sessions;

/// <summary>
/// Issue 10 item 2: every operation that changes a session's branch, worktree or status holds the
/// session lock for its whole duration, and cleanup judges what it would lose under the repository lock.
/// </summary>
[Trait("Platform", "Linux")]
public sealed class SessionLockingTests : IDisposable
{
    private readonly IterationTestBed bed = new();

    public void Dispose() => bed.Dispose();

    private async Task<(Task<IterationRecord> Run, CancellationTokenSource Stop)> HangingIterationAsync(Session session)
    {
        var stop = new CancellationTokenSource();
        var run = bed.IterateAsync(session, cancellationToken: stop.Token);
        await Eventually.WaitAsync(() => run.IsCompleted || bed.Context.Sessions.Get(session.Id)!.Status == SessionStatus.Running, what: "the iteration to start");
        Assert.False(run.IsCompleted, run.Exception?.ToString());
        return (run, stop);
    }

    [Fact]
    public async Task Cleanup_force_is_refused_while_an_iteration_runs_and_the_worktree_stays()
    {
        var session = await bed.NewSessionAsync("hang");
        var (run, stop) = await HangingIterationAsync(session);
        using (stop)
        {
            var busy = await Assert.ThrowsAsync<AmpSessionsException>(() => bed.Sessions.CleanupAsync(session.Id, force: true));

            Assert.Equal("AmpSessionBusy", busy.ErrorId);
            Assert.Contains("iteration", busy.Message);
            Assert.True(Directory.Exists(session.WorktreePath));
            stop.Cancel();
            Assert.Equal(IterationStatus.Cancelled, (await run).Status);
        }
        // The iteration ended as it would have alone: not Error over a worktree deleted under it, not Archived.
        Assert.Equal(SessionStatus.Idle, bed.Reload(session).Status);
        Assert.True(Directory.Exists(session.WorktreePath));
    }

    [Fact]
    public async Task Squash_rebase_merge_restore_and_commit_are_refused_while_an_iteration_runs()
    {
        var session = await bed.NewSessionAsync("hang");
        bed.GitInWorktree(session, "commit", "--allow-empty", "--quiet", "-m", "amp: first");
        bed.GitInWorktree(session, "commit", "--allow-empty", "--quiet", "-m", "amp: second");
        var (run, stop) = await HangingIterationAsync(session);
        using (stop)
        {
            var integration = new IntegrationService(bed.Context, new Integration.RecordingNotifier());
            foreach (var attempt in new Func<Task>[]
            {
                () => integration.SquashAsync(session.Id, "one"),
                () => integration.RebaseAsync(session.Id),
                () => integration.MergeAsync(session.Id),
                () => integration.RestoreAsync(session.Id),
                () => bed.Sessions.CommitAsync(session.Id, "manual"),
            })
            {
                Assert.Equal("AmpSessionBusy", (await Assert.ThrowsAsync<AmpSessionsException>(attempt)).ErrorId);
            }
            stop.Cancel();
            await run;
        }
        Assert.Equal("amp: second", bed.GitInWorktree(session, "log", "-1", "--format=%s"));
    }

    [Fact]
    public async Task An_iteration_cannot_start_while_a_merge_is_rebasing_the_session()
    {
        var session = await bed.NewSessionAsync("success-edit");
        bed.GitInWorktree(session, "commit", "--allow-empty", "--quiet", "-m", "amp: work");
        bed.Repo.WriteFile("CHANGELOG.md", "the base moved\n");
        bed.Repo.CommitAll("Move the base");
        var point = new GitKillPoint(bed.Repo.Scratch("killpoint"));
        var mergingContext = AmpContext.Open(new AmpContextOptions { DataDirectory = bed.Context.Data.Root, GitExecutable = point.WrapperPath });
        point.Arm("before", "rebase");

        var merge = new IntegrationService(mergingContext, new Integration.RecordingNotifier()).MergeAsync(session.Id);
        await point.WaitUntilPausedAsync(merge, "the rebase of the merge");
        try
        {
            // Before: the session lock was not taken by merge, so the agent would have run while git rebased its worktree.
            var busy = await Assert.ThrowsAsync<AmpSessionsException>(() => bed.IterateAsync(session));
            Assert.Equal("AmpSessionBusy", busy.ErrorId);
            Assert.Contains("merge", busy.Message);
        }
        finally
        {
            point.Release();
        }
        var merged = await merge;

        Assert.Equal(SessionStatus.Merged, merged.Session.Status);
        Assert.Equal(SessionStatus.Merged, bed.Reload(session).Status);
        Assert.Empty(bed.Invocations);
    }

    [Fact]
    public async Task Cleanup_judges_what_it_would_lose_under_the_repository_lock()
    {
        var session = await bed.NewSessionAsync();
        var commonDir = bed.Repo.Path(".git");
        Task<CleanupResult> cleanup;
        using (await RepositoryLock.AcquireAsync(commonDir, "the test"))
        {
            // Cleanup waits for the repository lock; meanwhile another process commits to the branch
            // (a merge of another session, a hook, the user in a terminal).
            cleanup = bed.Sessions.CleanupAsync(session.Id);
            await Task.Delay(500);
            Assert.False(cleanup.IsCompleted, cleanup.Exception?.ToString());
            bed.GitInWorktree(session, "commit", "--allow-empty", "--quiet", "-m", "arrived while cleanup waited");
        }

        var refused = await Assert.ThrowsAsync<AmpSessionsException>(() => cleanup);

        Assert.Equal("AmpCleanupWouldLoseWork", refused.ErrorId);
        Assert.Contains("1 commit", refused.Message);
        Assert.Equal("arrived while cleanup waited", bed.Repo.Git("log", "-1", "--format=%s", session.BranchName));
        Assert.True(Directory.Exists(session.WorktreePath));
    }

    [Fact]
    public async Task Two_cleanups_at_once_one_archives_and_the_other_is_told_the_session_is_busy_or_already_archived()
    {
        var session = await bed.NewSessionAsync();
        var results = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            try
            {
                await bed.Sessions.CleanupAsync(session.Id);
                return "ok";
            }
            catch (AmpSessionsException ex)
            {
                return ex.ErrorId;
            }
        })));

        Assert.Contains("ok", results);
        Assert.Equal(SessionStatus.Archived, bed.Reload(session).Status);
        Assert.False(Directory.Exists(session.WorktreePath));
        Assert.False(SessionLock.IsHeld(bed.Context, session.Id));
    }
}
