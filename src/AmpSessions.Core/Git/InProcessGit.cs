using LibGit2Sharp;

namespace AmpSessions.Core.Git;

/// <summary>
/// Repository reads in process through LibGit2Sharp (libgit2), each proven identical to its git
/// CLI equivalent by the parity tests (tests/.../Git/InProcessGitParityTests.cs) on ordinary and
/// tricky repositories. Every method returns null when libgit2 cannot answer with certainty (a
/// sha256 or sparse-index repository, an extension libgit2 does not know, a path through a
/// symlink, a revision more complex than a ref or an object id, the native library missing);
/// <see cref="GitClient"/> then asks the git CLI. Status and log stay with the CLI: git's own
/// caches (untracked cache, fsmonitor) and filters decide them. Set
/// <c>AMP_SESSIONS_GIT_IN_PROCESS=0</c> to send every read to the CLI.
/// </summary>
internal static class InProcessGit
{
    private static volatile bool nativeLibraryMissing;

    /// <summary>
    /// Whether in-process reads may be tried at all in this process. The same reads run in the native AOT
    /// CLI: discovery, configuration and patches go through <see cref="Libgit2Interop"/> (LibGit2Sharp's own
    /// bindings of those do not survive Native AOT), and LibGit2Sharp's <c>Repository.Config</c> is never
    /// touched, so libgit2 keeps the repository's complete configuration for status and diffs.
    /// </summary>
    public static bool Enabled =>
        !nativeLibraryMissing && Environment.GetEnvironmentVariable("AMP_SESSIONS_GIT_IN_PROCESS") is not ("0" or "false");

    public static WorkingTreeFacts? TryGetWorkingTreeFacts(string directory) => Read(directory, discover: true, repo =>
    {
        if (repo.Info.IsBare || repo.Info.WorkingDirectory is null || repo.Head.Tip is not { } tip)
        {
            return null;
        }
        var gitDir = Trim(repo.Info.Path);
        var full = Trim(Path.GetFullPath(directory));
        // git rev-parse refuses to name a top level from inside the git directory; so does this.
        if (IsInside(full, gitDir))
        {
            return null;
        }
        return new WorkingTreeFacts(CommonDir(gitDir), gitDir, Trim(repo.Info.WorkingDirectory), tip.Sha);
    });

    /// <summary>The working tree's own git directory (rev-parse --git-dir).</summary>
    public static string? GetGitDir(string directory) => Read(directory, discover: true, repo => Trim(repo.Info.Path));

    /// <summary>The git directory shared by all worktrees (rev-parse --git-common-dir).</summary>
    public static string? GetCommonDir(string directory) => Read(directory, discover: true, repo => CommonDir(Trim(repo.Info.Path)));

    /// <summary>
    /// The commit a revision names (rev-parse --verify REV^{commit}), for the forms whose meaning is
    /// the same everywhere: HEAD, a full ref name, a full object id. Anything else goes to the CLI.
    /// The outer null means "cannot answer"; an inner null means "names no commit".
    /// </summary>
    public static Answer<string>? ResolveCommit(string directory, string revision)
    {
        if (!(revision == "HEAD" || revision.StartsWith("refs/", StringComparison.Ordinal) || IsFullObjectId(revision)))
        {
            return null;
        }
        return Read(directory, discover: true, repo =>
        {
            var found = revision.StartsWith("refs/", StringComparison.Ordinal) && repo.Refs[revision] is null
                ? null
                : SafeLookup(repo, revision);
            return new Answer<string>(PeelToCommit(found)?.Sha);
        });
    }

    public static bool? BranchExists(string directory, string branch) =>
        Read(directory, discover: true, repo => (bool?)(repo.Refs["refs/heads/" + branch] is not null));

    /// <summary>symbolic-ref --short HEAD: the branch checked out, an inner null when HEAD is detached.</summary>
    public static Answer<string>? CurrentBranch(string directory) => Read(directory, discover: true, repo =>
    {
        if (repo.Refs.Head is not SymbolicReference head)
        {
            return new Answer<string>(null);
        }
        const string prefix = "refs/heads/";
        return head.TargetIdentifier.StartsWith(prefix, StringComparison.Ordinal)
            ? new Answer<string>(head.TargetIdentifier[prefix.Length..])
            // Another namespace: git shortens it its own way.
            : null;
    });

