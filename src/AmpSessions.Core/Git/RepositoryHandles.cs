using LibGit2Sharp;

namespace AmpSessions.Core.Git;

/// <summary>
/// Open LibGit2Sharp repositories kept for a while (a PowerShell pipeline, a batch) instead of one
/// opened and closed for every in-process read. <see cref="InProcessGit"/> rents a handle from the
/// ambient <see cref="RepositoryHandleScope"/> when there is one, and opens one for the read alone
/// when there is none. Diagnostics count what was opened, so tests can prove the reuse.
/// </summary>
public static class RepositoryHandles
{
    private static readonly AsyncLocal<RepositoryHandleScope?> ambient = new();
    private static readonly AsyncLocal<RepositoryHandleScope?> mainRepositoryKeeper = new();
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, RepositoryCounter> counters = new(StringComparer.Ordinal);
    private static long opened;
    private static int live;

    /// <summary>A new, empty cache of handles, not yet ambient: <see cref="RepositoryHandleScope.Enter"/> it around the work that should use it.</summary>
    public static RepositoryHandleScope Open() => new(mainRepositoryKeeper.Value);

    /// <summary>
    /// A new cache, ambient at once for the calling flow and what it starts (for an async method that
    /// owns it: <c>using var handles = RepositoryHandles.Share();</c>); disposing it makes the previous one ambient again.
    /// </summary>
    public static RepositoryHandleScope Share()
    {
        var scope = new RepositoryHandleScope(mainRepositoryKeeper.Value);
        scope.EnterAsOwner();
        return scope;
    }

    /// <summary>
    /// Keeps the handles of main repositories (not linked worktrees) that scopes made from now on in the calling flow
    /// (<see cref="Share"/>, <see cref="Open"/>) give back, for the next such scope: a batch keeps each main checkout open for
    /// its whole run while every item's scope still opens and closes its own worktree. A kept handle is checked at every rent
    /// as any handle is (reopened when the index or a configuration file changed), so it sees the same as one kept for a
    /// single item across the agent's turns. Disposing closes the idle ones and stops keeping.
    /// </summary>
    public static IDisposable KeepMainRepositories()
    {
        var previous = mainRepositoryKeeper.Value;
        var keeper = new RepositoryHandleScope(null);
        mainRepositoryKeeper.Value = keeper;
        return new MainRepositoryKeeping(keeper, previous);
    }

    /// <summary>Repositories opened by in-process reads in this process so far (diagnostics).</summary>
    public static long Opened => Interlocked.Read(ref opened);

    /// <summary>Repositories open right now, cached or in use (diagnostics: zero once every scope has ended and no read runs).</summary>
    public static int Live => Volatile.Read(ref live);

    /// <summary>
    /// How often the repository containing <paramref name="directory"/> (a working tree or a git
    /// directory) was opened by in-process reads in this process, and how many of its handles are open now (diagnostics).
    /// </summary>
    public static RepositoryHandleCounts CountsFor(string directory)
    {
        // Discovered as InProcessGit.Read discovers (LibGit2Sharp's Discover answers null under Native AOT).
        var path = Libgit2Interop.Discover(directory);
        return path is not null && counters.TryGetValue(path, out var counter)
            ? new RepositoryHandleCounts(Interlocked.Read(ref counter.Opened), Volatile.Read(ref counter.Open))
            : new RepositoryHandleCounts(0, 0);
    }

    /// <summary>
    /// Every repository in-process reads opened in this process so far, by git directory, with how often and how many are
    /// open now (diagnostics: the CLI prints them under AMP_SESSIONS_DEBUG=1).
    /// </summary>
    public static IReadOnlyList<(string GitDir, RepositoryHandleCounts Counts)> CountsByRepository() =>
        [.. counters
            .Select(pair => (pair.Key, new RepositoryHandleCounts(Interlocked.Read(ref pair.Value.Opened), Volatile.Read(ref pair.Value.Open))))
            .OrderBy(entry => entry.Key, StringComparer.Ordinal)];

    internal static RepositoryHandleScope? Current
    {
        get => ambient.Value;
        set => ambient.Value = value;
    }

    /// <summary>A repository for one read: from the ambient scope when there is one, else opened for this read alone.</summary>
    internal static RepositoryLease Rent(string path) =>
        Current is { } scope && scope.TryRent(path) is { } lease ? lease : new RepositoryLease(null, RepositoryHandle.Open(path));

    internal static void CountOpened(string path)
    {
        var counter = counters.GetOrAdd(path, _ => new RepositoryCounter());
        Interlocked.Increment(ref counter.Opened);
        Interlocked.Increment(ref counter.Open);
        Interlocked.Increment(ref opened);
        Interlocked.Increment(ref live);
    }

