using AmpSessions.Core.Git;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Git;

/// <summary>
/// Inside a <see cref="RepositoryHandleScope"/>, a folder's discovery (its links check and libgit2's walk) is remembered
/// while the folder's own <c>.git</c> is unchanged (<see cref="DotGit"/>) and for a bounded time; every way the remembered
/// answer could go wrong is answered as the git CLI answers. Counted by the scope's <see cref="RepositoryHandleScope.Discoveries"/>.
/// </summary>
public sealed class RepositoryDiscoveryMemoryTests : IDisposable
{
    private readonly TempDirectory temp = new("amp-discovery");
    private readonly string root;
    private readonly string worktree;

    public RepositoryDiscoveryMemoryTests()
    {
        root = TestRepository.CreateGreetRepository(temp.Combine("repo"));
        File.AppendAllText(Path.Combine(root, ".git", "info", "exclude"), ".worktrees/\n");
        // Inside the main checkout, as sessions' worktrees are: without its .git file the folder belongs to the main checkout.
        worktree = Path.Combine(root, ".worktrees", "a1");
        TestRepository.GitIn(root, "worktree", "add", "--quiet", "-b", "a1", worktree);
    }

    public void Dispose() => temp.Dispose();

    private static string CliGitDir(string folder) => TestRepository.GitIn(folder, "rev-parse", "--absolute-git-dir");

