using AmpSessions.Core.Backups;
using AmpSessions.Core.Integration;
using AmpSessions.Core.Sessions;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Integration;

public sealed class RestoreTests : IntegrationTestBase
{
    [Fact]
    public async Task Restore_undoes_a_squash()
    {
        var session = await SessionWithWorkAsync();
        var before = WorktreeState.Capture(session.WorktreePath, session.BranchName);
        var squash = await Integration.SquashAsync(session.Id, "One commit");
        var mainBefore = WorktreeState.Capture(Repo.Root, "main");

        var restore = await Integration.RestoreAsync(session.Id);

        WorktreeState.Capture(Repo.Root, "main").AssertSameAs(mainBefore);
        Assert.Equal(squash.BackupRef, restore.Backup.Ref);
        Assert.Equal(squash.NewHead, restore.OldHead);
        Assert.False(restore.WorktreeFromSnapshot);
        var after = WorktreeState.Capture(session.WorktreePath, session.BranchName);
        after.AssertSameContentAs(before);
        Assert.Equal(SessionStatus.Idle, restore.Session.Status);
    }

    [Fact]
    public async Task Restore_undoes_a_rebase()
    {
        var session = await SessionWithWorkAsync();
        var before = WorktreeState.Capture(session.WorktreePath, session.BranchName);
        BaseCommit("CHANGELOG.md", "moved\n", "Move the base");
        var rebase = await Integration.RebaseAsync(session.Id);
        Assert.NotEqual(before.BranchTip, rebase.NewHead);

        var restore = await Integration.RestoreAsync(session.Id);

        Assert.Equal(rebase.BackupRef, restore.Backup.Ref);
        WorktreeState.Capture(session.WorktreePath, session.BranchName).AssertSameContentAs(before);
        Assert.Equal(session.BaseCommit, Reload(session).BaseCommit);
    }

    [Fact]
    public async Task Restore_undoes_a_merge_on_the_session_branch_and_leaves_the_base_as_merged()
    {
        var session = await SessionWithWorkAsync();
        var before = WorktreeState.Capture(session.WorktreePath, session.BranchName);
        BaseCommit("CHANGELOG.md", "moved\n", "Move the base");
        var merge = await Integration.MergeAsync(session.Id, new MergeOptions { Squash = true, Message = "All of it" });
        var mergedBase = Tip("main");

        var restore = await Integration.RestoreAsync(session.Id, merge.BackupRef.Split('/')[^1]);

        WorktreeState.Capture(session.WorktreePath, session.BranchName).AssertSameContentAs(before);
        Assert.Equal(mergedBase, Tip("main"));
        Assert.Equal(SessionStatus.Idle, restore.Session.Status);
    }

    [Fact]
    public async Task Restore_brings_back_a_dirty_worktree_staged_unstaged_and_untracked_files_from_the_snapshot()
    {
        var session = await SessionWithWorkAsync();
        Write(session, "src/greet.ts", "// staged edit\n");
        Git(session, "add", "src/greet.ts");
        Write(session, "src/greet.ts", "// staged edit, then edited again\n");
        Write(session, "README.md", "# unstaged edit\n");
        File.Delete(Path.Combine(session.WorktreePath, "docs", "greet.md"));
        Write(session, "scratch/notes.txt", "untracked\n");
        var before = WorktreeState.Capture(session.WorktreePath, session.BranchName);
        await Integration.SquashAsync(session.Id, "One commit");
        // Later work that the restore must not lose either: it goes into the restore's own backup.
        Write(session, "scratch/notes.txt", "changed after the squash\n");
        Write(session, "another.txt", "new after the squash\n");
        var beforeRestore = WorktreeState.Capture(session.WorktreePath, session.BranchName);

        var restore = await Integration.RestoreAsync(session.Id);

        Assert.True(restore.WorktreeFromSnapshot);
        var after = WorktreeState.Capture(session.WorktreePath, session.BranchName);
        after.AssertSameContentAs(before);

        // And the restore itself can be undone from the backup it took.
        var undo = await Integration.RestoreAsync(session.Id, restore.SafetyBackupRef);

        Assert.Equal("restore", undo.Backup.Operation);
        var again = WorktreeState.Capture(session.WorktreePath, session.BranchName);
        again.AssertSameContentAs(beforeRestore);
    }

    [Fact]
    public async Task Restore_of_a_named_backup_picks_that_one_not_the_latest()
    {
        var session = await SessionWithWorkAsync();
        var original = Tip(session.BranchName);
        await Integration.SquashAsync(session.Id, "First squash");
        var squashed = Tip(session.BranchName);
        BaseCommit("CHANGELOG.md", "moved\n", "Move the base");
        await Integration.RebaseAsync(session.Id);
        var backups = await BackupService.ListAsync(Reload(session));
        Assert.Equal(["squash", "rebase"], backups.Select(b => b.Operation).ToArray());

        await Integration.RestoreAsync(session.Id, backups[0].Name);
        Assert.Equal(original, Tip(session.BranchName));

        await Integration.RestoreAsync(session.Id, backups[1].Name);
        Assert.Equal(squashed, Tip(session.BranchName));
    }

    [Fact]
    public async Task Restore_without_backups_or_of_an_unknown_backup_is_refused()
    {
        var session = await SessionWithWorkAsync();

        await AssertRefusedAsync(session, "AmpNoBackups", () => Integration.RestoreAsync(session.Id));
        await Integration.SquashAsync(session.Id, "x");
        var error = await AssertRefusedAsync(session, "AmpBackupNotFound", () => Integration.RestoreAsync(session.Id, "20000101-000000-000-squash"));
        Assert.Contains("-squash", error.Message);
    }

    [Fact]
    public async Task Restore_during_a_rebase_is_refused_until_the_rebase_is_aborted()
    {
        var session = await ConflictingSessionAsync();
        var original = Tip(session.BranchName);
        await Integration.SquashAsync(session.Id, "Squashed");
        await Integration.RebaseAsync(session.Id);

        await AssertRefusedAsync(session, "AmpRebaseInProgress", () => Integration.RestoreAsync(session.Id));

        await Integration.AbortRebaseAsync(session.Id);
        var backups = await BackupService.ListAsync(Reload(session));
        await Integration.RestoreAsync(session.Id, backups.Single(b => b.Operation == "squash").Name);
        Assert.Equal(original, Tip(session.BranchName));
    }
}
