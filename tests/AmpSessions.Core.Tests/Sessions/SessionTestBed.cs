using AmpSessions.Core.Git;
using AmpSessions.Core.Sessions;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Sessions;

/// <summary>A real repository, a real data directory and a SessionManager over them, with the checks every session test repeats.</summary>
internal sealed class SessionTestBed : IDisposable
{
    public SessionTestBed(string folderName = "repo", Func<string>? idGenerator = null, TimeProvider? clock = null, TimeSpan? busyTimeout = null)
    {
        Repo = new TestRepository(folderName);
        DataDirectory = Repo.Scratch("data");
        Options = new AmpContextOptions
        {
            DataDirectory = DataDirectory,
            SessionIdGenerator = idGenerator,
            Clock = clock ?? TimeProvider.System,
            DatabaseBusyTimeout = busyTimeout,
        };
        Context = AmpContext.Open(Options);
        Manager = new SessionManager(Context);
    }

    public TestRepository Repo { get; }
    public string DataDirectory { get; }
    public AmpContextOptions Options { get; }
    public AmpContext Context { get; }
    public SessionManager Manager { get; }

    public void Dispose() => Repo.Dispose();

    public Task<Session> NewAsync(string name = "Rename greet", string prompt = "rename hello to greet", string? repoPath = null, string? baseBranch = "main") =>
        Manager.CreateAsync(new NewSessionRequest { RepoPath = repoPath ?? Repo.Root, BaseBranch = baseBranch, Name = name, Prompt = prompt });

    public RepositoryState Capture() => RepositoryState.Capture(Repo.Root);

    /// <summary>The repository as it was, no new row, and the repository lock free.</summary>
    public async Task AssertNothingLeftBehindAsync(RepositoryState before, int rows = 0)
    {
        Assert.Equal(before, Capture());
        Assert.Equal(rows, Context.Sessions.List().Count);
        await AssertLockFreeAsync(Repo.Path(".git"));
    }

    public static async Task AssertLockFreeAsync(string commonDir)
    {
        using var free = await RepositoryLock.AcquireAsync(commonDir, "test", TimeSpan.Zero);
    }

    /// <summary>Runs an operation and asserts the main checkout's HEAD, index and status are as they were.</summary>
    public async Task<T> KeepingMainCheckoutAsync<T>(Func<Task<T>> operation)
    {
        var before = MainCheckoutState.Capture(Repo.Root);
        var result = await operation();
        Assert.Equal(before, MainCheckoutState.Capture(Repo.Root));
        return result;
    }

    public async Task<TException> FailsKeepingMainCheckoutAsync<TException>(Func<Task> operation) where TException : Exception
    {
        var before = MainCheckoutState.Capture(Repo.Root);
        var ex = await Assert.ThrowsAsync<TException>(operation);
        Assert.Equal(before, MainCheckoutState.Capture(Repo.Root));
        return ex;
    }

    public static string GitIn(Session session, params string[] arguments) => TestRepository.GitIn(session.WorktreePath, arguments);

    public static void WriteIn(Session session, string relativePath, string content)
    {
        var path = Path.Combine(session.WorktreePath, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    /// <summary>Writes a file in the session's worktree and commits it there; returns the commit.</summary>
    public static string CommitIn(Session session, string relativePath, string content, string message)
    {
        WriteIn(session, relativePath, content);
        GitIn(session, "add", "--all");
        GitIn(session, "commit", "--quiet", "-m", message);
        return GitIn(session, "rev-parse", "HEAD");
    }

    public bool BranchExists(string branch) => Repo.Git("for-each-ref", "refs/heads/" + branch).Length > 0;
}

/// <summary>A clock that stands still, for branch names that must collide.</summary>
internal sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}

/// <summary>Hands out the given ids in order.</summary>
internal sealed class IdSequence(params string[] ids)
{
    private int next;

    public string Next() => ids[next++];
}