    /// <summary>
    /// config --get KEY: the value git reads from the repository's, the worktree's, the user's (global,
    /// XDG) and the system's files with their includes; an inner null when it is not set. Left to the
    /// CLI when a GIT_CONFIG* variable changes which files git reads or adds values (libgit2 does not
    /// read them) and when a conditional include needs a condition libgit2 does not know (hasconfig:).
    /// </summary>
    public static Answer<string>? ConfigValue(string directory, string key)
    {
        foreach (var name in Environment.GetEnvironmentVariables().Keys)
        {
            if (name is string text && text.StartsWith("GIT_CONFIG", StringComparison.Ordinal))
            {
                return null;
            }
        }
        return Read(directory, discover: true, (repo, native) =>
        {
            if (native.Names().Any(name => name.StartsWith("includeif.", StringComparison.OrdinalIgnoreCase) && name.Contains("hasconfig:", StringComparison.OrdinalIgnoreCase)))
            {
                return null;
            }
            return new Answer<string>(native.GetString(key));
        });
    }

    /// <summary>rev-list --left-right --count upstream...head, as (ahead, behind).</summary>
    public static (int Ahead, int Behind)? CountAheadBehind(string directory, string upstream, string head) => Read(directory, discover: true, repo =>
    {
        if (CommitOf(repo, upstream) is not { } a || CommitOf(repo, head) is not { } b)
        {
            return null;
        }
        var divergence = repo.ObjectDatabase.CalculateHistoryDivergence(b, a);
        return divergence.AheadBy is { } ahead && divergence.BehindBy is { } behind ? (ahead, behind) : ((int, int)?)null;
    });

    public static Answer<string>? MergeBase(string directory, string a, string b) => Read(directory, discover: true, repo =>
        CommitOf(repo, a) is { } left && CommitOf(repo, b) is { } right
            ? new Answer<string>(repo.ObjectDatabase.FindMergeBase(left, right)?.Sha)
            : null);

    public static bool? IsAncestor(string directory, string ancestor, string descendant) => Read(directory, discover: true, repo =>
    {
        if (CommitOf(repo, ancestor) is not { } a || CommitOf(repo, descendant) is not { } d)
        {
            return null;
        }
        return (bool?)(a.Sha == d.Sha || repo.ObjectDatabase.FindMergeBase(a, d)?.Sha == a.Sha);
    });

    /// <summary>diff --name-status -M between two commits (names of files that changed, renames detected as git does by default).</summary>
    public static IReadOnlyList<NameStatusEntry>? DiffCommits(string directory, string from, string to) => Read(directory, discover: true, repo =>
    {
        if (CommitOf(repo, from) is not { } a || CommitOf(repo, to) is not { } b)
        {
            return null;
        }
        var changes = repo.Diff.Compare<TreeChanges>(a.Tree, b.Tree, new CompareOptions { Similarity = SimilarityOptions.Renames });
        var entries = new List<NameStatusEntry>();
        foreach (var change in changes)
        {
            // A rename or copy carries git's similarity score, which libgit2 does not report: the CLI answers those.
            if (ToKind(change.Status) is not { } kind || kind is FileChangeKind.Renamed or FileChangeKind.Copied)
            {
                return null;
            }
            entries.Add(new NameStatusEntry(kind, change.Path));
        }
        // git lists by path, in byte order.
        return (IReadOnlyList<NameStatusEntry>)entries.OrderBy(e => e.Path, StringComparer.Ordinal).ToArray();
    });

    /// <summary>
    /// for-each-ref --format='%(refname) %(objectname)' with literal patterns: the refs each pattern
    /// names whole or as a prefix up to a slash, with the commit (or object) they point to, symbolic
    /// refs resolved and dangling ones left out, as git does. Patterns with wildcards go to the CLI.
    /// </summary>
    public static IReadOnlyList<(string Ref, string Target)>? RefTips(string directory, IReadOnlyList<string> patterns)
    {
        if (patterns.Count == 0 || patterns.Any(p => p.Length == 0 || p.IndexOfAny(['*', '?', '[', '\\']) >= 0))
        {
            return null;
        }
        return Read(directory, discover: true, repo =>
        {
            var tips = new List<(string Ref, string Target)>();
            foreach (var reference in repo.Refs)
            {
                var name = reference.CanonicalName;
                if (!patterns.Any(p => Matches(name, p)))
                {
                    continue;
                }
                if (reference.ResolveToDirectReference() is { } direct && direct.TargetIdentifier is { Length: > 0 } target)
                {
                    tips.Add((name, target));
                }
            }
            // git lists refs sorted by name, in byte order.
            return (IReadOnlyList<(string, string)>)tips.OrderBy(t => t.Ref, StringComparer.Ordinal).ToArray();
        });

        // for-each-ref: "matching completely or from the beginning up to a slash".
        static bool Matches(string name, string pattern) =>
            name == pattern || name.StartsWith(pattern.EndsWith('/') ? pattern : pattern + "/", StringComparison.Ordinal);
    }

