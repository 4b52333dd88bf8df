using AmpSessions.Core.Git;
using AmpSessions.Core.Iterations;
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

    /// <summary>What git status prints (porcelain v2, -z) less the headers libgit2 is not asked for (upstream, stash).</summary>
    private static IReadOnlyList<string> CliStatusRecords(string root, bool includeUntracked, string ignoreSubmodules = "none")
    {
        var output = Git(root, "--no-optional-locks", "status", "--porcelain=v2", "--branch", "-z",
            includeUntracked ? "--untracked-files=all" : "--untracked-files=no", "--ignore-submodules=" + ignoreSubmodules);
        return output.Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Where(r => !r.StartsWith('#') || r.StartsWith("# branch.oid ", StringComparison.Ordinal) || r.StartsWith("# branch.head ", StringComparison.Ordinal))
            .ToArray();
    }

    private static void MakeExecutable(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.UserExecute);
        }
    }

    /// <summary>Changes of every kind status reports, made in the working tree and index (no staged deletion: that is a rename candidate).</summary>
    private static void ChangeWorkingTree(string root)
    {
        if (File.Exists(Path.Combine(root, "src", "app.ts")))
        {
            Write(root, "src/app.ts", "export const app = 3;\n");
        }
        Write(root, "staged.txt", "staged, then edited\n");
        Write(root, "exec.sh", "#!/bin/sh\n");
        Git(root, "add", "exec.sh");
        Git(root, "commit", "-qm", "a script", "--", "exec.sh");
        MakeExecutable(Path.Combine(root, "exec.sh"));
        Write(root, "to-delete.txt", "soon gone\n");
        Write(root, "modified-staged.txt", "one\n");
        Git(root, "add", "to-delete.txt", "modified-staged.txt");
        Git(root, "commit", "-qm", "two files", "--", "to-delete.txt", "modified-staged.txt");
        File.Delete(Path.Combine(root, "to-delete.txt"));
        Write(root, "modified-staged.txt", "two\n");
        Git(root, "add", "modified-staged.txt");
        Write(root, ".gitignore", "*.log\nbuild/\n");
        Write(root, "debug.log", "ignored\n");
        Write(root, "build/out.o", "ignored folder\n");
        Write(root, "notes/deep/er/untracked ü.txt", "untracked\n");
        Write(root, "notes/top.txt", "untracked\n");
        Directory.CreateDirectory(Path.Combine(root, "empty-folder"));
        var nested = Path.Combine(root, "nested-repo");
        Directory.CreateDirectory(nested);
        Git(nested, "init", "-q");
        Write(nested, "inner.txt", "inner\n");
        // Touched, not changed: git compares the content and reports nothing.
        if (File.Exists(Path.Combine(root, "main-only.txt")))
        {
            File.SetLastWriteTimeUtc(Path.Combine(root, "main-only.txt"), DateTime.UtcNow.AddMinutes(1));
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Status_matches_the_git_cli(string kind)
    {
        var root = Build(kind);
        ChangeWorkingTree(root);
        var library = new GitClient(root, inProcessReads: true);
        var cli = new GitClient(root, inProcessReads: false);

        foreach (var includeUntracked in new[] { true, false })
        {
            var records = InProcessGit.StatusRecords(root, includeUntracked);
            // Where git runs a program (the LFS filter attribute), has submodules or a sparse checkout, libgit2 leaves status to git.
            if (kind is "lfs" or "submodule" or "sparse")
            {
                Assert.Null(records);
            }
            else
            {
                Assert.NotNull(records);
                Assert.Equal(CliStatusRecords(root, includeUntracked), records);
            }
            Assert.Equal(await cli.GetStatusAsync(includeUntracked), await library.GetStatusAsync(includeUntracked), new StatusComparer());
        }
        // And it wrote nothing: the index is as it was (status --no-optional-locks does not refresh it either).
        var index = Path.Combine(Git(root, "rev-parse", "--path-format=absolute", "--git-dir"), "index");
        var before = File.ReadAllBytes(index);
        InProcessGit.StatusRecords(root, includeUntracked: true);
        Assert.Equal(before, File.ReadAllBytes(index));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Status_of_an_index_that_holds_HEAD_compares_the_working_tree_alone_and_matches_the_git_cli(string kind)
    {
        var root = Build(kind);
        ChangeWorkingTree(root);
        // Commit what is staged: the index is HEAD again (its cache-tree says so), the working tree changes stay.
        Git(root, "commit", "-qm", "everything staged");
        var gitDir = Git(root, "rev-parse", "--path-format=absolute", "--git-dir");

        foreach (var includeUntracked in new[] { true, false })
        {
            var records = InProcessGit.StatusRecords(root, includeUntracked);
            if (kind is "lfs" or "submodule" or "sparse")
            {
                Assert.Null(records);
                continue;
            }
            // The in-process status takes the working-tree-only path here, and still says what git says.
            Assert.Equal(Git(root, "rev-parse", "HEAD^{tree}"), GitIndexFile.Read(Path.Combine(gitDir, "index"))?.Tree);
            Assert.NotNull(records);
            Assert.Contains(records, r => r.StartsWith("1 .", StringComparison.Ordinal));
            Assert.Equal(CliStatusRecords(root, includeUntracked), records);
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Status_compared_in_two_parts_at_once_matches_the_git_cli(string kind)
    {
        var root = Build(kind);
        ChangeWorkingTree(root);
        // The index is HEAD again (only then is the working tree compared in parts); the working-tree changes stay.
        Git(root, "commit", "-qm", "everything staged");

        foreach (var includeUntracked in new[] { true, false })
        {
            var before = InProcessGit.StatusesReadInParts;
            // From one index entry on, so these small repositories are split as a 5,000-file one is.
            var records = InProcessGit.StatusRecords(root, includeUntracked, parallelFrom: 1);
            if (kind is "lfs" or "submodule" or "sparse")
            {
                Assert.Null(records);
                continue;
            }
            Assert.NotNull(records);
            Assert.Equal(CliStatusRecords(root, includeUntracked), records);
            // core.ignorecase (set where the file system ignores case) keeps one status: the parts name paths exactly.
            var ignoresCase = Git(root, "config", "--bool", "--default", "false", "core.ignorecase") == "true";
            Assert.Equal(ignoresCase ? before : before + 1, InProcessGit.StatusesReadInParts);
        }
    }

    [Fact]
    public void Status_in_parts_splits_a_folder_that_holds_most_files_and_still_sees_every_change_git_sees()
    {
        var root = NewRepository("one-folder");
        foreach (var folder in new[] { "a", "b", "c" })
        {
            for (var i = 0; i < 10; i++)
            {
                Write(root, $"src/{folder}/{i}.txt", $"{folder} {i}\n");
            }
        }
        Write(root, "README", "readme\n");
        Write(root, "src/b/script.sh", "#!/bin/sh\n");
        Git(root, "add", "-A");
        Git(root, "commit", "-qm", "files");
        // Inside the folder that is split: a deletion, an edit, a new file, a new folder, a file that became a folder,
        // a mode change, a file that is neither in the index nor next to one ("src/z"), and an ignored one.
        File.Delete(Path.Combine(root, "src", "a", "3.txt"));
        Write(root, "src/b/2.txt", "edited\n");
        Write(root, "src/c/new.txt", "new\n");
        Write(root, "src/d/e/f.txt", "deep\n");
        File.Delete(Path.Combine(root, "src", "b", "5.txt"));
        Write(root, "src/b/5.txt/inside.txt", "was a file\n");
        MakeExecutable(Path.Combine(root, "src", "b", "script.sh"));
        Write(root, "src/z", "z\n");
        Write(root, ".gitignore", "*.log\n");
        Write(root, "src/a/debug.log", "ignored\n");

        var index = GitIndexFile.Read(Path.Combine(root, ".git", "index"))!;
        var parts = WorkingTreeParts.Split(root, index.Paths!);
        Assert.NotNull(parts);
        // src held all but one file: it was split into its own entries.
        Assert.Equal([".gitignore", "README", "src/a", "src/b", "src/c", "src/d", "src/z"], parts.Paths.SelectMany(p => p).Order(StringComparer.Ordinal));
        // Every index entry and every file on disk lies under exactly one path of one part.
        var onDisk = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
            .Where(f => !f.StartsWith(".git/", StringComparison.Ordinal));
        foreach (var path in onDisk.Concat(index.Paths!))
        {
            Assert.Single(parts.Paths.SelectMany(p => p), p => path == p || path.StartsWith(p + "/", StringComparison.Ordinal));
        }

        foreach (var includeUntracked in new[] { true, false })
        {
            var before = InProcessGit.StatusesReadInParts;
            Assert.Equal(CliStatusRecords(root, includeUntracked), InProcessGit.StatusRecords(root, includeUntracked, parallelFrom: 1));
            Assert.Equal(before + 1, InProcessGit.StatusesReadInParts);
        }

        // A file that appears in a folder the split read is in no part: the split says so, and the status is read whole.
        Assert.True(parts.StillCurrent());
        Write(root, "src/late.txt", "late\n");
        Assert.False(parts.StillCurrent());
    }

    [Fact]
    public void Status_from_a_linked_worktree_and_a_clean_tree_matches_the_git_cli()
    {
        var root = Ordinary();
        Git(root, "commit", "-qm", "staged");
        var linked = Path.Combine(temp.Path, "linked");
        Git(root, "worktree", "add", "-q", linked, "feature");
        Assert.Equal(CliStatusRecords(linked, true), InProcessGit.StatusRecords(linked, true));
        ChangeWorkingTree(linked);
        Assert.Equal(CliStatusRecords(linked, true), InProcessGit.StatusRecords(linked, true));
        Git(linked, "checkout", "-q", "--detach");
        Assert.Equal(CliStatusRecords(linked, true), InProcessGit.StatusRecords(linked, true));
    }

    [Theory]
    [InlineData("staged-rename")]
    [InlineData("conflict")]
    [InlineData("intent-to-add")]
    [InlineData("filter-attribute")]
    public async Task Where_git_status_could_differ_libgit2_leaves_it_to_the_cli(string kind)
    {
        var root = Ordinary();
        Git(root, "commit", "-qm", "staged");
        switch (kind)
        {
            case "staged-rename":
                Git(root, "mv", "src/app.ts", "src/application.ts");
                break;
            case "conflict":
                Write(root, "src/app.ts", "export const app = 'main';\n");
                Git(root, "commit", "-qam", "main edits app");
                Assert.NotEqual(0, (await new GitClient(root, inProcessReads: false).RunAsync(["merge", "-q", "feature"], allowFailure: true)).ExitCode);
                break;
            case "intent-to-add":
                Write(root, "later.txt", "later\n");
                Git(root, "add", "-N", "later.txt");
                break;
            case "filter-attribute":
                Write(root, ".gitattributes", "*.txt filter=upper\n");
                Git(root, "config", "filter.upper.clean", "tr a-z A-Z");
                Write(root, "shout.txt", "quiet\n");
                Git(root, "add", "-A");
                Git(root, "commit", "-qm", "filtered");
                Write(root, "shout.txt", "QUIET\n");
                File.SetLastWriteTimeUtc(Path.Combine(root, "shout.txt"), DateTime.UtcNow.AddMinutes(1));
                break;
        }
        Assert.Null(InProcessGit.StatusRecords(root, includeUntracked: true));
        var library = new GitClient(root, inProcessReads: true);
        var cli = new GitClient(root, inProcessReads: false);
        Assert.Equal(await cli.GetStatusAsync(), await library.GetStatusAsync(), new StatusComparer());
    }

    private sealed class StatusComparer : IEqualityComparer<GitStatus>
    {
        public bool Equals(GitStatus? x, GitStatus? y) =>
            x is not null && y is not null && x.HeadCommit == y.HeadCommit && x.Branch == y.Branch && x.Entries.SequenceEqual(y.Entries);

        public int GetHashCode(GitStatus obj) => obj.Entries.Count;
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Staged_added_lines_match_git_diff_cached(string kind)
    {
        var root = Build(kind);
        // Lines changed in the middle of a file, a new file, CRLF lines, a last line without a newline,
        // a deleted file, a binary file, a mode change.
        var readme = Path.Combine(root, "docs", "readme.md");
        if (File.Exists(readme))
        {
            var lines = File.ReadAllLines(readme);
            lines[10] = "line eleven, token ghp_" + new string('a', 36);
            lines[30] = "changed thirty-one";
            File.WriteAllLines(readme, lines.Append("appended"));
        }
        Write(root, "added.txt", "first\nsecond with a token ghp_" + new string('c', 36) + "\nno newline at the end");
        Write(root, "crlf.txt", "one\r\ntwo\r\n");
        File.WriteAllBytes(Path.Combine(root, "image.bin"), [0x89, 0x50, 0x00, 0x01, 0x0a, 0x41]);
        Write(root, "exec.sh", "#!/bin/sh\n");
        MakeExecutable(Path.Combine(root, "exec.sh"));
        if (File.Exists(Path.Combine(root, "main-only.txt")))
        {
            File.Delete(Path.Combine(root, "main-only.txt"));
        }
        Git(root, "add", "-A", "--", ".", ":(exclude)vendor");

        var expected = StagedSecretScan.AddedLines(Git(root, [.. StagedSecretScan.StagedDiffArguments]));
        var inProcess = InProcessGit.StagedAddedLines(root);

        if (kind is "sparse")
        {
            // libgit2 may refuse a sparse checkout's index; then the CLI answers.
            inProcess ??= expected;
        }
        Assert.NotNull(inProcess);
        Assert.Equal(expected.Select(a => $"{a.Path}:{a.Line}:{a.Text}"), inProcess.Select(a => $"{a.Path}:{a.Line}:{a.Text}"));
        Assert.Contains(inProcess, a => a.Text.Contains("ghp_", StringComparison.Ordinal));
    }

    [Fact]
    public void Text_that_libgit2_calls_binary_but_git_does_not_goes_to_the_cli()
    {
        var root = Ordinary();
        // Control characters without a NUL: git shows the lines; libgit2's heuristic may call the file binary.
        Write(root, "controls.txt", string.Concat(Enumerable.Repeat("\u0001\u0002\u0003\u0004\u0005\u0006x\n", 50)) + "secret ghp_" + new string('b', 36) + "\n");
        Git(root, "add", "controls.txt");
        var expected = StagedSecretScan.AddedLines(Git(root, [.. StagedSecretScan.StagedDiffArguments]));
        var inProcess = InProcessGit.StagedAddedLines(root);
        Assert.Contains(expected, a => a.Text.Contains("ghp_", StringComparison.Ordinal));
        if (inProcess is not null)
        {
            Assert.Equal(expected.Select(a => $"{a.Path}:{a.Line}:{a.Text}"), inProcess.Select(a => $"{a.Path}:{a.Line}:{a.Text}"));
        }
    }

    [Fact]
    public async Task Configuration_values_match_git_config()
    {
        var root = Ordinary();
        var included = Path.Combine(temp.Path, "included.gitconfig");
        File.WriteAllText(included, "[user]\n\temail = included@example.com\n");
        Git(root, "config", "include.path", included);
        Git(root, "config", "--unset", "user.email");
        Git(root, "config", "--add", "multi.value", "first");
        Git(root, "config", "--add", "multi.value", "last");
        foreach (var key in new[] { "user.name", "user.email", "multi.value", "no.such-key", "core.bare" })
        {
            var cli = await new GitClient(root, inProcessReads: false).GetConfigAsync(key);
            if (Environment.GetEnvironmentVariables().Keys.Cast<string>().Any(n => n.StartsWith("GIT_CONFIG", StringComparison.Ordinal)))
            {
                Assert.Null(InProcessGit.ConfigValue(root, key));
                continue;
            }
            var answer = InProcessGit.ConfigValue(root, key);
            Assert.NotNull(answer);
            Assert.Equal(cli, answer.Value);
        }
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
    public async Task A_staged_rename_alone_is_a_staged_change_as_git_says()
    {
        var root = Ordinary();
        Git(root, "reset", "-q", "--hard");
        Git(root, "config", "diff.renames", "true");
        var file = Git(root, "ls-files").Split('\n')[0];
        Git(root, "mv", file, file + ".moved");
        Assert.True(await new GitClient(root, inProcessReads: false).HasStagedChangesAsync());
        Assert.True(InProcessGit.HasStagedChanges(root));
        Git(root, "mv", file + ".moved", file);
        Assert.False(await new GitClient(root, inProcessReads: false).HasStagedChangesAsync());
        Assert.False(InProcessGit.HasStagedChanges(root));
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

    [Fact]
    public async Task A_path_whose_parent_folder_is_a_symlink_is_left_to_the_cli()
    {
        var root = Ordinary();
        var linkedParent = Path.Combine(temp.Path, "link-to-parent");
        Directory.CreateSymbolicLink(linkedParent, Path.GetDirectoryName(root)!);
        var inside = Path.Combine(linkedParent, Path.GetFileName(root), "src");
        Directory.CreateDirectory(Path.Combine(root, "src"));

        Assert.Null(InProcessGit.TryGetWorkingTreeFacts(inside));
        Assert.Null(InProcessGit.IsRegisteredWorktree(root, Path.Combine(linkedParent, Path.GetFileName(root))));
        var facts = await new GitClient(inside, inProcessReads: true).TryGetWorkingTreeFactsAsync();
        Assert.Equal(root, facts!.TopLevel);
        // The same folder reached without the link is read in process.
        Assert.Equal(root, InProcessGit.TryGetWorkingTreeFacts(Path.Combine(root, "src"))!.TopLevel);
    }
}
