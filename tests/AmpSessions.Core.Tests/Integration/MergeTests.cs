using AmpSessions.Core.Integration;
using AmpSessions.Core.Sessions;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Integration;

public sealed class MergeTests : IntegrationTestBase
{
    [Fact]
    public async Task Merge_fast_forwards_the_base_in_its_clean_main_checkout_and_cleanup_needs_no_force()
    {
        var session = await SessionWithWorkAsync();
        var oldBase = Tip("main");

        var result = await Integration.MergeAsync(session.Id, new MergeOptions { Squash = true, Message = "Rename hello to greet" });

        Assert.Equal(MergeMethod.FastForwardInWorktree, result.Method);
        Assert.Equal(Repo.Root, result.MergedInWorktree);
        Assert.Equal(oldBase, result.OldBaseCommit);
        Assert.Equal(Tip("main"), result.NewBaseCommit);
        Assert.Equal(Tip(session.BranchName), Tip("main"));
        Assert.Equal("1", Repo.Git("rev-list", "--count", $"{oldBase}..main"));
        Assert.Equal("Rename hello to greet", Repo.Git("log", "-1", "--format=%B", "main"));
        // The main checkout moved with its branch: its files are the session's, and it is clean.
        Assert.Equal(Read(session, "src/greet.ts"), Repo.ReadFile("src/greet.ts"));
        Assert.Equal("", Repo.Git("status", "--porcelain"));
        Assert.Equal(SessionStatus.Merged, result.Session.Status);
        Assert.Equal([result.BackupRef], BackupRefs(session));

        var cleanup = await Sessions.CleanupAsync(session.Id);

        Assert.True(cleanup.WorktreeRemoved);
        Assert.True(cleanup.BranchDeleted);
        Assert.Null(cleanup.BackupRef);
    }

    [Fact]
    public async Task Merge_moves_a_base_that_no_worktree_has_checked_out_by_a_checked_ref_update()
    {
        var session = await SessionWithWorkAsync();
        Repo.Git("checkout", "--quiet", "-b", "elsewhere");
        var mainCheckoutBefore = WorktreeState.Capture(Repo.Root, "elsewhere");
        var headBefore = Repo.Git("rev-parse", "HEAD");

        var result = await Integration.MergeAsync(session.Id);

        Assert.Equal(MergeMethod.RefUpdate, result.Method);
        Assert.Null(result.MergedInWorktree);
        Assert.Equal(Tip(session.BranchName), Tip("main"));
        Assert.Equal(headBefore, Repo.Git("rev-parse", "HEAD"));
        WorktreeState.Capture(Repo.Root, "elsewhere").AssertSameAs(mainCheckoutBefore);
        Assert.Contains("amp-sessions: merge", Repo.Git("reflog", "-1", "--format=%gs", "refs/heads/main"));
    }

    [Fact]
    public async Task Merge_refuses_a_base_checked_out_in_a_dirty_worktree_names_it_and_changes_nothing()
    {
        var session = await SessionWithWorkAsync();
        Repo.WriteFile("README.md", "# edited in the main checkout, not committed\n");

        var error = await AssertRefusedAsync(session, "AmpBaseWorktreeDirty", () => Integration.MergeAsync(session.Id, new MergeOptions { Squash = true, Message = "x" }));

        Assert.Contains(Repo.Root, error.Message);
        Assert.Contains("README.md", error.Message);
        Assert.Empty(BackupRefs(session));
    }

    [Fact]
    public async Task Merge_refuses_a_base_that_is_being_rebased_in_the_main_checkout()
    {
        var session = await SessionWithWorkAsync();
        Repo.Git("branch", "upstream");
        BaseCommit("README.md", "# main's edit\n", "Main edits the readme");
        Repo.Git("checkout", "--quiet", "upstream");
        BaseCommit("README.md", "# upstream's edit\n", "Upstream edits the readme");
        Repo.Git("checkout", "--quiet", "main");
        // The person is rebasing main in their checkout and stopped on a conflict: HEAD is detached, main is theirs.
        Assert.ThrowsAny<InvalidOperationException>(() => Repo.Git("rebase", "upstream"));

        var error = await AssertRefusedAsync(session, "AmpBaseBranchBusy", () => Integration.MergeAsync(session.Id));
        Assert.Contains(Repo.Root, error.Message);
    }

