using AmpSessions.Core.Errors;
using AmpSessions.Core.Integration;
using AmpSessions.Core.Notifications;
using AmpSessions.Core.Serialization;
using AmpSessions.Core.Sessions;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Integration;

/// <summary>Collects the notifications the core raises.</summary>
public sealed class RecordingNotifier : INotifier
{
    private readonly List<Notification> sent = [];

    public IReadOnlyList<Notification> Sent
    {
        get { lock (sent) return sent.ToArray(); }
    }

    public void Notify(Notification notification)
    {
        lock (sent) sent.Add(notification);
    }
}

/// <summary>A real repository, data directory and services, with helpers that act like an agent, a person and a teammate.</summary>
public abstract class IntegrationTestBase : IDisposable
{
    protected IntegrationTestBase()
    {
        Context = AmpContext.Open(Repo.Scratch("data"));
        Sessions = new SessionManager(Context);
        Integration = new IntegrationService(Context, Notifier);
    }

    protected TestRepository Repo { get; } = new();
    protected AmpContext Context { get; }
    protected SessionManager Sessions { get; }
    protected RecordingNotifier Notifier { get; } = new();
    protected IntegrationService Integration { get; }

    public void Dispose()
    {
        Repo.Dispose();
        GC.SuppressFinalize(this);
    }

    protected Task<Session> NewSessionAsync(string name = "Rename greet", string baseBranch = "main") =>
        Sessions.CreateAsync(new NewSessionRequest { RepoPath = Repo.Root, BaseBranch = baseBranch, Name = name, Prompt = "rename hello to greet" });

    /// <summary>What an iteration leaves behind until `iterate` exists here: the agent's files committed as `amp: summary` in the worktree.</summary>
    protected static string AgentCommit(Session session, string summary, params (string Path, string Content)[] files) =>
        CommitIn(session, "amp: " + summary, files);

    protected static string CommitIn(Session session, string message, params (string Path, string Content)[] files)
    {
        foreach (var (path, content) in files)
        {
            Write(session, path, content);
        }
        Git(session, "add", "--all");
        Git(session, "commit", "--quiet", "-m", message);
        return Git(session, "rev-parse", "HEAD");
    }

    protected static void Write(Session session, string path, string content)
    {
        var full = Path.Combine(session.WorktreePath, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
    }

    protected static string Read(Session session, string path) => File.ReadAllText(Path.Combine(session.WorktreePath, path));

    protected static string Git(Session session, params string[] arguments) => TestRepository.GitIn(session.WorktreePath, arguments);

    /// <summary>A teammate's commit on the base in the main checkout.</summary>
    protected string BaseCommit(string path, string content, string message)
    {
        Repo.WriteFile(path, content);
        return Repo.CommitAll(message);
    }

    protected Session Reload(Session session) => Context.Sessions.Get(session.Id)!;

    protected string Tip(string branch) => Repo.Git("rev-parse", "refs/heads/" + branch);

    protected string TreeOf(string revision) => Repo.Git("rev-parse", revision + "^{tree}");

    protected IReadOnlyList<string> BackupRefs(Session session) =>
        Repo.Git("for-each-ref", "--format=%(refname)", $"refs/amp-sessions/{session.Id}/backup/").Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Every ref, the main checkout, the session's worktree and its row: what "nothing changed" compares.</summary>
    protected string Everything(Session session)
    {
        var refs = Repo.Git("for-each-ref", "--format=%(refname) %(objectname)");
        var main = Describe(WorktreeState.Capture(Repo.Root, Repo.Git("branch", "--show-current") is { Length: > 0 } branch ? branch : null));
        var worktree = Directory.Exists(session.WorktreePath) ? Describe(WorktreeState.Capture(session.WorktreePath, session.BranchName)) : "(no worktree)";
        return $"{refs}\n--main--\n{main}\n--worktree--\n{worktree}\n--row--\n{JsonOutput.Serialize(Reload(session))}";

        static string Describe(WorktreeState s) => $"{s.BranchTip}\n{s.IndexEntries}\n{s.IndexFileHash}\n{string.Join('\n', s.Files)}\n{s.Status}";
    }

    /// <summary>Runs a call that must fail with the error id and change nothing at all.</summary>
    protected async Task<AmpSessionsException> AssertRefusedAsync(Session session, string errorId, Func<Task> action)
    {
        var before = Everything(session);
        var error = await Assert.ThrowsAsync<AmpSessionsException>(action);
        Assert.Equal(errorId, error.ErrorId);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
        Assert.Equal(before, Everything(session));
        return error;
    }

    /// <summary>A session with the seed's shape of work: two agent iterations and a manual commit.</summary>
    protected async Task<Session> SessionWithWorkAsync(string name = "Rename greet", string baseBranch = "main")
    {
        var session = await NewSessionAsync(name, baseBranch);
        AgentCommit(session, "rename hello to greet", ("src/greet.ts", "export function greet(name: string): string {\n  return `Hello, ${name}`\n}\n"));
        AgentCommit(session, "add a test", ("src/greet.test.ts", "import { greet } from './greet'\nconsole.assert(greet('a') === 'Hello, a')\n"));
        CommitIn(session, "Document greet", ("docs/greet.md", "# greet\n\nSays hello.\n"));
        return session;
    }

    /// <summary>A session whose change to src/greet.ts conflicts with a change the base made meanwhile.</summary>
    protected async Task<Session> ConflictingSessionAsync()
    {
        var session = await NewSessionAsync();
        AgentCommit(session, "greet politely", ("src/greet.ts", "export function hello(name: string): string {\n  return `Good day, ${name}`\n}\n"));
        CommitIn(session, "Add notes", ("NOTES.md", "notes\n"));
        BaseCommit("src/greet.ts", "export function hello(name: string): string {\n  return `Hi, ${name}!`\n}\n", "Shorter greeting");
        return session;
    }

    protected const string ResolvedGreet = "export function hello(name: string): string {\n  return `Good day, ${name}!`\n}\n";
}
