using AmpSessions.Core.Git;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Git;

/// <summary>The porcelain parsers fed with what the real git prints for awkward repositories.</summary>
public sealed class GitPorcelainTests : IDisposable
{
    private readonly TestRepository repo = new();

    public void Dispose() => repo.Dispose();

    [Fact]
    public async Task Status_reads_renames_unmerged_untracked_and_unusual_paths()
    {
        // A conflict on src/greet.ts first (a merge needs a clean tree), then every other kind of change.
        repo.Git("checkout", "--quiet", "-b", "other");
        repo.WriteFile("src/greet.ts", "export const other = 1\n");
        repo.CommitAll("other side");
        repo.Git("checkout", "--quiet", "main");
        repo.WriteFile("src/greet.ts", "export const mine = 2\n");
        repo.WriteFile("with space.txt", "v1\n");
        repo.CommitAll("main side");
        Assert.Throws<InvalidOperationException>(() => repo.Git("merge", "--quiet", "other"));

        Directory.CreateDirectory(repo.Path("docs"));
        repo.Git("mv", "README.md", "docs/read me ü.md");
        repo.WriteFile("with space.txt", "v2\n");
        repo.WriteFile("staged ñ.txt", "new\n");
        repo.Git("add", "staged ñ.txt");
        repo.WriteFile("new\nline.txt", "x\n");
        repo.WriteFile("dir/nested untracked 日本.txt", "y\n");

        var status = await new GitClient(repo.Root).GetStatusAsync();

        Assert.Equal("main", status.Branch);
        Assert.Equal(repo.Git("rev-parse", "HEAD"), status.HeadCommit);
        Assert.True(status.HasUnmerged);
        Assert.False(status.IsClean);
        var byPath = status.Entries.ToDictionary(e => e.Path);
        Assert.Equal(6, byPath.Count);
        Assert.Equal(new StatusEntry(StatusEntryKind.Unmerged, 'U', 'U', "src/greet.ts"), byPath["src/greet.ts"]);
        Assert.Equal(new StatusEntry(StatusEntryKind.Renamed, 'R', '.', "docs/read me ü.md", "README.md"), byPath["docs/read me ü.md"]);
        Assert.Equal(new StatusEntry(StatusEntryKind.Changed, '.', 'M', "with space.txt"), byPath["with space.txt"]);
        Assert.Equal(new StatusEntry(StatusEntryKind.Changed, 'A', '.', "staged ñ.txt"), byPath["staged ñ.txt"]);
        Assert.Equal(new StatusEntry(StatusEntryKind.Untracked, '?', '?', "new\nline.txt"), byPath["new\nline.txt"]);
        Assert.Equal(new StatusEntry(StatusEntryKind.Untracked, '?', '?', "dir/nested untracked 日本.txt"), byPath["dir/nested untracked 日本.txt"]);
        Assert.True(byPath["staged ñ.txt"].IsStaged);
        Assert.False(byPath["staged ñ.txt"].IsUnstaged);
        Assert.True(byPath["with space.txt"].IsUnstaged);
    }

    [Fact]
    public async Task Status_of_a_clean_detached_checkout_has_no_branch()
    {
        var head = repo.Git("rev-parse", "HEAD");
        repo.Git("checkout", "--quiet", "--detach");

        var status = await new GitClient(repo.Root).GetStatusAsync();

        Assert.Null(status.Branch);
        Assert.Equal(head, status.HeadCommit);
        Assert.True(status.IsClean);
        Assert.Empty(status.Entries);
    }

    [Fact]
    public async Task Status_of_a_repository_without_commits_has_no_head()
    {
        using var empty = new TestRepository(initialCommit: false);
        empty.WriteFile("first.txt", "1\n");

        var status = await new GitClient(empty.Root).GetStatusAsync();

        Assert.Null(status.HeadCommit);
        Assert.Equal("main", status.Branch);
        Assert.Equal([new StatusEntry(StatusEntryKind.Untracked, '?', '?', "first.txt")], status.Entries);
    }