    [Fact]
    public async Task Merge_of_a_conflicted_session_is_refused()
    {
        var session = await ConflictingSessionAsync();
        Assert.Equal(RebaseOutcome.Conflicted, (await Integration.RebaseAsync(session.Id)).Outcome);

        await AssertRefusedAsync(session, "AmpSessionConflicted", () => Integration.MergeAsync(session.Id));
    }

    [Fact]
    public async Task Merge_that_hits_a_conflict_stops_with_the_session_conflicted_and_the_base_untouched()
    {
        var session = await ConflictingSessionAsync();
        var baseTip = Tip("main");

        var result = await Integration.MergeAsync(session.Id);

        Assert.True(result.Conflicted);
        Assert.Null(result.Method);
        Assert.Equal(["src/greet.ts"], result.ConflictedPaths);
        Assert.Equal(baseTip, Tip("main"));
        Assert.Equal(baseTip, result.NewBaseCommit);
        Assert.Equal(SessionStatus.Conflicted, Reload(session).Status);
        Assert.Single(Notifier.Sent);
    }

    [Fact]
    public async Task Two_sessions_merge_one_after_the_other_the_second_rebased_onto_the_first()
    {
        var first = await NewSessionAsync("First change");
        AgentCommit(first, "add a", ("a.txt", "a\n"));
        var second = await NewSessionAsync("Second change");
        AgentCommit(second, "add b", ("b.txt", "b\n"));
        CommitIn(second, "Tune b", ("b.txt", "b, tuned\n"));
        var start = Tip("main");

        var one = await Integration.MergeAsync(first.Id, new MergeOptions { Squash = true, Message = "Add a" });
        var two = await Integration.MergeAsync(second.Id, new MergeOptions { Squash = true, Message = "Add b" });

        Assert.Equal(MergeMethod.FastForwardInWorktree, one.Method);
        Assert.Equal(MergeMethod.FastForwardInWorktree, two.Method);
        Assert.False(two.Rebase!.AlreadyUpToDate);
        Assert.Equal(one.NewBaseCommit, two.Rebase.OntoCommit);
        Assert.Equal("Add b\nAdd a", Repo.Git("log", "--format=%s", $"{start}..main"));
        Assert.Equal(one.NewBaseCommit, Repo.Git("rev-parse", "main^"));
        Assert.Equal("a\n", Repo.ReadFile("a.txt"));
        Assert.Equal("b, tuned\n", Repo.ReadFile("b.txt"));
        Assert.Equal("", Repo.Git("status", "--porcelain"));
    }

    [Fact]
    public async Task The_second_of_two_conflicting_sessions_reports_its_conflict_after_the_first_merges()
    {
        var first = await NewSessionAsync("First change");
        AgentCommit(first, "greet formally", ("src/greet.ts", "formal\n"));
        var second = await NewSessionAsync("Second change");
        AgentCommit(second, "greet casually", ("src/greet.ts", "casual\n"));

        await Integration.MergeAsync(first.Id);
        var two = await Integration.MergeAsync(second.Id);

        Assert.True(two.Conflicted);
        Assert.Equal(["src/greet.ts"], two.ConflictedPaths);
        Assert.Equal("formal\n", Repo.ReadFile("src/greet.ts"));
    }

    [Fact]
    public async Task Merge_with_no_rebase_when_the_base_moved_is_refused()
    {
        var session = await SessionWithWorkAsync();
        BaseCommit("CHANGELOG.md", "moved\n", "Move the base");

        await AssertRefusedAsync(session, "AmpFastForwardImpossible", () => Integration.MergeAsync(session.Id, new MergeOptions { NoRebase = true }));
    }

