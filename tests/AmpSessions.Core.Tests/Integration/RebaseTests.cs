using AmpSessions.Core.Integration;
using AmpSessions.Core.Notifications;
using AmpSessions.Core.Sessions;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Integration;

[Trait("Platform", "Posix")]
public sealed class RebaseTests : IntegrationTestBase
{
    [Fact]
    public async Task Rebase_replays_the_session_commits_onto_the_moved_base()
    {
        var session = await SessionWithWorkAsync();
        var oldTip = Tip(session.BranchName);
        var newBase = BaseCommit("CHANGELOG.md", "teammate's change\n", "Changelog");
        var mainBefore = WorktreeState.Capture(Repo.Root, "main");

        var result = await Integration.RebaseAsync(session.Id);

        WorktreeState.Capture(Repo.Root, "main").AssertSameAs(mainBefore);

        Assert.Equal(RebaseOutcome.Succeeded, result.Outcome);
        Assert.False(result.AlreadyUpToDate);
        Assert.Equal(newBase, result.OntoCommit);
        Assert.Equal(result.NewHead, Tip(session.BranchName));
        Assert.Equal(newBase, Repo.Git("merge-base", "main", session.BranchName));
        Assert.Equal("3", Repo.Git("rev-list", "--count", $"main..{session.BranchName}"));
        Assert.Equal("amp: rename hello to greet\namp: add a test\nDocument greet", Repo.Git("log", "--reverse", "--format=%s", $"main..{session.BranchName}"));
        Assert.True(File.Exists(Path.Combine(session.WorktreePath, "CHANGELOG.md")));
        Assert.Equal(oldTip, Repo.Git("rev-parse", result.BackupRef!));
        var row = Reload(session);
        Assert.Equal(SessionStatus.Idle, row.Status);
        Assert.Equal(newBase, row.BaseCommit);
        Assert.False(File.Exists(Path.Combine(Git(session, "rev-parse", "--path-format=absolute", "--git-dir"), "amp-sessions-rebase.json")));
    }

    [Fact]
    public async Task Rebase_of_a_session_already_on_its_base_changes_nothing()
    {
        var session = await SessionWithWorkAsync();
        var tip = Tip(session.BranchName);

        var result = await Integration.RebaseAsync(session.Id);

        Assert.True(result.AlreadyUpToDate);
        Assert.Equal(tip, result.NewHead);
        Assert.Equal(tip, Tip(session.BranchName));
        Assert.Empty(BackupRefs(session));
    }

    [Fact]
    public async Task Conflict_lists_the_paths_notifies_and_abort_restores_branch_index_and_worktree_byte_for_byte()
    {
        var session = await ConflictingSessionAsync();
        var before = WorktreeState.Capture(session.WorktreePath, session.BranchName);
        var mainBefore = WorktreeState.Capture(Repo.Root, "main");

        var conflict = await Integration.RebaseAsync(session.Id);

        Assert.Equal(RebaseOutcome.Conflicted, conflict.Outcome);
        Assert.Equal(["src/greet.ts"], conflict.ConflictedPaths);
        Assert.Equal("amp: greet politely", conflict.StoppedAtSubject);
        Assert.Equal(SessionStatus.Conflicted, Reload(session).Status);
        var note = Assert.Single(Notifier.Sent);
        Assert.Equal(NotificationKind.Conflict, note.Kind);
        Assert.Equal(session.Id, note.SessionId);
        Assert.Contains("src/greet.ts", note.Message);
        var state = await Sessions.GetStateAsync(session.Id);
        Assert.True(state.RebaseInProgress);
        Assert.Equal(["src/greet.ts"], state.ConflictedPaths);

        var aborted = await Integration.AbortRebaseAsync(session.Id);

        Assert.Equal(RebaseOutcome.Aborted, aborted.Outcome);
        Assert.Equal(before.BranchTip, aborted.NewHead);
        WorktreeState.Capture(session.WorktreePath, session.BranchName).AssertSameAs(before);
        WorktreeState.Capture(Repo.Root, "main").AssertSameAs(mainBefore);
        Assert.Equal(SessionStatus.Idle, Reload(session).Status);
        Assert.False((await Sessions.GetStateAsync(session.Id)).RebaseInProgress);
    }

