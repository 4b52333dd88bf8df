using AmpSessions.Core.Backups;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Git;
using AmpSessions.Core.Sessions;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Sessions;

public sealed class SessionCleanupTests : IDisposable
{
    private readonly SessionTestBed bed = new();

    public void Dispose() => bed.Dispose();

    private string AmpRefs(Session session) => bed.Repo.Git("for-each-ref", "--format=%(refname)", BackupService.RefPrefix(session.Id));

    private void AssertArchivedAndGone(Session session, CleanupResult result)
    {
        Assert.Equal(SessionStatus.Archived, result.Session.Status);
        Assert.Equal(SessionStatus.Archived, bed.Manager.Resolve(session.Id).Status);
        Assert.False(Directory.Exists(session.WorktreePath));
        Assert.DoesNotContain(session.WorktreePath, bed.Repo.Git("worktree", "list", "--porcelain"));
    }

    [Fact]
    public async Task A_clean_session_without_commits_loses_its_worktree_and_branch()
    {
        var session = await bed.NewAsync();

        var result = await bed.KeepingMainCheckoutAsync(() => bed.Manager.CleanupAsync(session.Id));

        AssertArchivedAndGone(session, result);
        Assert.True(result.WorktreeRemoved);
        Assert.True(result.BranchDeleted);
        Assert.Null(result.BackupRef);
        Assert.False(bed.BranchExists(session.BranchName));
        Assert.Equal("", AmpRefs(session));
        await SessionTestBed.AssertLockFreeAsync(bed.Repo.Path(".git"));
    }

    [Fact]
    public async Task A_session_merged_into_the_base_is_cleaned_up_without_force()
    {
        var session = await bed.NewAsync();
        SessionTestBed.CommitIn(session, "feature.txt", "done\n", "feature");
        bed.Repo.Git("merge", "--quiet", "--ff-only", session.BranchName);

        var result = await bed.KeepingMainCheckoutAsync(() => bed.Manager.CleanupAsync(session.Id));

        AssertArchivedAndGone(session, result);
        Assert.True(result.BranchDeleted);
        Assert.Null(result.BackupRef);
        Assert.Equal("done\n", bed.Repo.ReadFile("feature.txt"));
    }

    [Fact]
    public async Task A_dirty_session_is_refused_naming_the_uncommitted_changes()
    {
        var session = await bed.NewAsync();
        SessionTestBed.WriteIn(session, "README.md", "unsaved work\n");
        SessionTestBed.WriteIn(session, "untracked.txt", "more\n");
        var before = bed.Capture();

        var ex = await bed.FailsKeepingMainCheckoutAsync<AmpSessionsException>(() => bed.Manager.CleanupAsync(session.Id));

        Assert.Equal("AmpCleanupWouldLoseWork", ex.ErrorId);
        Assert.Contains($"2 uncommitted changes in {session.WorktreePath}", ex.Message);
        Assert.Contains("--force", ex.Message);
        await bed.AssertNothingLeftBehindAsync(before, rows: 1);
        Assert.Equal(SessionStatus.Idle, bed.Manager.Resolve(session.Id).Status);
        Assert.Equal("unsaved work\n", File.ReadAllText(Path.Combine(session.WorktreePath, "README.md")));
    }

    [Fact]
    public async Task A_cleanup_that_would_lose_work_refuses_without_waiting_for_the_repository_lock()
    {
        // Another session's git work holds the repository lock (a batch's `new` or cleanup on the same repository):
        // the worktree's own state decides the refusal, so it comes at once instead of after the lock.
        var session = await bed.NewAsync();
        SessionTestBed.WriteIn(session, "README.md", "unsaved work\n");
        using var held = await RepositoryLock.AcquireAsync(bed.Repo.Path(".git"), "another session's git work");

        var cleanup = bed.Manager.CleanupAsync(session.Id);
        var finished = await Task.WhenAny(cleanup, Task.Delay(TimeSpan.FromSeconds(20)));

        Assert.Same(cleanup, finished);
        var ex = await Assert.ThrowsAsync<AmpSessionsException>(() => cleanup);
        Assert.Equal("AmpCleanupWouldLoseWork", ex.ErrorId);
        Assert.Contains($"1 uncommitted change in {session.WorktreePath}", ex.Message);
        Assert.Equal(SessionStatus.Idle, bed.Manager.Resolve(session.Id).Status);
        Assert.True(Directory.Exists(session.WorktreePath));
    }