    /// <summary>diff --cached --quiet: whether the index differs from HEAD's tree.</summary>
    public static bool? HasStagedChanges(string directory) => Read(directory, discover: true, repo =>
    {
        if (repo.Head.Tip is not { } tip)
        {
            return null;
        }
        var changes = repo.Diff.Compare<TreeChanges>(tip.Tree, DiffTargets.Index);
        return (bool?)(changes.Count > 0);
    });

    /// <summary>
    /// <c>git status --porcelain=v2 --branch -z --untracked-files=all|no</c> in process: the records
    /// git prints (the <c># branch.oid</c> and <c># branch.head</c> headers, then one record per
    /// changed path in git's order, then untracked paths), byte for byte as the parity tests check.
    /// Reading changes nothing (the index is not refreshed on disk, as with --no-optional-locks).
    /// Null, so the CLI answers, wherever git's answer could differ from libgit2's: submodules,
    /// conflicts, possible renames (git pairs them; libgit2 is asked not to), index extensions
    /// (skip-worktree, intent-to-add: an index that is not version 2), sparse checkout, attributes that
    /// name a filter or a working-tree encoding (git runs those programs; libgit2 does not), symlinks
    /// without core.symlinks, an unborn branch, an unreadable file.
    /// </summary>
    public static IReadOnlyList<string>? StatusRecords(string directory, bool includeUntracked) =>
        StatusRecords(directory, includeUntracked, ParallelStatusFrom);

    /// <summary>
    /// The fewest index entries for which the working tree is compared in two parts at once (<see cref="WorkingTreeParts"/>):
    /// below it a status takes a few milliseconds and a second open repository (its own index load) would cost more than it saves.
    /// </summary>
    internal const int ParallelStatusFrom = 2000;

    // One status in parts at a time in this process: where many run at once (a batch) every core is busy already.
    private static int statusInParts;
    private static long statusesReadInParts;

    /// <summary>Statuses answered in parts in this process so far (diagnostics: tests prove the parts were used).</summary>
    internal static long StatusesReadInParts => Interlocked.Read(ref statusesReadInParts);