    internal static void CountClosed(string path)
    {
        if (counters.TryGetValue(path, out var counter))
        {
            Interlocked.Decrement(ref counter.Open);
        }
        Interlocked.Decrement(ref live);
    }

    private sealed class MainRepositoryKeeping(RepositoryHandleScope keeper, RepositoryHandleScope? previous) : IDisposable
    {
        public void Dispose()
        {
            if (ReferenceEquals(mainRepositoryKeeper.Value, keeper))
            {
                mainRepositoryKeeper.Value = previous;
            }
            keeper.Dispose();
        }
    }

    private sealed class RepositoryCounter
    {
        public long Opened;
        public int Open;
    }
}

/// <summary>How often one repository was opened for in-process reads, and how many of its handles are open now.</summary>
public sealed record RepositoryHandleCounts(long Opened, int Open);

/// <summary>
/// A cache of open repositories keyed by git directory, owned by whoever opened it (a cmdlet from
/// BeginProcessing to EndProcessing or StopProcessing, a batch for its run). A handle serves one read
/// at a time; concurrent reads of one repository get one handle each. A handle whose index or
/// configuration file (the repository's, the worktree's, the user's or the system's) changed since it
/// was opened is closed and opened again, so a read after a change sees it (libgit2 re-reads refs,
/// HEAD and objects itself, but keeps the index it loaded, and the support check is judged once per
/// handle from the configuration; when only the index changed, the configuration part is kept, see
/// <see cref="RepositoryHandle.Refreshed"/>). It also remembers where reads found each folder's git directory
/// (<see cref="RememberDiscoveryFor"/>, <see cref="DotGit"/>). Disposing closes every idle handle at once and each
/// rented one when its read returns; reads after that open per read, as without a scope. Made under
/// <see cref="RepositoryHandles.KeepMainRepositories"/>, it gives main repositories' handles back to that keeper instead.
/// </summary>
public sealed class RepositoryHandleScope : IDisposable
{
    /// <summary>
    /// The most handles kept idle; past it the least recently used is closed. Each holds libgit2's caches (a loaded index is
    /// about 1 MB at 5,000 files): a batch of 1,000 items, each with its own worktree, must not keep 1,000 of them.
    /// </summary>
    internal const int MaxIdleHandles = 16;

    private readonly object gate = new();
    // Where handles of main repositories go back to, when a batch keeps them beyond this scope (RepositoryHandles.KeepMainRepositories).
    private readonly RepositoryHandleScope? mainRepositories;
    // Least recently returned first.
    private readonly LinkedList<RepositoryHandle> idle = new();
    private bool disposed;
    private long opened;
    private RepositoryHandleScope? previousAsOwner;
    private bool enteredAsOwner;
    // Per folder (a full path): its .git as it was, the git directory discovered from it, and when (Environment.TickCount64).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (DotGit DotGit, string GitDir, string Own, string Common, long At)> gitDirs = new(StringComparer.Ordinal);
    private long discoveries;

    /// <summary>The most folders whose discovery is remembered: a pipeline over many sessions starts again past it.</summary>
    internal const int MaxRememberedFolders = 64;

    internal RepositoryHandleScope(RepositoryHandleScope? mainRepositories) => this.mainRepositories = mainRepositories;

    /// <summary>Repositories this scope opened (diagnostics).</summary>
    public long Opened => Interlocked.Read(ref opened);

    /// <summary>
    /// How long a folder's discovery (with its links check) is used again while its <c>.git</c> is unchanged. The folder's
    /// ancestors are not looked at again within this time: a component replaced by a symlink meanwhile (which the CLI would
    /// resolve into a physical path) is noticed by the first read after it, as a read without a scope could also miss a
    /// replacement made just after its own check. A batch item's reads all fall within it; a long pipeline checks again.
    /// </summary>
    internal TimeSpan RememberDiscoveryFor { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Discoveries made by reads in this scope, that is, not answered from memory (diagnostics).</summary>
    internal long Discoveries => Interlocked.Read(ref discoveries);

    internal void CountDiscovery() => Interlocked.Increment(ref discoveries);

    /// <summary>
    /// The git directory discovered from <paramref name="folder"/> earlier, when its <c>.git</c> is still <paramref name="now"/>
    /// and what it led to is still a repository to libgit2 (<see cref="DotGit.IsRepository"/>).
    /// </summary>
    internal string? RememberedGitDir(string folder, DotGit now) =>
        !Volatile.Read(ref disposed) && gitDirs.TryGetValue(folder, out var known) && known.DotGit.Same(now)
            && Environment.TickCount64 - known.At < (long)RememberDiscoveryFor.TotalMilliseconds
            && DotGit.IsRepository(known.Own, known.Common)
            ? known.GitDir
            : null;

    internal void RememberGitDir(string folder, DotGit dotGit, string gitDir)
    {
        if (gitDirs.Count >= MaxRememberedFolders)
        {
            gitDirs.Clear();
        }
        var own = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(gitDir));
        string common;
        try
        {
            common = InProcessGit.CommonDir(own);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return;
        }
        gitDirs[folder] = (dotGit, gitDir, own, common, Environment.TickCount64);
    }