    [Fact]
    public async Task An_unmerged_session_is_refused_naming_the_commits()
    {
        var session = await bed.NewAsync();
        SessionTestBed.CommitIn(session, "feature.txt", "work\n", "work");
        var before = bed.Capture();

        var ex = await Assert.ThrowsAsync<AmpSessionsException>(() => bed.Manager.CleanupAsync(session.Id));

        Assert.Equal("AmpCleanupWouldLoseWork", ex.ErrorId);
        Assert.Contains($"1 commit on {session.BranchName} not in main", ex.Message);
        Assert.DoesNotContain("uncommitted", ex.Message);
        await bed.AssertNothingLeftBehindAsync(before, rows: 1);
    }

    [Fact]
    public async Task Force_on_a_dirty_unmerged_session_keeps_a_backup_and_a_snapshot_first()
    {
        var session = await bed.NewAsync();
        var tip = SessionTestBed.CommitIn(session, "feature.txt", "work\n", "work");
        SessionTestBed.WriteIn(session, "dirty ü.txt", "not committed\n");

        var result = await bed.KeepingMainCheckoutAsync(() => bed.Manager.CleanupAsync(session.Id, force: true));

        AssertArchivedAndGone(session, result);
        Assert.True(result.BranchDeleted);
        Assert.StartsWith($"refs/amp-sessions/{session.Id}/backup/", result.BackupRef);
        Assert.Equal(tip, bed.Repo.Git("rev-parse", result.BackupRef!));
        Assert.Contains(result.BackupRef!, result.Session.StatusMessage);
        var snapshot = Assert.Single(AmpRefs(session).Split('\n'), r => r.StartsWith($"refs/amp-sessions/{session.Id}/snapshot/", StringComparison.Ordinal));
        Assert.Equal("not committed", bed.Repo.Git("show", $"{snapshot}:dirty ü.txt"));
        var backups = await BackupService.ListAsync(result.Session);
        Assert.Equal("cleanup", Assert.Single(backups).Operation);
    }

    [Fact]
    public async Task Force_on_a_clean_unmerged_session_keeps_a_backup_without_a_snapshot()
    {
        var session = await bed.NewAsync();
        var tip = SessionTestBed.CommitIn(session, "feature.txt", "work\n", "work");

        var result = await bed.Manager.CleanupAsync(session.Id, force: true);

        Assert.Equal([result.BackupRef!], AmpRefs(session).Split('\n'));
        Assert.Equal(tip, bed.Repo.Git("rev-parse", result.BackupRef!));
    }

    [Fact]
    public async Task Purge_deletes_the_backup_refs()
    {
        var session = await bed.NewAsync();
        SessionTestBed.CommitIn(session, "feature.txt", "work\n", "work");
        SessionTestBed.WriteIn(session, "dirty.txt", "dirty\n");

        var result = await bed.Manager.CleanupAsync(session.Id, force: true, purge: true);

        Assert.Equal(2, result.PurgedRefCount);
        Assert.Equal("", AmpRefs(session));
        AssertArchivedAndGone(session, result);
    }

    [Fact]
    public async Task A_worktree_deleted_by_hand_is_cleaned_up_too()
    {
        var session = await bed.NewAsync();
        Directory.Delete(session.WorktreePath, recursive: true);

        var result = await bed.KeepingMainCheckoutAsync(() => bed.Manager.CleanupAsync(session.Id));

        AssertArchivedAndGone(session, result);
        Assert.False(result.WorktreeRemoved);
        Assert.True(result.BranchDeleted);
        Assert.DoesNotContain("prunable", bed.Repo.Git("worktree", "list", "--porcelain"));
    }

    [Fact]
    public async Task A_worktree_deleted_by_hand_with_unmerged_commits_still_needs_force()
    {
        var session = await bed.NewAsync();
        SessionTestBed.CommitIn(session, "feature.txt", "work\n", "work");
        Directory.Delete(session.WorktreePath, recursive: true);

        var ex = await Assert.ThrowsAsync<AmpSessionsException>(() => bed.Manager.CleanupAsync(session.Id));

        Assert.Equal("AmpCleanupWouldLoseWork", ex.ErrorId);
        Assert.True(bed.BranchExists(session.BranchName));
    }

    [Fact]
    public async Task Cleaning_up_twice_is_harmless()
    {
        var session = await bed.NewAsync();
        await bed.Manager.CleanupAsync(session.Id);

        var again = await bed.Manager.CleanupAsync(session.Id);

        Assert.Equal(SessionStatus.Archived, again.Session.Status);
        Assert.False(again.WorktreeRemoved);
        Assert.False(again.BranchDeleted);
    }
}