    [Fact]
    public async Task Merge_with_no_rebase_fast_forwards_when_the_base_has_not_moved()
    {
        var session = await SessionWithWorkAsync();

        var result = await Integration.MergeAsync(session.Id, new MergeOptions { NoRebase = true });

        Assert.Null(result.Rebase);
        Assert.Equal(Tip(session.BranchName), Tip("main"));
    }

    [Fact]
    public async Task Merge_of_a_session_without_commits_is_refused()
    {
        var session = await NewSessionAsync();

        await AssertRefusedAsync(session, "AmpNothingToMerge", () => Integration.MergeAsync(session.Id));
    }

    [Fact]
    public async Task Merge_with_a_message_but_neither_squash_nor_script_is_refused()
    {
        var session = await SessionWithWorkAsync();

        await AssertRefusedAsync(session, "AmpMergeMessageWithoutSquash", () => Integration.MergeAsync(session.Id, new MergeOptions { Message = "x" }));
    }

    [Fact]
    public async Task Merge_with_uncommitted_session_changes_is_refused()
    {
        var session = await SessionWithWorkAsync();
        Write(session, "forgotten.txt", "never committed\n");

        await AssertRefusedAsync(session, "AmpWorktreeDirty", () => Integration.MergeAsync(session.Id));
    }

    [Fact]
    public async Task A_pull_request_script_gets_the_session_in_its_environment_and_the_base_is_not_touched()
    {
        var session = await SessionWithWorkAsync();
        var record = Path.Combine(Repo.Scratch("pr"), "env.txt");
        var script = OperatingSystem.IsWindows()
            ? $"(echo %AMP_SESSION_ID%& echo %AMP_SESSION_BRANCH%& echo %AMP_SESSION_BASE%& echo %AMP_SESSION_TITLE%& echo %AMP_SESSION_MESSAGE%& echo %AMP_SESSION_WORKTREE%& echo %CD%) > \"{record}\""
            : $"printf '%s\\n' \"$AMP_SESSION_ID\" \"$AMP_SESSION_BRANCH\" \"$AMP_SESSION_BASE\" \"$AMP_SESSION_TITLE\" \"$AMP_SESSION_MESSAGE\" \"$AMP_SESSION_WORKTREE\" \"$PWD\" > '{record}'; echo opened";
        var baseTip = Tip("main");

        var result = await Integration.MergeAsync(session.Id, new MergeOptions { Squash = true, Message = "Rename greet", PullRequestScript = script });

        Assert.Equal(MergeMethod.PullRequestScript, result.Method);
        Assert.Equal(baseTip, Tip("main"));
        Assert.Equal(baseTip, result.NewBaseCommit);
        Assert.Equal(SessionStatus.Merged, Reload(session).Status);
        Assert.Equal(0, result.PullRequestScript!.ExitCode);
        var lines = File.ReadAllLines(record).Select(l => l.Trim()).ToArray();
        Assert.Equal([session.Id, session.BranchName, "main", session.Name, "Rename greet", session.WorktreePath, session.WorktreePath], lines);
        Assert.Equal("1", Repo.Git("rev-list", "--count", $"main..{session.BranchName}"));
    }

    [Fact]
    public async Task A_failing_pull_request_script_is_an_error_and_the_base_is_not_touched()
    {
        var session = await SessionWithWorkAsync();
        var baseTip = Tip("main");

        var error = await Assert.ThrowsAsync<Errors.AmpSessionsException>(() =>
            Integration.MergeAsync(session.Id, new MergeOptions { PullRequestScript = OperatingSystem.IsWindows() ? "echo no remote configured 1>&2 & exit /b 3" : "echo no remote configured 1>&2; exit 3" }));

        Assert.Equal("AmpPullRequestScriptFailed", error.ErrorId);
        Assert.Contains("exit 3", error.Message);
        Assert.Contains("no remote configured", error.Message);
        Assert.Equal(baseTip, Tip("main"));
        Assert.NotEqual(SessionStatus.Merged, Reload(session).Status);
    }
}