    /// <summary>Makes this scope the ambient one for the calling flow and what it starts; disposing the result restores the previous one.</summary>
    public IDisposable Enter()
    {
        var previous = RepositoryHandles.Current;
        RepositoryHandles.Current = this;
        return new Entered(previous);
    }

    internal void EnterAsOwner()
    {
        previousAsOwner = RepositoryHandles.Current;
        enteredAsOwner = true;
        RepositoryHandles.Current = this;
    }

    internal RepositoryLease? TryRent(string path)
    {
        RepositoryHandle? handle;
        lock (gate)
        {
            if (disposed)
            {
                return null;
            }
            handle = TakeIdle(path);
        }
        if (handle is null && mainRepositories is not null)
        {
            lock (mainRepositories.gate)
            {
                handle = mainRepositories.disposed ? null : mainRepositories.TakeIdle(path);
            }
        }
        if (handle is not null)
        {
            // The same handle, one opened again for a new index (keeping its configuration), or none when the configuration changed.
            var kept = handle;
            handle = kept.Refreshed();
            if (handle is not null && !ReferenceEquals(handle, kept))
            {
                Interlocked.Increment(ref opened);
            }
        }
        if (handle is null)
        {
            handle = RepositoryHandle.Open(path);
            Interlocked.Increment(ref opened);
        }
        return new RepositoryLease(this, handle);
    }

    // Under gate.
    private RepositoryHandle? TakeIdle(string path)
    {
        for (var node = idle.Last; node is not null; node = node.Previous)
        {
            if (node.Value.Path == path)
            {
                idle.Remove(node);
                return node.Value;
            }
        }
        return null;
    }

    internal void Return(RepositoryHandle handle)
    {
        if (mainRepositories is not null && handle.IsMainRepository)
        {
            mainRepositories.Return(handle);
            return;
        }
        RepositoryHandle? closing = handle;
        lock (gate)
        {
            if (!disposed)
            {
                idle.AddLast(handle);
                closing = null;
                if (idle.Count > MaxIdleHandles)
                {
                    closing = idle.First!.Value;
                    idle.RemoveFirst();
                }
            }
        }
        closing?.Dispose();
    }

    public void Dispose()
    {
        List<RepositoryHandle> closing;
        lock (gate)
        {
            if (disposed)
            {
                return;
            }
            disposed = true;
            closing = idle.ToList();
            idle.Clear();
        }
        foreach (var handle in closing)
        {
            handle.Dispose();
        }
        if (enteredAsOwner && ReferenceEquals(RepositoryHandles.Current, this))
        {
            RepositoryHandles.Current = previousAsOwner;
        }
    }

    private sealed class Entered(RepositoryHandleScope? previous) : IDisposable
    {
        public void Dispose() => RepositoryHandles.Current = previous;
    }
}

/// <summary>One open repository and the stamps of the files whose contents libgit2 keeps once loaded.</summary>
internal sealed class RepositoryHandle : IDisposable
{
    /// <summary>
    /// The user's and the system's configuration files where libgit2 looks for them (its global, XDG, system and ProgramData
    /// levels), there yet or not: a file created during a scope counts as a change too. Asked of libgit2 through
    /// <see cref="Libgit2Interop"/> (LibGit2Sharp's GlobalSettings answers nothing under Native AOT) on every open, a few
    /// microseconds, so a host that moves them (GlobalSettings.SetConfigSearchPaths) is followed too.
    /// </summary>
    private static IEnumerable<string> SharedConfigurationFiles() =>
        from level in SharedConfigurationLevels
        from folder in Libgit2Interop.ConfigSearchPath(level.Level)
        select System.IO.Path.Combine(folder, level.FileName);

    // The file name libgit2 reads at each level (GIT_CONFIG_FILENAME_GLOBAL, _XDG, _SYSTEM, _PROGRAMDATA).
    private static readonly (ConfigurationLevel Level, string FileName)[] SharedConfigurationLevels =
    [
        (ConfigurationLevel.Global, ".gitconfig"),
        (ConfigurationLevel.Xdg, "config"),
        (ConfigurationLevel.System, "gitconfig"),
        (ConfigurationLevel.ProgramData, "config"),
    ];

