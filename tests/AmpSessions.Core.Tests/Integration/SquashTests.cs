using AmpSessions.Core.Backups;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Integration;

public sealed class SquashTests : IntegrationTestBase
{
    [Fact]
    public async Task Squash_with_a_message_makes_one_commit_on_the_merge_base_with_the_same_tree()
    {
        var session = await SessionWithWorkAsync();
        var oldTip = Tip(session.BranchName);
        var mainBefore = WorktreeState.Capture(Repo.Root, "main");

        var result = await Integration.SquashAsync(session.Id, "Rename hello to greet\n\nWith a test and docs.");

        Assert.True(result.Changed);
        Assert.Equal(3, result.SquashedCommitCount);
        Assert.Equal(oldTip, result.OldHead);
        Assert.Equal(result.NewHead, Tip(session.BranchName));
        Assert.Equal(session.BaseCommit, Repo.Git("rev-parse", result.NewHead + "^"));
        Assert.Equal("1", Repo.Git("rev-list", "--count", $"main..{session.BranchName}"));
        Assert.Equal(TreeOf(oldTip), TreeOf(result.NewHead));
        Assert.Equal("Rename hello to greet\n\nWith a test and docs.", Repo.Git("log", "-1", "--format=%B", result.NewHead));
        // The backup holds the old tip, and the worktree is clean on the new commit.
        Assert.Equal(oldTip, Repo.Git("rev-parse", result.BackupRef!));
        Assert.Equal("", Git(session, "status", "--porcelain"));
        Assert.Equal(result.NewHead, Git(session, "rev-parse", "HEAD"));
        WorktreeState.Capture(Repo.Root, "main").AssertSameAs(mainBefore);
    }

    [Fact]
    public async Task Squash_without_a_message_composes_one_from_the_session_name_and_commit_subjects()
    {
        var session = await SessionWithWorkAsync("Rename greet");

        var result = await Integration.SquashAsync(session.Id);

        Assert.Equal("Rename greet\n\n- rename hello to greet\n- add a test\n- Document greet\n", result.Message);
        Assert.Equal(result.Message.TrimEnd('\n'), Repo.Git("log", "-1", "--format=%B", result.NewHead));
    }

    [Fact]
    public async Task Squash_leaves_uncommitted_and_untracked_files_alone_and_snapshots_them()
    {
        var session = await SessionWithWorkAsync();
        Write(session, "src/greet.ts", "// work in progress\n");
        Git(session, "add", "src/greet.ts");
        Write(session, "README.md", "# changed, not staged\n");
        Write(session, "scratch/todo.txt", "untracked\n");
        var before = WorktreeState.Capture(session.WorktreePath, session.BranchName);

        var result = await Integration.SquashAsync(session.Id, "One commit");

        var after = WorktreeState.Capture(session.WorktreePath, session.BranchName);
        Assert.Equal(before.Files, after.Files);
        Assert.Equal(before.IndexEntries, after.IndexEntries);
        Assert.Equal(before.Status, after.Status);
        var backup = Assert.Single(await BackupService.ListAsync(Reload(session)));
        Assert.Equal(result.BackupRef, backup.Ref);
        Assert.Equal("squash", backup.Operation);
        Assert.NotNull(backup.WorktreeSnapshot);
        Assert.Contains("scratch/todo.txt", Repo.Git("ls-tree", "-r", "--name-only", backup.WorktreeSnapshot!));
    }

    [Fact]
    public async Task Squash_of_a_single_commit_without_a_message_changes_nothing()
    {
        var session = await NewSessionAsync();
        var only = AgentCommit(session, "rename", ("src/greet.ts", "export const greet = 1\n"));
        var before = Everything(session);

        var result = await Integration.SquashAsync(session.Id);

        Assert.False(result.Changed);
        Assert.Equal(only, result.NewHead);
        Assert.Null(result.BackupRef);
        Assert.Equal(before, Everything(session));
    }

    [Fact]
    public async Task Squash_of_a_session_without_commits_is_refused_and_changes_nothing()
    {
        var session = await NewSessionAsync();
        Write(session, "uncommitted.txt", "not a commit\n");

        await AssertRefusedAsync(session, "AmpNothingToSquash", () => Integration.SquashAsync(session.Id, "msg"));
        Assert.Empty(BackupRefs(session));
    }

    [Fact]
    public async Task Squash_with_a_blank_message_is_refused_and_changes_nothing()
    {
        var session = await SessionWithWorkAsync();

        await AssertRefusedAsync(session, "AmpSquashMessageEmpty", () => Integration.SquashAsync(session.Id, "  \n "));
    }
}
