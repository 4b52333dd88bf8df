using AmpSessions.Core.Git;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Git;

/// <summary>
/// The repositories in-process reads open: one per read without a scope; inside one, one per
/// repository reused by every read (one per concurrent read), opened again when the index or the
/// repository's configuration changed, all closed when the scope ends. Counted per repository by
/// <see cref="RepositoryHandles.CountsFor"/>, so tests running beside these do not disturb the counts.
/// </summary>
public sealed class RepositoryHandlesTests : IDisposable
{
    private readonly TempDirectory temp = new("amp-handles");
    private readonly string root;
    private readonly GitClient git;

    public RepositoryHandlesTests()
    {
        root = TestRepository.CreateGreetRepository(temp.Combine("repo"));
        git = new GitClient(root, inProcessReads: true);
    }

    public void Dispose() => temp.Dispose();

    private RepositoryHandleCounts Counts() => RepositoryHandles.CountsFor(root);

    [Fact]
    public async Task Without_a_scope_every_read_opens_the_repository_and_closes_it()
    {
        var before = Counts();

        await git.ResolveCommitAsync("HEAD");
        await git.GetCurrentBranchAsync();
        await git.GetStatusAsync();

        Assert.Equal(new RepositoryHandleCounts(before.Opened + 3, 0), Counts());
    }

    [Fact]
    public async Task Inside_a_scope_every_read_shares_one_handle_until_the_scope_ends()
    {
        var before = Counts();
        using (var scope = RepositoryHandles.Share())
        {
            await git.ResolveCommitAsync("HEAD");
            await git.GetCurrentBranchAsync();
            // Reads started from inside the scope use it too.
            await Task.Run(() => git.GetStatusAsync());

            Assert.Equal(new RepositoryHandleCounts(before.Opened + 1, 1), Counts());
            Assert.Equal(1, scope.Opened);
        }
        Assert.Equal(new RepositoryHandleCounts(before.Opened + 1, 0), Counts());

        // After the scope, reads open per read again.
        await git.ResolveCommitAsync("HEAD");
        Assert.Equal(new RepositoryHandleCounts(before.Opened + 2, 0), Counts());
    }

    [Fact]
    public void Concurrent_reads_of_one_repository_get_a_handle_each_and_both_are_kept_for_later_reads()
    {
        var path = LibGit2Sharp.Repository.Discover(root);
        var before = Counts();
        using var scope = RepositoryHandles.Share();

        var first = RepositoryHandles.Rent(path);
        var second = RepositoryHandles.Rent(path);
        Assert.NotSame(first.Repository, second.Repository);
        first.Succeeded();
        first.Dispose();
        second.Succeeded();
        second.Dispose();
        using (var third = RepositoryHandles.Rent(path))
        {
            third.Succeeded();
        }

        Assert.Equal(new RepositoryHandleCounts(before.Opened + 2, 2), Counts());
    }

    [Fact]
    public void At_most_a_bounded_number_of_handles_is_kept_idle_and_the_least_recently_used_is_closed_first()
    {
        var path = LibGit2Sharp.Repository.Discover(root);
        var before = Counts();
        using var scope = RepositoryHandles.Share();

        var leases = Enumerable.Range(0, RepositoryHandleScope.MaxIdleHandles + 3).Select(_ => RepositoryHandles.Rent(path)).ToArray();
        foreach (var lease in leases)
        {
            lease.Succeeded();
            lease.Dispose();
        }
        Assert.Equal(new RepositoryHandleCounts(before.Opened + leases.Length, RepositoryHandleScope.MaxIdleHandles), Counts());

        // The next read takes the most recently returned handle, which was kept.
        using (var again = RepositoryHandles.Rent(path))
        {
            Assert.Same(leases[^1].Repository, again.Repository);
            again.Succeeded();
        }
        Assert.Equal(before.Opened + leases.Length, Counts().Opened);
    }

    [Fact]
    public void A_read_that_failed_does_not_give_its_handle_back()
    {
        var path = LibGit2Sharp.Repository.Discover(root);
        var before = Counts();
        using var scope = RepositoryHandles.Share();

        using (RepositoryHandles.Rent(path))
        {
            // No Succeeded(): the read threw.
        }

        Assert.Equal(new RepositoryHandleCounts(before.Opened + 1, 0), Counts());
    }