    /// <summary><see cref="StatusRecords(string, bool)"/> with the working tree compared in parts from <paramref name="parallelFrom"/> index entries (tests lower it).</summary>
    internal static IReadOnlyList<string>? StatusRecords(string directory, bool includeUntracked, int parallelFrom) => Read(directory, discover: true, (repo, native, handlePath) =>
    {
        if (repo.Info.IsBare || repo.Info.WorkingDirectory is not { } top || repo.Head.Tip is not { } tip
            || GitIndexFile.Read(Path.Combine(repo.Info.Path, "index")) is not { } index || !StatusIsLibgit2s(repo, native, top, index))
        {
            return null;
        }
        // An index whose cache-tree is HEAD's tree holds exactly HEAD (git's own status trusts the cache-tree
        // the same way): nothing is staged, so only the working tree is compared, without reading HEAD's trees.
        var indexIsHead = index.Tree == tip.Tree.Sha;
        StatusOptions Options(IReadOnlyList<string>? paths) => new()
        {
            Show = indexIsHead ? StatusShowOption.WorkDirOnly : StatusShowOption.IndexAndWorkDir,
            IncludeUntracked = includeUntracked,
            RecurseUntrackedDirs = includeUntracked,
            IncludeIgnored = false,
            ExcludeSubmodules = false,
            DetectRenamesInIndex = false,
            DetectRenamesInWorkDir = false,
            PathSpec = paths?.ToArray(),
            DisablePathSpecMatch = paths is not null,
        };
        // Only the working tree against the index is split: a file staged for deletion is in neither the working tree nor the index.
        var statuses = (indexIsHead ? StatusInParts(repo, handlePath, top, index, native, parallelFrom, Options) : null) ?? [repo.RetrieveStatus(Options(null))];
        var fileMode = native.GetBool("core.filemode") ?? true;
        var changed = new List<(string Path, string Record)>();
        var untracked = new List<string>();
        bool addedInIndex = false, deletedFromIndex = false;
        foreach (var entry in statuses.SelectMany(status => status))
        {
            var state = entry.State;
            var path = entry.FilePath;
            if ((state & (FileStatus.Conflicted | FileStatus.Unreadable | FileStatus.RenamedInIndex | FileStatus.RenamedInWorkdir)) != 0)
            {
                return null;
            }
            if (state == FileStatus.NewInWorkdir)
            {
                untracked.Add(path);
                continue;
            }
            if ((state & FileStatus.Ignored) != 0 || state == FileStatus.Unaltered)
            {
                continue;
            }
            var x = (state & FileStatus.NewInIndex) != 0 ? 'A' : (state & FileStatus.DeletedFromIndex) != 0 ? 'D'
                : (state & FileStatus.TypeChangeInIndex) != 0 ? 'T' : (state & FileStatus.ModifiedInIndex) != 0 ? 'M' : '.';
            var y = (state & FileStatus.DeletedFromWorkdir) != 0 ? 'D' : (state & FileStatus.TypeChangeInWorkdir) != 0 ? 'T'
                : (state & FileStatus.ModifiedInWorkdir) != 0 ? 'M' : '.';
            addedInIndex |= x == 'A';
            deletedFromIndex |= x == 'D';
            var inHead = tip.Tree[path];
            var inIndex = repo.Index[path];
            if (inHead?.Mode == Mode.GitLink || inIndex?.Mode == Mode.GitLink)
            {
                return null;
            }
            var headMode = inHead is null ? 0 : (int)inHead.Mode;
            var indexMode = inIndex is null ? 0 : (int)inIndex.Mode;
            int worktreeMode;
            if (y == 'D' || inIndex is null)
            {
                worktreeMode = 0;
            }
            else if (y == '.')
            {
                worktreeMode = indexMode;
            }
            else if (WorktreeMode(Path.Combine(top, path), indexMode, fileMode) is { } mode)
            {
                worktreeMode = mode;
            }
            else
            {
                return null;
            }
            var zero = new string('0', 40);
            changed.Add((path, string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"1 {x}{y} N... {Octal(headMode)} {Octal(indexMode)} {Octal(worktreeMode)} {inHead?.Target.Sha ?? zero} {inIndex?.Id.Sha ?? zero} {path}")));
        }
        if (addedInIndex && deletedFromIndex)
        {
            // git status would pair an added and a deleted path into a rename when their contents are alike.
            return null;
        }
        var records = new List<string>(changed.Count + untracked.Count + 2)
        {
            "# branch.oid " + tip.Sha,
            "# branch.head " + (repo.Info.IsHeadDetached ? "(detached)" : repo.Head.FriendlyName),
        };
        records.AddRange(changed.OrderBy(c => c.Path, Utf8Order.Instance).Select(c => c.Record));
        records.AddRange(untracked.OrderBy(p => p, Utf8Order.Instance).Select(p => "? " + p));
        return (IReadOnlyList<string>)records;
    });

    /// <summary>
    /// libgit2's status of the working tree in two parts at once, each on its own open repository (one is not to be
    /// used by two threads), as git's own status stats a large index on several threads; null where it is not worth it
    /// or not safe (a small index, one core, another status in parts running, paths compared without case or Unicode
    /// normalization, a working tree that cannot be split evenly or changed its folders meanwhile): one status answers.
    /// </summary>
    private static RepositoryStatus[]? StatusInParts(Repository repo, string path, string top, GitIndexFile index,
        Libgit2Interop.NativeRepository config, int parallelFrom, Func<IReadOnlyList<string>?, StatusOptions> options)
    {
        if (index.Paths is not { } paths || paths.Count < parallelFrom || Environment.ProcessorCount < 2
            || config.GetBool("core.ignorecase") is true || config.GetBool("core.precomposeunicode") is true)
        {
            return null;
        }
        if (Interlocked.Exchange(ref statusInParts, 1) == 1)
        {
            return null;
        }
        try
        {
            if (WorkingTreeParts.Split(top, paths) is not { } parts)
            {
                return null;
            }
            using var second = RepositoryHandles.Rent(path);
            var statuses = new RepositoryStatus[2];
            try
            {
                Parallel.Invoke(
                    () => statuses[0] = repo.RetrieveStatus(options(parts.Paths[0])),
                    () => statuses[1] = second.Repository.RetrieveStatus(options(parts.Paths[1])));
            }
            catch (AggregateException ex)
            {
                // A part libgit2 could not read fails the whole read as one status would.
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex.InnerExceptions[0]).Throw();
            }
            second.Succeeded();
            if (!parts.StillCurrent())
            {
                return null;
            }
            Interlocked.Increment(ref statusesReadInParts);
            return statuses;
        }
        finally
        {
            Volatile.Write(ref statusInParts, 0);
        }
    }

    private static string Octal(int mode) => Convert.ToString(mode, 8).PadLeft(6, '0');

    /// <summary>The mode git records for a working-tree file (ce_mode_from_stat): the executable bit only where core.filemode trusts it.</summary>
    private static int? WorktreeMode(string path, int indexMode, bool fileMode)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null)
        {
            return (int)Mode.SymbolicLink;
        }
        if (!info.Exists)
        {
            return null;
        }
        if (!fileMode)
        {
            return indexMode is (int)Mode.NonExecutableFile or (int)Mode.ExecutableFile ? indexMode : (int)Mode.NonExecutableFile;
        }
        return OperatingSystem.IsWindows() || (info.UnixFileMode & UnixFileMode.UserExecute) == 0 ? (int)Mode.NonExecutableFile : (int)Mode.ExecutableFile;
    }

    /// <summary>Whether libgit2's status of this repository means what git's does (see <see cref="StatusRecords(string, bool)"/>).</summary>
    private static bool StatusIsLibgit2s(Repository repo, Libgit2Interop.NativeRepository config, string top, GitIndexFile index)
    {
        if (config.GetBool("core.sparsecheckout") is true || config.GetBool("core.symlinks") is false)
        {
            return false;
        }
        if (index.HasGitLink || File.Exists(Path.Combine(top, ".gitmodules")))
        {
            return false;
        }
        // Attributes that make git run a program (filter) or re-encode (working-tree-encoding) when it compares content.
        var attributeFiles = index.AttributeFiles
            .Select(path => Path.Combine(top, path))
            .Append(Path.Combine(CommonDir(Trim(repo.Info.Path)), "info", "attributes"))
            .Append(config.GetString("core.attributesfile") is { } own ? ExpandHome(own) : DefaultUserAttributes());
        foreach (var file in attributeFiles)
        {
            if (file is not null && File.Exists(file))
            {
                var text = File.ReadAllText(file);
                if (text.Contains("filter", StringComparison.Ordinal) || text.Contains("working-tree-encoding", StringComparison.Ordinal))
                {
                    return false;
                }
            }
        }
        return true;
    }

    private static string? DefaultUserAttributes()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
        var home = Environment.GetEnvironmentVariable("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return !string.IsNullOrEmpty(xdg) ? Path.Combine(xdg, "git", "attributes") : string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".config", "git", "attributes");
    }

    private static string ExpandHome(string path) =>
        path.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path[2..]) : path;

    /// <summary>
    /// The lines <c>git diff --cached --no-renames -U0 --ignore-submodules=all</c> shows as added (path,
    /// line number in the staged file, text without its newline), read from the staged blobs in process.
    /// Null, so the CLI answers, where git's patch could differ: a file libgit2 takes for binary that git
    /// would show as text (git looks for a NUL in the first 8,000 bytes), a configured textconv (git shows
    /// the converted text), no HEAD yet.
    /// </summary>
    public static IReadOnlyList<(string Path, int Line, string Text)>? StagedAddedLines(string directory) => Read(directory, discover: true, (repo, native) =>
    {
        if (repo.Head.Tip is not { } tip || native.Names().Any(name => name.StartsWith("diff.", StringComparison.OrdinalIgnoreCase) && name.EndsWith(".textconv", StringComparison.OrdinalIgnoreCase)))
        {
            return null;
        }
        var changes = repo.Diff.Compare<TreeChanges>(tip.Tree, DiffTargets.Index, null, null, new CompareOptions { Similarity = SimilarityOptions.None });
        var added = new List<(string, int, string)>();
        // Each staged file's patch from its blob in HEAD (none when it is new) to its staged blob, in the diff's (path) order.
        foreach (var change in changes)
        {
            if (change.Mode == Mode.GitLink || change.OldMode == Mode.GitLink || change.Status == ChangeKind.Deleted)
            {
                continue;
            }
            var lines = native.AddedLines(change.Status == ChangeKind.Added ? null : change.OldOid, change.Path, change.Oid, out var binary);
            if (binary)
            {
                if (repo.Lookup<Blob>(change.Oid) is { } blob && !LooksBinaryToGit(blob))
                {
                    return null;
                }
                continue;
            }
            foreach (var (line, text) in lines)
            {
                added.Add((change.Path, line, text));
            }
        }
        return (IReadOnlyList<(string, int, string)>)added;
    });

    /// <summary>git's own test (buffer_is_binary): a NUL byte in the first 8,000 bytes.</summary>
    private static bool LooksBinaryToGit(Blob blob)
    {
        using var stream = blob.GetContentStream();
        var buffer = new byte[8000];
        var read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        return Array.IndexOf(buffer, (byte)0, 0, read) >= 0;
    }

    /// <summary>ls-files -- folder: whether the index tracks anything under <paramref name="folder"/>.</summary>
    public static bool? TracksAnythingUnder(string directory, string folder) => Read(directory, discover: true, repo =>
    {
        // As `git ls-files -- <path>`: the path itself (a file) or anything under it (a folder).
        var path = folder.TrimEnd('/');
        var prefix = path + "/";
        return (bool?)repo.Index.Any(e => e.Path.Replace('\\', '/') is var entry && (entry == path || entry.StartsWith(prefix, StringComparison.Ordinal)));
    });

    /// <summary>
    /// Whether the working tree has untracked files that are not ignored (<c>git ls-files --others
    /// --exclude-standard</c> lists something). Ignored files are matched by name only, never opened.
    /// </summary>
    public static bool? HasUntrackedFiles(string directory) => Read(directory, discover: true, repo =>
    {
        var status = repo.RetrieveStatus(new StatusOptions
        {
            Show = StatusShowOption.WorkDirOnly,
            IncludeUntracked = true,
            RecurseUntrackedDirs = false,
            IncludeIgnored = false,
            ExcludeSubmodules = true,
            DetectRenamesInIndex = false,
            DetectRenamesInWorkDir = false,
        });
        return (bool?)status.Untracked.Any();
    });

    /// <summary>Whether the main checkout at <paramref name="repoRoot"/> lists <paramref name="worktreePath"/> as a worktree that is not prunable.</summary>
    public static bool? IsRegisteredWorktree(string repoRoot, string worktreePath)
    {
        // One read of the main checkout answers both its common directory and whether it is the main working tree; the
        // common directory alone only where those facts are not known (a bare repository, an unborn branch).
        var main = TryGetWorkingTreeFacts(repoRoot);
        var commonDir = main?.CommonDir ?? GetCommonDir(repoRoot);
        if (commonDir is null || HasSymlinkComponent(worktreePath))
        {
            return null;
        }
        if (main is { IsMainWorktree: true } && SamePath(main.TopLevel, worktreePath))
        {
            // The main working tree heads git's list.
            return true;
        }
        var dotGit = Path.Combine(worktreePath, ".git");
        if (!File.Exists(dotGit))
        {
            // A folder without its .git file is no worktree: git lists its entry as prunable, or not at all.
            return false;
        }
        var gitDir = GetGitDir(worktreePath);
        if (gitDir is null)
        {
            return null;
        }
        if (!string.Equals(Trim(Path.GetDirectoryName(gitDir)!), Trim(Path.Combine(commonDir, "worktrees")), PathComparison))
        {
            // Not a linked worktree of this repository: git would not list it.
            return false;
        }
        // gitrepository-layout: worktrees/<id>/gitdir names the worktree's .git file; git calls the entry prunable when it names a missing place.
        var recorded = ReadRecordedGitFile(gitDir);
        return recorded is not null && SamePath(recorded, dotGit) && File.Exists(recorded);
    }

    private static string? ReadRecordedGitFile(string adminDir)
    {
        var file = Path.Combine(adminDir, "gitdir");
        if (!File.Exists(file))
        {
            return null;
        }
        var text = File.ReadAllText(file).Trim();
        return text.Length == 0 ? null : Path.GetFullPath(text, adminDir);
    }

    private static FileChangeKind? ToKind(ChangeKind kind) => kind switch
    {
        ChangeKind.Added => FileChangeKind.Added,
        ChangeKind.Deleted => FileChangeKind.Deleted,
        ChangeKind.Modified => FileChangeKind.Modified,
        ChangeKind.Renamed => FileChangeKind.Renamed,
        ChangeKind.Copied => FileChangeKind.Copied,
        ChangeKind.TypeChanged => FileChangeKind.TypeChanged,
        ChangeKind.Conflicted => FileChangeKind.Unmerged,
        _ => null,
    };

    private static Commit? CommitOf(Repository repo, string revision)
    {
        // "<id>^": the first parent, as IterationRunner names a commit's own change.
        if (revision.EndsWith('^') && IsFullObjectId(revision[..^1]))
        {
            return PeelToCommit(SafeLookup(repo, revision[..^1]))?.Parents.FirstOrDefault();
        }
        return revision == "HEAD" || revision.StartsWith("refs/", StringComparison.Ordinal) || IsFullObjectId(revision)
            ? PeelToCommit(SafeLookup(repo, revision))
            : null;
    }

    /// <summary>The commit an object names (^{commit}): itself, or what its annotated tags point at; null for trees and blobs.</summary>
    private static Commit? PeelToCommit(GitObject? found)
    {
        while (found is TagAnnotation tag)
        {
            found = tag.Target;
        }
        return found as Commit;
    }

    private static GitObject? SafeLookup(Repository repo, string revision)
    {
        try
        {
            return repo.Lookup(revision);
        }
        catch (NotFoundException)
        {
            return null;
        }
    }

    private static bool IsFullObjectId(string text) =>
        text.Length == 40 && text.All(char.IsAsciiHexDigitLower);

    /// <summary>The common git directory: for a linked worktree, what its <c>commondir</c> file names (gitrepository-layout).</summary>
    internal static string CommonDir(string gitDir)
    {
        var file = Path.Combine(gitDir, "commondir");
        return File.Exists(file) ? Trim(Path.GetFullPath(File.ReadAllText(file).Trim(), gitDir)) : gitDir;
    }

    private static T? Read<T>(string directory, bool discover, Func<Repository, T?> read) =>
        Read(directory, discover, (repo, _) => read(repo));

    private static T? Read<T>(string directory, bool discover, Func<Repository, Libgit2Interop.NativeRepository, T?> read) =>
        Read(directory, discover, (repo, native, _) => read(repo, native));

    /// <summary>A read given the repository, its configuration and the path it was opened by (to rent a second handle of it).</summary>
    private static T? Read<T>(string directory, bool discover, Func<Repository, Libgit2Interop.NativeRepository, string, T?> read)
    {
        if (!Enabled)
        {
            return default;
        }
        try
        {
            var path = discover ? Discover(directory) : IsDirectoryWithoutLinks(directory) ? directory : null;
            if (path is null)
            {
                return default;
            }
            // From the ambient RepositoryHandleScope when there is one (a pipeline, a batch), else opened for this read.
            using var lease = RepositoryHandles.Rent(path);
            var repo = lease.Repository;
            var native = lease.Native;
            // Judged once per open repository: it depends on configuration files the handle is reopened for.
            if (lease.IsUnsupported(r => IsUnsupported(r, native)))
            {
                return default;
            }
            var answer = read(repo, native, path);
            lease.Succeeded();
            return answer;
        }
        catch (LibGit2SharpException)
        {
            // An extension, format or state libgit2 does not handle: the CLI answers.
            return default;
        }
        catch (Exception ex) when (ex is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException or BadImageFormatException)
        {
            // No native libgit2 for this platform: the CLI answers from now on.
            nativeLibraryMissing = true;
            return default;
        }
    }

    /// <summary>
    /// The git directory of the repository containing <paramref name="directory"/> (null: none, or a path through a symlink,
    /// which the CLI answers). Inside a <see cref="RepositoryHandleScope"/> the links check and libgit2's discovery (which
    /// resolves every path component) are remembered per directory whose own <c>.git</c> exists, and the remembered answer
    /// is used only while <c>.git</c> is what it was (see <see cref="DotGit"/>) and for at most
    /// <see cref="RepositoryHandleScope.RememberDiscoveryFor"/>: the ancestors are not looked at again within that time.
    /// </summary>
    private static string? Discover(string directory)
    {
        string full;
        try
        {
            full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        }
        catch (ArgumentException)
        {
            return null;
        }
        var scope = RepositoryHandles.Current;
        // Looked at before the links check and discovery: a change after this makes the next read discover again.
        var dotGit = scope is null ? null : DotGit.Look(full);
        if (dotGit is not null && scope!.RememberedGitDir(full, dotGit) is { } known)
        {
            return known;
        }
        if (!IsDirectoryWithoutLinks(full))
        {
            return null;
        }
        var path = Libgit2Interop.Discover(directory);
        if (scope is not null)
        {
            scope.CountDiscovery();
            if (path is not null && dotGit is not null)
            {
                scope.RememberGitDir(full, dotGit, path);
            }
        }
        return path;
    }

    // Repositories whose index or objects libgit2 may read differently from git: leave them to git.
    private static bool IsUnsupported(Repository repo, Libgit2Interop.NativeRepository config)
    {
        if (config.GetString("extensions.objectformat") is not (null or "sha1")
            || config.GetString("extensions.refstorage") is not (null or "files")
            || IndexNeedsGit(config.GetBool))
        {
            return true;
        }
        // sparse-checkout keeps index.sparse in the worktree's own config file (extensions.worktreeConfig).
        var worktreeConfig = Path.Combine(repo.Info.Path, "config.worktree");
        if (config.GetBool("extensions.worktreeConfig") is true && File.Exists(worktreeConfig))
        {
            return IndexNeedsGit(key => Libgit2Interop.NativeRepository.GetBoolFromFile(worktreeConfig, key));
        }
        return false;
    }

    // A sparse or split index is one libgit2 cannot read as git does.
    private static bool IndexNeedsGit(Func<string, bool?> setting) =>
        setting("index.sparse") is true || setting("core.splitindex") is true;

    /// <summary>
    /// git reports physical paths (symlinks resolved); libgit2 keeps the path it was given. Rather
    /// than resolve links by hand, a path through a symlink is left to the CLI.
    /// </summary>
    private static bool HasSymlinkComponent(string path)
    {
        try
        {
            return HasSymlinkComponent(new DirectoryInfo(Path.GetFullPath(path)));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return true;
        }
    }

    /// <summary>
    /// Whether <paramref name="path"/> is a directory that no symlink leads to (<see cref="HasSymlinkComponent(string)"/>), with the
    /// folder's existence taken from the same lstat/stat as its own link check rather than a stat of its own.
    /// </summary>
    private static bool IsDirectoryWithoutLinks(string path)
    {
        try
        {
            var folder = new DirectoryInfo(Path.GetFullPath(path));
            return folder.Exists && !HasSymlinkComponent(folder);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return false;
        }
    }

    private static bool HasSymlinkComponent(DirectoryInfo folder)
    {
        for (var current = folder; current is not null; current = current.Parent)
        {
            // The link bit comes from the lstat that Exists already made (ReparsePoint: a symlink on Unix, a symlink or junction
            // on Windows, where other reparse points also count and go to the CLI): no readlink per folder.
            if (current.Exists && (current.Attributes & FileAttributes.ReparsePoint) != 0)
            {
                return true;
            }
        }
        return false;
    }

    private static StringComparison PathComparison =>
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    private static bool SamePath(string a, string b) => string.Equals(Trim(Path.GetFullPath(a)), Trim(Path.GetFullPath(b)), PathComparison);

    private static bool IsInside(string path, string folder) =>
        string.Equals(path, folder, PathComparison) || path.StartsWith(folder + Path.DirectorySeparatorChar, PathComparison);

    private static string Trim(string path) => Path.TrimEndingDirectorySeparator(GitPorcelain.NormalizePath(path));
}

/// <summary>Byte order of the UTF-8 encoding (git sorts paths with strcmp).</summary>
internal sealed class Utf8Order : IComparer<string>
{
    public static readonly Utf8Order Instance = new();

    public int Compare(string? x, string? y) =>
        System.Text.Encoding.UTF8.GetBytes(x ?? "").AsSpan().SequenceCompareTo(System.Text.Encoding.UTF8.GetBytes(y ?? ""));
}

/// <summary>An answer that may itself be "none" (a revision that names no commit), distinct from "cannot answer".</summary>
internal sealed record Answer<T>(T? Value) where T : class;