    [Fact]
    public async Task Continue_refuses_unmerged_paths_and_conflict_markers_then_finishes_and_the_merge_succeeds()
    {
        var session = await ConflictingSessionAsync();
        await Integration.RebaseAsync(session.Id);

        // Not resolved at all: the path is still unmerged.
        var unresolved = await AssertRefusedAsync(session, "AmpConflictsUnresolved", () => Integration.ContinueRebaseAsync(session.Id));
        Assert.Contains("src/greet.ts", unresolved.Message);

        // Marked resolved with the markers still in it.
        Git(session, "add", "src/greet.ts");
        var markers = await AssertRefusedAsync(session, "AmpConflictMarkersRemain", () => Integration.ContinueRebaseAsync(session.Id));
        Assert.Contains("src/greet.ts", markers.Message);

        Write(session, "src/greet.ts", ResolvedGreet);
        Git(session, "add", "src/greet.ts");
        var done = await Integration.ContinueRebaseAsync(session.Id);

        Assert.Equal(RebaseOutcome.Succeeded, done.Outcome);
        Assert.Equal(Tip("main"), Repo.Git("merge-base", "main", session.BranchName));
        Assert.Equal(ResolvedGreet, Repo.Git("show", $"{session.BranchName}:src/greet.ts") + "\n");
        Assert.Equal(SessionStatus.Idle, Reload(session).Status);
        Assert.NotNull(done.BackupRef);

        var merge = await Integration.MergeAsync(session.Id);

        Assert.Equal(MergeMethod.FastForwardInWorktree, merge.Method);
        Assert.Equal(ResolvedGreet, Repo.ReadFile("src/greet.ts"));
        Assert.Equal(SessionStatus.Merged, Reload(session).Status);
    }

    [Fact]
    public async Task A_rebase_started_by_hand_and_stopped_on_conflicts_is_reported_and_finished_by_continue()
    {
        var session = await ConflictingSessionAsync();
        // As a crashed process would leave it: git's state only, no AmpSessions journal.
        var run = Assert.ThrowsAny<InvalidOperationException>(() => Git(session, "rebase", "main"));
        Assert.Contains("rebase", run.Message);

        var report = await Sessions.RepairAsync(new RepairRequest { RepoPath = Repo.Root });
        var finding = Assert.Single(report.Findings);
        Assert.Equal(RepairFindingKind.RebaseInProgress, finding.Kind);
        Assert.Equal(session.Id, finding.SessionId);

        Write(session, "src/greet.ts", ResolvedGreet);
        Git(session, "add", "src/greet.ts");
        var done = await Integration.ContinueRebaseAsync(session.Id);

        Assert.Equal(RebaseOutcome.Succeeded, done.Outcome);
        Assert.Equal(Tip("main"), Reload(session).BaseCommit);
        Assert.True((await Sessions.RepairAsync(new RepairRequest { RepoPath = Repo.Root })).IsHealthy);
    }