    [Fact]
    public async Task Inside_a_scope_a_read_after_a_change_sees_it()
    {
        var before = Counts();
        using var scope = RepositoryHandles.Share();
        Assert.Empty((await git.GetStatusAsync()).Entries);

        // A new ref and a new commit: libgit2 reads refs and objects again itself; the handle is kept.
        TestRepository.GitIn(root, "branch", "side");
        File.WriteAllText(Path.Combine(root, "src", "greet.ts"), "changed\n");
        Assert.True(await git.BranchExistsAsync("side"));
        Assert.Equal([".M src/greet.ts"], (await git.GetStatusAsync()).Entries.Select(e => $"{e.IndexStatus}{e.WorkTreeStatus} {e.Path}"));
        Assert.Equal(before.Opened + 1, Counts().Opened);

        // Staging rewrites the index: the handle is opened again and sees it.
        TestRepository.GitIn(root, "add", "-A");
        Assert.True(await git.HasStagedChangesAsync());
        Assert.True(await git.TracksAnythingUnderAsync("src"));
        Assert.Equal(["M. src/greet.ts"], (await git.GetStatusAsync()).Entries.Select(e => $"{e.IndexStatus}{e.WorkTreeStatus} {e.Path}"));
        Assert.Equal(before.Opened + 2, Counts().Opened);

        // So does a change of the repository's configuration.
        TestRepository.GitIn(root, "config", "amp.handles", "seen");
        Assert.Equal("seen", await git.GetConfigAsync("amp.handles"));
        Assert.Equal(new RepositoryHandleCounts(before.Opened + 3, 1), Counts());
    }

    [Fact]
    public async Task After_git_add_and_commit_reads_see_the_new_index_and_a_configuration_change_still_reopens_it_all()
    {
        using var scope = RepositoryHandles.Share();
        Assert.Null(await git.GetConfigAsync("amp.kept"));
        Assert.False(await git.TracksAnythingUnderAsync("notes.txt"));

        // Only the index changes: the repository is opened again for it (its configuration part is kept).
        File.WriteAllText(Path.Combine(root, "notes.txt"), "first\n");
        TestRepository.GitIn(root, "add", "notes.txt");
        Assert.True(await git.TracksAnythingUnderAsync("notes.txt"));
        Assert.True(await git.HasStagedChangesAsync());
        Assert.Equal([("notes.txt", 1, "first")], InProcessGit.StagedAddedLines(root));
        Assert.Equal(["A. notes.txt"], (await git.GetStatusAsync()).Entries.Select(e => $"{e.IndexStatus}{e.WorkTreeStatus} {e.Path}"));
        Assert.Equal(2, scope.Opened);

        TestRepository.GitIn(root, "commit", "--quiet", "-m", "notes");
        Assert.False(await git.HasStagedChangesAsync());
        Assert.Empty(InProcessGit.StagedAddedLines(root)!);
        Assert.Empty((await git.GetStatusAsync()).Entries);
        Assert.Equal(3, scope.Opened);

        // A configuration change after that is still seen: the kept configuration is not.
        TestRepository.GitIn(root, "config", "amp.kept", "seen");
        Assert.Equal("seen", await git.GetConfigAsync("amp.kept"));
        Assert.Equal(4, scope.Opened);
    }

    [Fact]
    public async Task A_kept_main_repository_serves_the_next_scope_while_each_scope_opens_its_own_worktree()
    {
        var worktree = temp.Combine("worktree");
        TestRepository.GitIn(root, "worktree", "add", "--quiet", "-b", "side", worktree);
        var inWorktree = new GitClient(worktree, inProcessReads: true);
        var before = Counts();
        var worktreeBefore = RepositoryHandles.CountsFor(worktree);

        using (RepositoryHandles.KeepMainRepositories())
        {
            // Two batch items: each its own scope, reading the main checkout and the worktree.
            for (var item = 0; item < 2; item++)
            {
                using (RepositoryHandles.Share())
                {
                    Assert.NotNull(await git.ResolveCommitAsync("HEAD"));
                    Assert.NotNull(await inWorktree.ResolveCommitAsync("HEAD"));
                }
                Assert.Equal(new RepositoryHandleCounts(worktreeBefore.Opened + item + 1, 0), RepositoryHandles.CountsFor(worktree));
            }
            Assert.Equal(new RepositoryHandleCounts(before.Opened + 1, 1), Counts());

            // Outside any scope, reads still open per read.
            await git.GetCurrentBranchAsync();
            Assert.Equal(new RepositoryHandleCounts(before.Opened + 2, 1), Counts());
        }
        Assert.Equal(new RepositoryHandleCounts(before.Opened + 2, 0), Counts());
    }

    [Fact]
    public async Task A_kept_main_repository_sees_what_changed_between_two_scopes()
    {
        using var kept = RepositoryHandles.KeepMainRepositories();
        using (RepositoryHandles.Share())
        {
            Assert.Empty((await git.GetStatusAsync()).Entries);
            Assert.False(await git.HasStagedChangesAsync());
            Assert.Null(await git.GetConfigAsync("amp.kept"));
        }

        // Between two items: a new file staged (the index), a configuration value, a branch.
        File.WriteAllText(Path.Combine(root, "added.txt"), "new\n");
        TestRepository.GitIn(root, "add", "added.txt");
        TestRepository.GitIn(root, "config", "amp.kept", "seen");
        TestRepository.GitIn(root, "branch", "between");

        using (RepositoryHandles.Share())
        {
            Assert.True(await git.HasStagedChangesAsync());
            Assert.Equal(["A. added.txt"], (await git.GetStatusAsync()).Entries.Select(e => $"{e.IndexStatus}{e.WorkTreeStatus} {e.Path}"));
            Assert.Equal("seen", await git.GetConfigAsync("amp.kept"));
            Assert.True(await git.BranchExistsAsync("between"));
        }
    }
}
