using AmpSessions.Core.Git;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Git;

/// <summary>
/// Parity: every read libgit2 answers in process gives what the git CLI gives on the same
/// repository, on ordinary and tricky ones (CRLF with text=auto, LFS attributes without git-lfs,
/// a submodule, sparse checkout, the untracked cache, a worktree of a bare repository, a shallow
/// clone); where libgit2 cannot answer (sha256, a sparse index) it says so and the CLI answers.
/// </summary>
public sealed class InProcessGitParityTests : IDisposable
{
    private readonly TempDirectory temp = new("amp-parity");

    public void Dispose() => temp.Dispose();

    private static string Git(string directory, params string[] arguments) => TestRepository.GitIn(directory, arguments);

    private static void Write(string directory, string relative, string content)
    {
        var path = Path.Combine(directory, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    /// <summary>
    /// main with history, a feature branch two commits ahead (one a rename, one an edit) and main
    /// one commit ahead of the fork point, a merge of both into "merged", and a staged change.
    /// </summary>
    private static void AddHistory(string root)
    {
        Write(root, "docs/readme.md", string.Join('\n', Enumerable.Range(1, 40).Select(i => $"line {i} of the readme")) + "\n");
        Write(root, "src/app.ts", "export const app = 1;\n");
        Git(root, "add", "-A");
        Git(root, "commit", "-qm", "base");
        Git(root, "branch", "feature");
        Write(root, "main-only.txt", "main\n");
        Git(root, "add", "-A");
        Git(root, "commit", "-qm", "main moves on");
        Git(root, "checkout", "-q", "feature");
        Git(root, "mv", "docs/readme.md", "docs/README.md");
        Git(root, "commit", "-qm", "rename");
        Write(root, "src/app.ts", "export const app = 2;\n");
        Write(root, "src/new file ü.ts", "new\n");
        Git(root, "rm", "-q", "--cached", "main-only.txt", "--ignore-unmatch");
        Git(root, "add", "-A");
        Git(root, "commit", "-qm", "edit and add");
        Git(root, "checkout", "-q", "-b", "merged");
        Git(root, "merge", "-q", "--no-edit", "main");
        Git(root, "checkout", "-q", "main");
        Write(root, "staged.txt", "staged\n");
        Git(root, "add", "staged.txt");
    }

    private string NewRepository(string name, params string[] initOptions)
    {
        var root = Path.Combine(temp.Path, name);
        Directory.CreateDirectory(root);
        Git(root, ["init", "-q", "-b", "main", .. initOptions]);
        Git(root, "config", "user.name", "Parity");
        Git(root, "config", "user.email", "parity@example.com");
        return root;
    }

    private string Ordinary()
    {
        var root = NewRepository("ordinary");
        AddHistory(root);
        return root;
    }

    private string CrlfTextAuto()
    {
        var root = NewRepository("crlf");
        Git(root, "config", "core.autocrlf", "true");
        Write(root, ".gitattributes", "* text=auto\n*.bat text eol=crlf\n");
        Write(root, "windows.txt", "one\r\ntwo\r\n");
        Write(root, "run.bat", "@echo off\r\n");
        AddHistory(root);
        // A working-tree file with CRLF that the index holds normalised: not a change to git.
        Write(root, "windows.txt", "one\r\ntwo\r\n");
        return root;
    }

    private string LfsAttributes()
    {
        var root = NewRepository("lfs");
        Write(root, ".gitattributes", "*.bin filter=lfs diff=lfs merge=lfs -text\n");
        Write(root, "data.bin", "version https://git-lfs.github.com/spec/v1\noid sha256:0000\nsize 4\n");
        AddHistory(root);
        return root;
    }

    private string WithSubmodule()
    {
        var library = NewRepository("library");
        Write(library, "lib.txt", "lib\n");
        Git(library, "add", "-A");
        Git(library, "commit", "-qm", "lib");
        var root = NewRepository("with-submodule");
        Git(root, "-c", "protocol.file.allow=always", "submodule", "add", "-q", library, "vendor/lib");
        AddHistory(root);
        // The submodule has local edits: dirty, not a change of the superproject's index.
        Write(Path.Combine(root, "vendor", "lib"), "lib.txt", "edited\n");
        return root;
    }

    private string SparseCheckout()
    {
        var root = NewRepository("sparse");
        AddHistory(root);
        Git(root, "sparse-checkout", "set", "--no-sparse-index", "src");
        return root;
    }

    private string UntrackedCache()
    {
        var root = NewRepository("untracked-cache");
        Git(root, "config", "core.untrackedCache", "true");
        AddHistory(root);
        Git(root, "update-index", "--untracked-cache");
        Git(root, "status", "--porcelain");
        Write(root, "untracked/new.txt", "new\n");
        return root;
    }

    private string WorktreeOfBare()
    {
        var source = Ordinary();
        var bare = Path.Combine(temp.Path, "bare.git");
        Git(temp.Path, "clone", "-q", "--bare", source, bare);
        var worktree = Path.Combine(temp.Path, "bare-worktree");
        Git(bare, "worktree", "add", "-q", worktree, "feature");
        return worktree;
    }

    private string ShallowClone()
    {
        var source = Ordinary();
        var shallow = Path.Combine(temp.Path, "shallow");
        Git(temp.Path, "clone", "-q", "--no-local", "--depth", "1", "--no-single-branch", "file://" + source, shallow);
        Git(shallow, "config", "user.name", "Parity");
        Git(shallow, "config", "user.email", "parity@example.com");
        Git(shallow, "branch", "-q", "feature", "origin/feature");
        return shallow;
    }

    public static TheoryData<string> Kinds => ["ordinary", "crlf", "lfs", "submodule", "sparse", "untracked-cache", "bare-worktree", "shallow"];

    private string Build(string kind) => kind switch
    {
        "ordinary" => Ordinary(),
        "crlf" => CrlfTextAuto(),
        "lfs" => LfsAttributes(),
        "submodule" => WithSubmodule(),
        "sparse" => SparseCheckout(),
        "untracked-cache" => UntrackedCache(),
        "bare-worktree" => WorktreeOfBare(),
        "shallow" => ShallowClone(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Every_in_process_read_matches_the_git_cli(string kind)
    {
        var root = Build(kind);
        var library = new GitClient(root, inProcessReads: true);
        var cli = new GitClient(root, inProcessReads: false);

        // libgit2 really answers here (no silent fall-back to the CLI).
        Assert.NotNull(InProcessGit.TryGetWorkingTreeFacts(root));
        Assert.NotNull(InProcessGit.ResolveCommit(root, "refs/heads/main"));

        Assert.Equal(await cli.TryGetWorkingTreeFactsAsync(), await library.TryGetWorkingTreeFactsAsync());
        Assert.Equal(await cli.GetGitDirAsync(), await library.GetGitDirAsync());
        Assert.Equal(await cli.GetCommonDirAsync(), await library.GetCommonDirAsync());
        Assert.Equal(await cli.GetCurrentBranchAsync(), await library.GetCurrentBranchAsync());
        foreach (var revision in new[] { "HEAD", "refs/heads/main", "refs/heads/feature", "refs/heads/missing", "refs/tags/none", new string('a', 40) })
        {
            Assert.Equal(await cli.ResolveCommitAsync(revision), await library.ResolveCommitAsync(revision));
        }
        foreach (var branch in new[] { "main", "feature", "missing", "merged" })
        {
            Assert.Equal(await cli.BranchExistsAsync(branch), await library.BranchExistsAsync(branch));
        }
        var main = (await cli.ResolveCommitAsync("refs/heads/main"))!;
        var feature = (await cli.ResolveCommitAsync("refs/heads/feature"))!;
        Assert.Equal(await cli.CountAheadBehindAsync(main, feature), await library.CountAheadBehindAsync(main, feature));
        Assert.Equal(await cli.CountAheadBehindAsync(feature, main), await library.CountAheadBehindAsync(feature, main));
        Assert.Equal(await cli.MergeBaseAsync(main, feature), await library.MergeBaseAsync(main, feature));
        Assert.Equal(await cli.IsAncestorAsync(main, feature), await library.IsAncestorAsync(main, feature));
        Assert.Equal(await cli.IsAncestorAsync(feature, feature), await library.IsAncestorAsync(feature, feature));
        if (await cli.ResolveCommitAsync("refs/heads/merged") is { } merged)
        {
            Assert.Equal(await cli.IsAncestorAsync(feature, merged), await library.IsAncestorAsync(feature, merged));
            Assert.Equal(await cli.MergeBaseAsync(merged, main), await library.MergeBaseAsync(merged, main));
        }
        if (await cli.MergeBaseAsync(main, feature) is { } fork)
        {
            Assert.Equal(await cli.DiffNameStatusAsync([fork, feature]), await library.DiffNameStatusAsync([fork, feature]));
            Assert.Equal(await cli.DiffNameStatusAsync([feature, main]), await library.DiffNameStatusAsync([feature, main]));
            Assert.Equal(await cli.DiffNameStatusAsync([feature + "^", feature]), await library.DiffNameStatusAsync([feature + "^", feature]));
            Assert.NotNull(InProcessGit.DiffCommits(root, feature + "^", feature));
        }
        Assert.Equal(await cli.HasStagedChangesAsync(), await library.HasStagedChangesAsync());
        Assert.Equal(await cli.TracksAnythingUnderAsync("src"), await library.TracksAnythingUnderAsync("src"));
        Assert.Equal(await cli.TracksAnythingUnderAsync(".amp-sessions"), await library.TracksAnythingUnderAsync(".amp-sessions"));
        var untracked = Git(root, "ls-files", "--others", "--exclude-standard").Length > 0;
        Assert.Equal(untracked, library.HasUntrackedFilesInProcess());
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Ref_listings_match_the_git_cli(string kind)
    {
        var root = Build(kind);
        var main = Git(root, "rev-parse", "refs/heads/main");
        // Remote-tracking refs (one symbolic, one dangling symbolic), a backup namespace, a tag, and a
        // branch whose name only starts like the base's.
        Git(root, "update-ref", "refs/remotes/origin/main", main);
        Git(root, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main");
        Git(root, "symbolic-ref", "refs/remotes/gone/HEAD", "refs/remotes/gone/missing");
        Git(root, "update-ref", "refs/amp-sessions/abc/backup/20261203-000000-000-merge", main);
        Git(root, "update-ref", "refs/amp-sessions/abcd/backup/20261203-000000-000-merge", main);
        Git(root, "tag", "v1", main);
        Git(root, "branch", "main-two", main);
        Git(root, "pack-refs", "--all");
        Git(root, "update-ref", "refs/amp-sessions/abc/backup/20261203-000001-000-cleanup", main);
        var library = new GitClient(root, inProcessReads: true);
        var cli = new GitClient(root, inProcessReads: false);

        string[][] patterns = [["refs/heads/main", "refs/remotes/"], ["refs/amp-sessions/abc/backup/"], ["refs/tags/"], ["refs/heads/"], ["refs/heads/none"]];
        foreach (var pattern in patterns)
        {
            Assert.NotNull(InProcessGit.RefTips(root, pattern));
            Assert.Equal(await cli.ListRefTipsAsync(pattern), await library.ListRefTipsAsync(pattern));
        }
        Assert.Equal(await cli.ListRefsAsync("refs/amp-sessions/abc/backup/"), await library.ListRefsAsync("refs/amp-sessions/abc/backup/"));
        Assert.Equal(2, (await library.ListRefsAsync("refs/amp-sessions/abc/backup/")).Count);
        // Wildcards are git's to match.
        Assert.Null(InProcessGit.RefTips(root, ["refs/heads/m*"]));
        Assert.Equal(await cli.ListRefTipsAsync(["refs/heads/m*"]), await library.ListRefTipsAsync(["refs/heads/m*"]));

        // And from a linked worktree (where sessions work), which libgit2 opens through its own git directory.
        var linked = Path.Combine(temp.Path, kind + "-linked");
        Git(root, "worktree", "add", "-q", "--detach", linked, main);
        var inLinked = new GitClient(linked, inProcessReads: true);
        Assert.NotNull(InProcessGit.RefTips(linked, patterns[0]));
        Assert.Equal(await cli.ListRefTipsAsync(patterns[0]), await inLinked.ListRefTipsAsync(patterns[0]));
    }

    [Fact]
    public async Task Worktree_registration_matches_git_worktree_list()
    {
        var root = Ordinary();
        var library = new GitClient(root, inProcessReads: true);
        var cli = new GitClient(root, inProcessReads: false);
        var present = Path.Combine(root, ".worktrees", "present");
        var deleted = Path.Combine(root, ".worktrees", "deleted");
        var locked = Path.Combine(root, ".worktrees", "locked");
        var plain = Path.Combine(root, ".worktrees", "plain-folder");
        Git(root, "worktree", "add", "-q", present, "feature");
        Git(root, "worktree", "add", "-q", "--detach", deleted, "main");
        Git(root, "worktree", "add", "-q", "--detach", locked, "main");
        Git(root, "worktree", "lock", locked);
        TempDirectory.DeleteTree(deleted);
        Directory.CreateDirectory(plain);
        var otherRepository = NewRepository("other");
        AddHistory(otherRepository);
        var foreign = Path.Combine(temp.Path, "foreign-worktree");
        Git(otherRepository, "worktree", "add", "-q", foreign, "feature");

        foreach (var path in new[] { present, deleted, locked, plain, foreign, root })
        {
            Assert.True(await cli.IsRegisteredWorktreeAsync(path, StringComparison.Ordinal) == await library.IsRegisteredWorktreeAsync(path, StringComparison.Ordinal),
                $"git worktree list and libgit2 disagree about {path}");
        }
        Assert.True(await library.IsRegisteredWorktreeAsync(present, StringComparison.Ordinal));
        Assert.False(await library.IsRegisteredWorktreeAsync(deleted, StringComparison.Ordinal));
        Assert.NotNull(InProcessGit.IsRegisteredWorktree(root, present));
    }

    [Theory]
    [InlineData("sha256")]
    [InlineData("sparse-index")]
    public async Task Where_libgit2_cannot_answer_the_cli_does(string kind)
    {
        string root;
        if (kind == "sha256")
        {
            root = NewRepository("sha256", "--object-format=sha256");
            AddHistory(root);
        }
        else
        {
            root = NewRepository("sparse-index");
            AddHistory(root);
            Git(root, "sparse-checkout", "set", "--sparse-index", "src");
        }
        var library = new GitClient(root, inProcessReads: true);
        var cli = new GitClient(root, inProcessReads: false);

        Assert.Null(InProcessGit.TryGetWorkingTreeFacts(root));
        Assert.Null(InProcessGit.HasStagedChanges(root));
        var facts = await library.TryGetWorkingTreeFactsAsync();
        Assert.NotNull(facts);
        Assert.Equal(await cli.TryGetWorkingTreeFactsAsync(), facts);
        Assert.Equal(await cli.ResolveCommitAsync("refs/heads/feature"), await library.ResolveCommitAsync("refs/heads/feature"));
        Assert.Equal(await cli.HasStagedChangesAsync(), await library.HasStagedChangesAsync());
        var main = (await cli.ResolveCommitAsync("refs/heads/main"))!;
        var feature = (await cli.ResolveCommitAsync("refs/heads/feature"))!;
        Assert.Equal(await cli.CountAheadBehindAsync(main, feature), await library.CountAheadBehindAsync(main, feature));
        Assert.Equal(await cli.DiffNameStatusAsync([main, feature]), await library.DiffNameStatusAsync([main, feature]));
    }

    [Fact]
    public async Task Revisions_beyond_refs_and_object_ids_go_to_the_cli()
    {
        var root = Ordinary();
        Assert.Null(InProcessGit.ResolveCommit(root, "main~1"));
        Assert.Null(InProcessGit.ResolveCommit(root, "feature"));
        var library = new GitClient(root, inProcessReads: true);
        Assert.Equal(Git(root, "rev-parse", "main~1"), await library.ResolveCommitAsync("main~1"));
    }

    [Fact]
    public async Task A_path_through_a_symlink_is_left_to_the_cli()
    {
        var root = Ordinary();
        var link = Path.Combine(temp.Path, "link-to-repo");
        Directory.CreateSymbolicLink(link, root);
        Assert.Null(InProcessGit.TryGetWorkingTreeFacts(link));
        var facts = await new GitClient(link, inProcessReads: true).TryGetWorkingTreeFactsAsync();
        Assert.Equal(await new GitClient(link, inProcessReads: false).TryGetWorkingTreeFactsAsync(), facts);
        Assert.Equal(root, facts!.TopLevel);
    }
}