    private readonly (string File, long Ticks, long Length)[] stamps;
    private int disposed;
    private bool? unsupported;
    private Libgit2Interop.NativeRepository? native;

    private RepositoryHandle(string path, Repository repository, (string, long, long)[] stamps, bool isMainRepository)
    {
        Path = path;
        Repository = repository;
        this.stamps = stamps;
        IsMainRepository = isMainRepository;
    }

    public string Path { get; }

    /// <summary>A repository's own git directory rather than a linked worktree's (no commondir file).</summary>
    public bool IsMainRepository { get; }

    public Repository Repository { get; }

    /// <summary>
    /// The same repository opened through <see cref="Libgit2Interop"/> for its configuration reads, on first use, and kept
    /// as long as this handle: its configuration snapshot stays right for as long as the stamps say the files are unchanged.
    /// </summary>
    public Libgit2Interop.NativeRepository Native => native ??= Libgit2Interop.NativeRepository.Open(Repository.Info.Path);

    public static RepositoryHandle Open(string path)
    {
        // Stamped before opening: a change after this, even one made before libgit2 loads the file, reopens next time.
        var gitDir = System.IO.Path.GetFullPath(path);
        var ownDir = System.IO.Path.TrimEndingDirectorySeparator(gitDir);
        var commonDir = InProcessGit.CommonDir(ownDir);
        string[] files =
        [
            System.IO.Path.Combine(gitDir, "index"),
            System.IO.Path.Combine(gitDir, "config.worktree"),
            System.IO.Path.Combine(commonDir, "config"),
            .. SharedConfigurationFiles(),
        ];
        var stamps = files.Select(Stamp).ToArray();
        var repository = new Repository(path);
        RepositoryHandles.CountOpened(path);
        return new RepositoryHandle(path, repository, stamps, isMainRepository: commonDir == ownDir);
    }

    /// <summary>Whether libgit2 should leave this repository to git (judged once: it depends only on the configuration this handle was opened with).</summary>
    public bool IsUnsupported(Func<Repository, bool> judge) => unsupported ??= judge(Repository);

    /// <summary>
    /// This handle while its index and configuration files are unchanged. When only the index changed (git add, git commit),
    /// the LibGit2Sharp repository is opened again (it keeps the index it loaded, and LibGit2Sharp has no call to re-read it)
    /// but the native one is kept, with its configuration snapshot and the support verdict, which depend on the unchanged
    /// configuration files alone; the index it holds (libgit2 reads .gitattributes from it for patches) is dropped, to be loaded again.
    /// Null, this handle closed, when a configuration file changed.
    /// </summary>
    public RepositoryHandle? Refreshed()
    {
        for (var i = 1; i < stamps.Length; i++)
        {
            if (Stamp(stamps[i].File) != stamps[i])
            {
                Dispose();
                return null;
            }
        }
        // Stamped before opening, as in Open: a change after this reopens next time.
        var index = Stamp(stamps[0].File);
        if (index == stamps[0])
        {
            return this;
        }
        var kept = native;
        try
        {
            kept?.ForgetIndex();
            var repository = new Repository(Path);
            RepositoryHandles.CountOpened(Path);
            native = null;
            var next = new RepositoryHandle(Path, repository, [index, .. stamps[1..]], IsMainRepository) { native = kept, unsupported = unsupported };
            Dispose();
            return next;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private static (string File, long Ticks, long Length) Stamp(string file)
    {
        var info = new FileInfo(file);
        return info.Exists ? (file, info.LastWriteTimeUtc.Ticks, info.Length) : (file, 0, -1);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0)
        {
            native?.Dispose();
            Repository.Dispose();
            RepositoryHandles.CountClosed(Path);
        }
    }
}

/// <summary>A handle lent to one read: returned to its scope when the read succeeded, closed otherwise (or when there is no scope).</summary>
internal sealed class RepositoryLease(RepositoryHandleScope? scope, RepositoryHandle handle) : IDisposable
{
    private bool succeeded;

    public Repository Repository => handle.Repository;

    public Libgit2Interop.NativeRepository Native => handle.Native;

    /// <summary>Whether libgit2 should leave this repository to git, judged once per open handle.</summary>
    public bool IsUnsupported(Func<Repository, bool> judge) => handle.IsUnsupported(judge);

    /// <summary>The read finished without an error: the handle may serve the next one.</summary>
    public void Succeeded() => succeeded = true;

    public void Dispose()
    {
        if (scope is not null && succeeded)
        {
            scope.Return(handle);
        }
        else
        {
            handle.Dispose();
        }
    }
}
