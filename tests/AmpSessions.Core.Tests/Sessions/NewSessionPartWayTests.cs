using AmpSessions.Core.Git;
using AmpSessions.Core.Sessions;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Sessions;

/// <summary>
/// `new` makes the branch and the worktree in one `git worktree add -b`. Git makes the branch first and keeps it when
/// the checkout, a post-checkout hook or the process itself fails after that: each case leaves nothing behind (no
/// branch, worktree folder, registration under .git/worktrees, row or lock), and a branch someone else made in that
/// moment is never deleted.
/// </summary>
public sealed class NewSessionPartWayTests : IDisposable
{
    private readonly SessionTestBed bed = new();

    public void Dispose() => bed.Dispose();

    private NewSessionRequest Request(string? branch = null) =>
        new() { RepoPath = bed.Repo.Root, Name = "Fix login", Prompt = "fix it", BaseBranch = "main", BranchName = branch };

    // A committed file under a filter whose smudge command (run by git while it checks out) is the test's to choose.
    private void FilteredFile(string smudge, bool required)
    {
        bed.Repo.WriteFile(".gitattributes", "*.dat filter=probe\n");
        bed.Repo.WriteFile("data.dat", "payload\n");
        bed.Repo.CommitAll("a filtered file");
        bed.Repo.Git("config", "filter.probe.clean", "cat");
        bed.Repo.Git("config", "filter.probe.smudge", smudge);
        bed.Repo.Git("config", "filter.probe.required", required ? "true" : "false");
    }

    private async Task AssertNothingLeftAsync(RepositoryState before)
    {
        await bed.AssertNothingLeftBehindAsync(before);
        Assert.Empty(bed.Repo.Git("for-each-ref", "refs/heads/amp/"));
        var registrations = bed.Repo.Path(".git", "worktrees");
        Assert.True(!Directory.Exists(registrations) || !Directory.EnumerateFileSystemEntries(registrations).Any(),
            "a worktree registration is left under .git/worktrees");
        var folders = bed.Repo.Path(SessionManager.WorktreesFolder);
        Assert.True(!Directory.Exists(folders) || !Directory.EnumerateFileSystemEntries(folders).Any(), "a worktree folder is left");
    }

    [Fact]
    public async Task A_checkout_that_fails_after_git_made_the_branch_leaves_no_branch()
    {
        // git worktree add -b: the branch is made, then the checkout fails on the required filter and git removes
        // only its worktree; the branch is ours to remove.
        FilteredFile("false", required: true);
        var before = bed.Capture();

        var ex = await Assert.ThrowsAsync<GitException>(() => bed.Manager.CreateAsync(Request()));

        Assert.Contains("worktree add", ex.Message);
        Assert.Contains("smudge filter probe failed", ex.Message);
        await AssertNothingLeftAsync(before);
    }

    [Fact]
    public async Task A_post_checkout_hook_that_fails_leaves_no_branch_worktree_or_registration()
    {
        // The hook runs after git finished the worktree; git keeps all of it and only exits non-zero.
        var hook = bed.Repo.Path(".git", "hooks", "post-checkout");
        File.WriteAllText(hook, "#!/bin/sh\necho 'hook says no' >&2\nexit 3\n");
        FileModes.MakeExecutable(hook);
        var before = bed.Capture();

        var ex = await Assert.ThrowsAsync<GitException>(() => bed.Manager.CreateAsync(Request()));

        Assert.Equal(3, ex.ExitCode);
        Assert.Contains("hook says no", ex.Message);
        await AssertNothingLeftAsync(before);
    }

    [Fact]
    public async Task Cancelled_while_git_checks_out_leaves_no_branch_worktree_or_registration()
    {
        // The smudge command announces itself and waits: git has made the branch, registered the worktree (locked
        // "initializing") and started filling its folder when the token is cancelled and the process tree killed.
        var started = Path.Combine(bed.Repo.Scratch("signals"), "checkout-started");
        FilteredFile($"touch '{started}'; sleep 300; cat", required: true);
        var before = bed.Capture();
        using var cancel = new CancellationTokenSource();

        var creating = bed.Manager.CreateAsync(Request(), cancel.Token);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!File.Exists(started) && !creating.IsCompleted && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        Assert.True(File.Exists(started), $"git never reached the checkout: {creating.Status}");
        Assert.Single(Directory.EnumerateDirectories(bed.Repo.Path(".git", "worktrees")));
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => creating);
        await AssertNothingLeftAsync(before);
    }

    [Fact]
    public async Task A_branch_someone_else_makes_while_git_starts_is_kept()
    {
        // Our check found no branch; another program makes it (at the same commit) before `worktree add -b` runs.
        // Git refuses, and the branch that is not ours stays.
        var point = new GitKillPoint(bed.Repo.Scratch("kill-point"));
        var context = AmpContext.Open(bed.Options with { GitExecutable = point.WrapperPath });
        var manager = new SessionManager(context);
        point.Arm("before", "worktree add");

        var creating = manager.CreateAsync(Request(branch: "feature/login"));
        await point.WaitUntilPausedAsync(creating, "git worktree add");
        bed.Repo.Git("branch", "feature/login", "main");
        var before = bed.Capture();
        point.Release();

        var ex = await Assert.ThrowsAsync<GitException>(() => creating);

        Assert.Contains("a branch named 'feature/login' already exists", ex.Message);
        await AssertNothingLeftAsync(before);
        Assert.Equal(bed.Repo.Git("rev-parse", "main"), bed.Repo.Git("rev-parse", "refs/heads/feature/login"));
    }
}