    private void InstallHook(string name, string body)
    {
        var path = Repo.Path(".git", "hooks", name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    [Fact]
    public async Task A_rebase_git_refuses_to_start_is_an_error_and_the_branch_is_unchanged()
    {
        var session = await SessionWithWorkAsync();
        BaseCommit("CHANGELOG.md", "moved\n", "Move the base");
        var before = WorktreeState.Capture(session.WorktreePath, session.BranchName);
        InstallHook("pre-rebase", "echo 'rebases are not allowed here' >&2; exit 1");

        var error = await Assert.ThrowsAsync<Errors.AmpSessionsException>(() => Integration.RebaseAsync(session.Id));

        Assert.Equal("AmpRebaseFailed", error.ErrorId);
        Assert.Contains("rebases are not allowed here", error.Message);
        WorktreeState.Capture(session.WorktreePath, session.BranchName).AssertSameAs(before);
        Assert.False((await Sessions.GetStateAsync(session.Id)).RebaseInProgress);
        Assert.Equal(SessionStatus.Idle, Reload(session).Status);
    }

    [Fact]
    public async Task A_rebase_that_stops_without_a_conflict_is_undone_rather_than_left_half_done()
    {
        var session = await SessionWithWorkAsync();
        BaseCommit("CHANGELOG.md", "moved\n", "Move the base");
        var before = WorktreeState.Capture(session.WorktreePath, session.BranchName);
        // A failing commit hook stops git's pick with nothing to resolve.
        InstallHook("prepare-commit-msg", "echo 'commit hook says no' >&2; exit 1");

        var error = await Assert.ThrowsAsync<Errors.AmpSessionsException>(() => Integration.RebaseAsync(session.Id));

        Assert.Equal("AmpRebaseFailed", error.ErrorId);
        Assert.Contains("undone", error.Message);
        WorktreeState.Capture(session.WorktreePath, session.BranchName).AssertSameAs(before);
        Assert.False((await Sessions.GetStateAsync(session.Id)).RebaseInProgress);
        Assert.Empty(Notifier.Sent);
    }

    [Fact]
    public async Task Continue_and_abort_without_a_rebase_in_progress_are_refused()
    {
        var session = await SessionWithWorkAsync();

        await AssertRefusedAsync(session, "AmpNoRebaseInProgress", () => Integration.ContinueRebaseAsync(session.Id));
        await AssertRefusedAsync(session, "AmpNoRebaseInProgress", () => Integration.AbortRebaseAsync(session.Id));
    }

    [Fact]
    public async Task Rebase_of_a_session_without_commits_is_refused()
    {
        var session = await NewSessionAsync();
        BaseCommit("CHANGELOG.md", "moved\n", "Move the base");

        await AssertRefusedAsync(session, "AmpNothingToRebase", () => Integration.RebaseAsync(session.Id));
    }

    [Fact]
    public async Task Rebase_with_uncommitted_changes_is_refused()
    {
        var session = await SessionWithWorkAsync();
        BaseCommit("CHANGELOG.md", "moved\n", "Move the base");
        Write(session, "new-file.txt", "not committed\n");

        var error = await AssertRefusedAsync(session, "AmpWorktreeDirty", () => Integration.RebaseAsync(session.Id));
        Assert.Contains("new-file.txt", error.Message);
    }

    [Fact]
    public async Task Rebase_while_a_rebase_is_in_progress_is_refused()
    {
        var session = await ConflictingSessionAsync();
        await Integration.RebaseAsync(session.Id);

        await AssertRefusedAsync(session, "AmpRebaseInProgress", () => Integration.RebaseAsync(session.Id));
        await AssertRefusedAsync(session, "AmpRebaseInProgress", () => Integration.SquashAsync(session.Id, "x"));
    }

    [Fact]
    public async Task Rebase_onto_another_branch_moves_only_the_session_commits_and_makes_it_the_base()
    {
        Repo.Git("branch", "release", "HEAD");
        var session = await SessionWithWorkAsync();
        BaseCommit("on-main.txt", "main only\n", "Main moves on");
        Repo.Git("checkout", "--quiet", "release");
        var release = BaseCommit("on-release.txt", "release only\n", "Release fix");
        Repo.Git("checkout", "--quiet", "main");

        var result = await Integration.RebaseAsync(session.Id, "release");

        Assert.Equal(RebaseOutcome.Succeeded, result.Outcome);
        Assert.Equal("release", result.Onto);
        Assert.Equal(release, Repo.Git("merge-base", "release", session.BranchName));
        Assert.Equal("3", Repo.Git("rev-list", "--count", $"release..{session.BranchName}"));
        Assert.False(File.Exists(Path.Combine(session.WorktreePath, "on-main.txt")));
        var row = Reload(session);
        Assert.Equal("release", row.BaseBranch);
        Assert.Equal(release, row.BaseCommit);
    }

    [Fact]
    public async Task Rebase_onto_a_branch_that_does_not_exist_is_refused()
    {
        var session = await SessionWithWorkAsync();

        await AssertRefusedAsync(session, "AmpOntoBranchNotFound", () => Integration.RebaseAsync(session.Id, "no-such-branch"));
    }

    [Fact]
    public async Task A_deleted_base_branch_is_explained_by_every_operation_that_needs_it()
    {
        Repo.Git("branch", "feature");
        var session = await SessionWithWorkAsync(baseBranch: "feature");
        Repo.Git("branch", "-D", "feature");
        Assert.Equal("feature", session.BaseBranch);

        var error = await AssertRefusedAsync(session, "AmpBaseBranchMissing", () => Integration.RebaseAsync(session.Id));
        Assert.Contains("'feature'", error.Message);
        await AssertRefusedAsync(session, "AmpBaseBranchMissing", () => Integration.SquashAsync(session.Id, "x"));
        await AssertRefusedAsync(session, "AmpBaseBranchMissing", () => Integration.MergeAsync(session.Id));
        await AssertRefusedAsync(session, "AmpBaseBranchMissing", () => Integration.ExportPatchAsync(session.Id, Repo.Scratch("out")));
    }

    [Fact]
    public async Task A_rewritten_base_branch_is_detected_before_its_dropped_commits_come_back()
    {
        BaseCommit("risky.txt", "a commit the team will drop\n", "Risky change");
        var session = await SessionWithWorkAsync();
        // The base is force-pushed without the commit the session started from.
        Repo.Git("reset", "--hard", "--quiet", "HEAD~1");
        BaseCommit("safe.txt", "the replacement\n", "Safe change");

        var error = await AssertRefusedAsync(session, "AmpBaseBranchRewritten", () => Integration.RebaseAsync(session.Id));
        Assert.Contains("rewritten", error.Message);
        await AssertRefusedAsync(session, "AmpBaseBranchRewritten", () => Integration.SquashAsync(session.Id, "x"));
        await AssertRefusedAsync(session, "AmpBaseBranchRewritten", () => Integration.MergeAsync(session.Id));
        await AssertRefusedAsync(session, "AmpBaseBranchRewritten", () => Integration.ExportPatchAsync(session.Id, Repo.Scratch("out")));
    }
}