    [Fact]
    public async Task Worktree_list_reads_branches_detached_locked_prunable_and_unusual_paths()
    {
        var outside = repo.Scratch("worktrees");
        var plain = Path.Combine(outside, "wt ü space");
        var detached = Path.Combine(outside, "wt-detached");
        var locked = Path.Combine(outside, "wt-locked");
        var gone = Path.Combine(outside, "wt-gone");
        repo.Git("worktree", "add", "--quiet", "-b", "feature/ü", plain);
        repo.Git("worktree", "add", "--quiet", "--detach", detached, "HEAD");
        repo.Git("worktree", "add", "--quiet", "-b", "locked-branch", locked);
        repo.Git("worktree", "lock", "--reason", "on a removable disk", locked);
        repo.Git("worktree", "add", "--quiet", "-b", "gone-branch", gone);
        Directory.Delete(gone, recursive: true);
        var head = repo.Git("rev-parse", "HEAD");

        var listed = await new GitClient(repo.Root).ListWorktreesAsync();

        // The main working tree comes first; git orders the linked ones by their admin folder names.
        Assert.Equal(repo.Root, listed[0].Path);
        var worktrees = listed.Take(1).Concat(listed.Skip(1).OrderBy(w => Array.IndexOf([plain, detached, locked, gone], w.Path))).ToArray();
        Assert.Equal([repo.Root, plain, detached, locked, gone], worktrees.Select(w => w.Path));
        Assert.All(worktrees, w => Assert.Equal(head, w.Head));
        Assert.Equal("refs/heads/main", worktrees[0].Branch);
        Assert.Equal("main", worktrees[0].BranchName);
        Assert.False(worktrees[0].IsBare || worktrees[0].IsDetached || worktrees[0].IsLocked || worktrees[0].IsPrunable);
        Assert.Equal("feature/ü", worktrees[1].BranchName);
        Assert.True(worktrees[2].IsDetached);
        Assert.Null(worktrees[2].Branch);
        Assert.True(worktrees[3].IsLocked);
        Assert.False(worktrees[3].IsPrunable);
        Assert.True(worktrees[4].IsPrunable);
        Assert.Equal("gone-branch", worktrees[4].BranchName);
    }

    [Fact]
    public async Task Worktree_list_of_a_bare_repository_marks_it_bare()
    {
        var bare = Path.Combine(repo.Scratch("bare"), "bare.git");
        repo.Git("clone", "--quiet", "--bare", repo.Root, bare);
        var linked = Path.Combine(repo.Scratch("from-bare"), "linked");
        TestRepository.GitIn(bare, "worktree", "add", "--quiet", linked, "main");

        var worktrees = await new GitClient(bare).ListWorktreesAsync();

        Assert.Equal(2, worktrees.Count);
        Assert.True(worktrees[0].IsBare);
        Assert.Null(worktrees[0].Head);
        Assert.Equal(linked, worktrees[1].Path);
        Assert.Equal("main", worktrees[1].BranchName);
    }

    [Fact]
    public async Task Name_status_reads_renames_additions_deletions_and_unusual_paths()
    {
        repo.WriteFile("a b.txt", "a file whose name has a space\nand enough lines\nto be found again\n");
        var first = repo.CommitAll("first");
        Directory.CreateDirectory(repo.Path("renamed"));
        repo.Git("mv", "a b.txt", "renamed/ä b.txt");
        repo.WriteFile("src/greet.ts", "export const changed = true\n");
        repo.Git("rm", "--quiet", "README.md");
        repo.WriteFile("new\nfile.txt", "new\n");
        var second = repo.CommitAll("second");

        var entries = await new GitClient(repo.Root).DiffNameStatusAsync([first, second]);

        var byPath = entries.ToDictionary(e => e.Path);
        Assert.Equal(4, byPath.Count);
        Assert.Equal(new NameStatusEntry(FileChangeKind.Renamed, "renamed/ä b.txt", "a b.txt", 100), byPath["renamed/ä b.txt"]);
        Assert.Equal(new NameStatusEntry(FileChangeKind.Modified, "src/greet.ts"), byPath["src/greet.ts"]);
        Assert.Equal(new NameStatusEntry(FileChangeKind.Deleted, "README.md"), byPath["README.md"]);
        Assert.Equal(new NameStatusEntry(FileChangeKind.Added, "new\nfile.txt"), byPath["new\nfile.txt"]);
    }

    [Fact]
    public async Task Name_status_of_no_changes_is_empty()
    {
        var head = repo.Git("rev-parse", "HEAD");

        Assert.Empty(await new GitClient(repo.Root).DiffNameStatusAsync([head, head]));
    }

    [Fact]
    public async Task A_failing_git_command_carries_its_arguments_exit_code_and_stderr()
    {
        var ex = await Assert.ThrowsAsync<GitException>(() => new GitClient(repo.Root).RunAsync(["rev-parse", "--verify", "no-such-branch"]));

        Assert.Equal("AmpGitFailed", ex.ErrorId);
        Assert.Equal(["rev-parse", "--verify", "no-such-branch"], ex.Arguments);
        Assert.Equal(128, ex.ExitCode);
        Assert.Contains("fatal", ex.StandardError);
        Assert.Contains("git rev-parse --verify no-such-branch failed (exit 128)", ex.Message);
    }

    [Fact]
    public async Task Git_runs_non_interactively_with_a_stable_locale()
    {
        var result = await new GitClient(repo.Root).RunAsync(["var", "GIT_EDITOR"]);

        Assert.Equal(":", result.StandardOutput.Trim());
        Assert.Equal("C", GitClient.NonInteractiveEnvironment["LC_ALL"]);
        Assert.Equal("0", GitClient.NonInteractiveEnvironment["GIT_TERMINAL_PROMPT"]);
    }
}