    private static string Normal(string? path) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(path!));

    /// <summary>A repository inside the main checkout: git and libgit2 take its .git while it is a repository, else go on up.</summary>
    private string InnerRepository()
    {
        var inner = Path.Combine(root, "inner");
        Directory.CreateDirectory(inner);
        TestRepository.GitIn(inner, "init", "--quiet");
        return inner;
    }

    [Fact]
    public void Inside_a_scope_a_worktree_is_discovered_once_while_its_git_file_is_unchanged()
    {
        using var scope = RepositoryHandles.Share();
        var first = InProcessGit.GetGitDir(worktree);
        Assert.Equal(CliGitDir(worktree), first);
        Assert.Equal(first, InProcessGit.GetGitDir(worktree));
        Assert.Equal(first, InProcessGit.GetGitDir(worktree + Path.DirectorySeparatorChar));
        Assert.NotNull(InProcessGit.ResolveCommit(worktree, "HEAD"));
        Assert.Equal(1, scope.Discoveries);
    }

    [Fact]
    public void A_deleted_git_file_makes_the_next_read_discover_the_main_checkout_as_git_does()
    {
        using var scope = RepositoryHandles.Share();
        Assert.EndsWith("a1", InProcessGit.GetGitDir(worktree));

        File.Delete(Path.Combine(worktree, ".git"));

        Assert.Equal(Normal(Path.Combine(root, ".git")), Normal(InProcessGit.GetGitDir(worktree)));
        Assert.Equal(CliGitDir(worktree), Normal(InProcessGit.GetGitDir(worktree)));
        // A folder without a .git of its own is discovered at every read.
        Assert.Equal(3, scope.Discoveries);
    }

    [Fact]
    public void A_git_file_rewritten_to_name_another_worktree_is_seen_even_with_its_old_time_and_length()
    {
        var other = Path.Combine(root, ".worktrees", "a2");
        TestRepository.GitIn(root, "worktree", "add", "--quiet", "-b", "a2", other);
        var dotGit = Path.Combine(worktree, ".git");
        var written = File.GetLastWriteTimeUtc(dotGit);
        using var scope = RepositoryHandles.Share();
        Assert.EndsWith("a1", InProcessGit.GetGitDir(worktree));

        // Same length (a1, a2), same modification time: only the content tells.
        var content = File.ReadAllText(Path.Combine(other, ".git"));
        Assert.Equal(File.ReadAllText(dotGit).Length, content.Length);
        File.WriteAllText(dotGit, content);
        File.SetLastWriteTimeUtc(dotGit, written);

        Assert.Equal(CliGitDir(worktree), InProcessGit.GetGitDir(worktree));
        Assert.EndsWith("a2", InProcessGit.GetGitDir(worktree));
    }

    [Fact]
    public void Git_init_in_the_worktree_is_seen()
    {
        using var scope = RepositoryHandles.Share();
        Assert.EndsWith("a1", InProcessGit.GetGitDir(worktree));

        File.Delete(Path.Combine(worktree, ".git"));
        TestRepository.GitIn(worktree, "init", "--quiet");

        Assert.Equal(Normal(Path.Combine(worktree, ".git")), Normal(InProcessGit.GetGitDir(worktree)));
        Assert.Equal(CliGitDir(worktree), Normal(InProcessGit.GetGitDir(worktree)));
    }

    [Fact]
    public void A_removed_worktree_is_not_answered_from_memory()
    {
        using var scope = RepositoryHandles.Share();
        Assert.NotNull(InProcessGit.ResolveCommit(worktree, "HEAD"));

        TestRepository.GitIn(root, "worktree", "remove", "--force", worktree);

        Assert.Null(InProcessGit.GetGitDir(worktree));
        Assert.Null(InProcessGit.ResolveCommit(worktree, "HEAD"));
    }

    [Fact]
    public void A_git_directory_that_lost_its_HEAD_is_passed_by_as_git_does()
    {
        var inner = InnerRepository();
        using var scope = RepositoryHandles.Share();
        Assert.Equal(Normal(Path.Combine(inner, ".git")), Normal(InProcessGit.GetGitDir(inner)));
        Assert.Equal(Normal(Path.Combine(inner, ".git")), Normal(InProcessGit.GetGitDir(inner)));
        Assert.Equal(1, scope.Discoveries);

        // Without HEAD it is no repository to git or libgit2: both go on to the main checkout.
        File.Delete(Path.Combine(inner, ".git", "HEAD"));

        Assert.Equal(CliGitDir(inner), Normal(InProcessGit.GetGitDir(inner)));
        Assert.Equal(Normal(Path.Combine(root, ".git")), Normal(InProcessGit.GetGitDir(inner)));
    }

    [Fact]
    public void A_git_directory_without_its_refs_is_passed_by_as_git_does()
    {
        var inner = InnerRepository();
        using var scope = RepositoryHandles.Share();
        Assert.Equal(Normal(Path.Combine(inner, ".git")), Normal(InProcessGit.GetGitDir(inner)));

        Directory.Delete(Path.Combine(inner, ".git", "refs"), recursive: true);

        Assert.Equal(CliGitDir(inner), Normal(InProcessGit.GetGitDir(inner)));
        Assert.Equal(Normal(Path.Combine(root, ".git")), Normal(InProcessGit.GetGitDir(inner)));
    }

    [Fact]
    public void A_worktree_whose_git_directory_lost_its_HEAD_is_discovered_again()
    {
        using var scope = RepositoryHandles.Share();
        Assert.EndsWith("a1", InProcessGit.GetGitDir(worktree));

        File.Delete(Path.Combine(root, ".git", "worktrees", "a1", "HEAD"));

        var again = InProcessGit.GetGitDir(worktree);
        Assert.Equal(2, scope.Discoveries);
        using (RepositoryHandles.Share())
        {
            Assert.Equal(again, InProcessGit.GetGitDir(worktree));
        }
    }

    [Fact]
    public void A_git_directory_is_remembered_while_git_adds_and_removes_worktrees_in_it()
    {
        using var scope = RepositoryHandles.Share();
        Assert.Equal(CliGitDir(root), Normal(InProcessGit.GetGitDir(root)));

        // git makes .git/worktrees for a worktree and removes it with the last one: the folder's time moves.
        TestRepository.GitIn(root, "worktree", "remove", "--force", worktree);
        TestRepository.GitIn(root, "worktree", "add", "--quiet", "-b", "b1", Path.Combine(root, ".worktrees", "b1"));

        Assert.Equal(CliGitDir(root), Normal(InProcessGit.GetGitDir(root)));
        Assert.Equal(1, scope.Discoveries);
    }

    [Fact]
    public void Without_a_scope_nothing_is_remembered()
    {
        using (var scope = RepositoryHandles.Share())
        {
            Assert.EndsWith("a1", InProcessGit.GetGitDir(worktree));
        }
        File.Delete(Path.Combine(worktree, ".git"));
        Assert.Equal(Normal(Path.Combine(root, ".git")), Normal(InProcessGit.GetGitDir(worktree)));
    }

    [Fact]
    public void A_folder_moved_behind_a_symlink_is_left_to_the_cli_once_the_remembered_answer_expires()
    {
        var place = temp.Combine("place");
        var repo = TestRepository.CreateGreetRepository(Path.Combine(place, "linked"));
        using var scope = RepositoryHandles.Share();
        scope.RememberDiscoveryFor = TimeSpan.FromMilliseconds(300);
        Assert.NotNull(InProcessGit.GetGitDir(repo));

        // The folder's parent moves and a symlink takes its place: the CLI would report the physical path.
        Directory.Move(place, temp.Combine("moved"));
        Directory.CreateSymbolicLink(place, temp.Combine("moved"));
        Thread.Sleep(400);

        Assert.Null(InProcessGit.GetGitDir(repo));
        Assert.Null(InProcessGit.TryGetWorkingTreeFacts(repo));
    }
}
