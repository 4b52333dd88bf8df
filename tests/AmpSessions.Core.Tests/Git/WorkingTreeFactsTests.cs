using AmpSessions.Core.Git;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Git;

/// <summary>The one-call fast path that `new`, `list --repo` and `repair --repo` use to open a repository.</summary>
public sealed class WorkingTreeFactsTests : IDisposable
{
    private readonly TestRepository repo = new();

    public void Dispose() => repo.Dispose();

    [Fact]
    public async Task A_checkout_and_its_subfolders_give_the_main_worktree_facts()
    {
        var head = repo.Git("rev-parse", "HEAD");

        foreach (var folder in new[] { repo.Root, repo.Path("src") })
        {
            var facts = await new GitClient(folder).TryGetWorkingTreeFactsAsync();

            Assert.NotNull(facts);
            Assert.Equal(new WorkingTreeFacts(repo.Path(".git"), repo.Path(".git"), repo.Root, head), facts);
            Assert.True(facts.IsMainWorktree);
        }
    }

    [Fact]
    public async Task A_linked_worktree_is_not_the_main_one()
    {
        var linked = Path.Combine(repo.Scratch("linked"), "wt");
        repo.Git("worktree", "add", "--quiet", "-b", "side", linked);

        var facts = await new GitClient(linked).TryGetWorkingTreeFactsAsync();

        Assert.NotNull(facts);
        Assert.False(facts.IsMainWorktree);
        Assert.Equal(repo.Path(".git"), facts.CommonDir);
        Assert.Equal(linked, facts.TopLevel);
    }

    [Fact]
    public async Task Anything_else_has_no_facts_so_the_precise_checks_run()
    {
        using var empty = new TestRepository("empty", initialCommit: false);
        var bare = Path.Combine(repo.Scratch("bare"), "repo.git");
        repo.Git("clone", "--quiet", "--bare", repo.Root, bare);
        var plain = repo.Scratch("plain");

        Assert.Null(await new GitClient(empty.Root).TryGetWorkingTreeFactsAsync());
        Assert.Null(await new GitClient(bare).TryGetWorkingTreeFactsAsync());
        Assert.Null(await new GitClient(plain).TryGetWorkingTreeFactsAsync());
        Assert.Null(await new GitClient(repo.Path(".git")).TryGetWorkingTreeFactsAsync());
    }
}
