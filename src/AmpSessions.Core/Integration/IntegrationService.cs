using AmpSessions.Core.Backups;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Git;
using AmpSessions.Core.Notifications;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Core.Integration;

/// <summary>
/// Bringing a session's work back: squash, rebase (continue, abort), merge, patch export and restore
/// from backups. Every operation that rewrites the session branch keeps a backup ref first and
/// changes shared refs under the repository lock; git runs in the session's worktree, and the main
/// checkout is touched only by the fast-forward of a merge.
/// </summary>
public sealed partial class IntegrationService
{
    private readonly AmpContext context;
    private readonly SessionManager sessions;
    private readonly INotifier notifier;

    public IntegrationService(AmpContext context, INotifier? notifier = null)
    {
        this.context = context;
        sessions = new SessionManager(context);
        this.notifier = notifier ?? new DesktopNotifier();
    }

    private GitClient Git(string directory) => new(directory, context.Options.GitExecutable);

    /// <summary>A session ready for integration, with git handles for its repository and its worktree.</summary>
    private sealed record Workspace(Session Session, GitClient Repo, GitClient Worktree, string CommonDir, string GitDir, SessionOperation? Operation) : IDisposable
    {
        public string BranchRef => "refs/heads/" + Session.BranchName;

        /// <summary>
        /// The worktree's status when this operation found it clean, under the repository lock; the
        /// later steps of the same merge reuse it until a step of its own (squash, rebase) changes the worktree.
        /// </summary>
        public GitStatus? CleanStatus { get; set; }

        /// <summary>Tells repair, should this process die, what it was about to do.</summary>
        public void Announce(string key, string value) => Operation?.Lock.Announce(key, value);

        public void Dispose() => Operation?.Dispose();
    }

    /// <summary>Where the session's own commits start, and the base branch's tip (null when the base is gone and that was allowed).</summary>
    private sealed record BasePoint(string? BaseTip, string ForkPoint);

    /// <summary>
    /// The session, refused when archived, when its worktree is missing or while an iteration uses it.
    /// With an <paramref name="operation"/> (everything but reads) the session lock is taken first and
    /// held until the workspace is disposed, so no iteration, cleanup or other integration can start
    /// meanwhile; the row is read again under it.
    /// </summary>
    private async Task<Workspace> OpenAsync(string reference, CancellationToken cancellationToken, string? operation = null)
    {
        var session = sessions.Resolve(reference);
        var held = operation is null ? null : await sessions.BeginOperationAsync(session, operation, cancellationToken).ConfigureAwait(false);
        try
        {
            session = held?.Session ?? session;
            var worktree = await sessions.RequireWorktreeAsync(session, cancellationToken).ConfigureAwait(false);
            if (session.Status is SessionStatus.Running or SessionStatus.Evaluating or SessionStatus.AwaitingInput)
            {
                throw new AmpSessionsException("AmpSessionBusy", ErrorKind.ResourceBusy,
                    $"Session {session.Id} is {session.Status}: wait for the iteration to finish (or stop it) before integrating its work.", session.Id);
            }
            var repo = Git(session.RepoRoot);
            var commonDir = await repo.GetCommonDirAsync(cancellationToken).ConfigureAwait(false);
            var gitDir = await worktree.GetGitDirAsync(cancellationToken).ConfigureAwait(false);
            return new Workspace(session, repo, worktree, commonDir, gitDir, held);
        }
        catch
        {
            held?.Dispose();
            throw;
        }
    }

    private Task<RepositoryLock> LockAsync(Workspace w, string operation, CancellationToken cancellationToken) =>
        RepositoryLock.AcquireAsync(w.CommonDir, $"{operation} {w.Session.Id}", cancellationToken: cancellationToken);

    /// <summary>Re-reads the row (another step may have changed it) so updates never write back stale fields.</summary>
    private Session Current(Workspace w) => context.Sessions.Get(w.Session.Id) ?? w.Session;

    private Session Save(Session session)
    {
        var updated = session with { UpdatedAt = context.Now };
        context.Sessions.Update(updated);
        return updated;
    }

    private async Task<string> BranchTipAsync(Workspace w, CancellationToken cancellationToken) =>
        await w.Repo.ResolveCommitAsync(w.BranchRef, cancellationToken).ConfigureAwait(false)
        ?? throw new AmpSessionsException("AmpBranchMissing", ErrorKind.NotFound,
            $"The branch '{w.Session.BranchName}' of session {w.Session.Id} no longer exists", w.Session.BranchName,
            remedy: $"run {Invocation.Of(Operation.Repair)} to see what is left");

    private static void RequireNoRebase(Workspace w)
    {
        if (GitRebaseState.Find(w.GitDir) is not null)
        {
            throw new AmpSessionsException("AmpRebaseInProgress", ErrorKind.InvalidOperation,
                $"A rebase is in progress in session {w.Session.Id}", w.Session.Id,
                remedy: $"finish it with {Invocation.Of(Operation.Rebase, w.Session.Id, Parameter.Continue)} or undo it with {Parameter.Abort} first");
        }
    }

    /// <summary>Refuses when the worktree has uncommitted or untracked files, which a rebase or merge would leave behind.</summary>
    private static async Task RequireCleanAsync(Workspace w, string operation, CancellationToken cancellationToken)
    {
        if (w.CleanStatus is not null)
        {
            return;
        }
        var status = await w.Worktree.GetStatusAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        var changes = status.Changes.Select(c => c.Path).ToArray();
        if (changes.Length > 0)
        {
            throw new AmpSessionsException("AmpWorktreeDirty", ErrorKind.InvalidOperation,
                $"Session {w.Session.Id} has {changes.Length} uncommitted change{(changes.Length == 1 ? "" : "s")} ({Describe(changes)}) that {operation} would leave behind", w.Session.WorktreePath,
                remedy: $"commit them with {Invocation.Of(Operation.Commit, w.Session.Id, new Argument(Parameter.Message, "<message>"))} or discard them, then {operation} again");
        }
        w.CleanStatus = status;
    }

    /// <summary>
    /// The base branch's tip and the session's fork point from it. The base must still exist (unless
    /// <paramref name="allowMissingBase"/>, when the session's recorded base commit serves as the fork
    /// point) and must not have been rewritten under the session: when the commit the session was
    /// last based on is gone from the base but still in the session branch, rebasing or merging
    /// would bring back what the base dropped.
    /// </summary>
    private async Task<BasePoint> RequireBaseAsync(Workspace w, string tip, bool allowMissingBase, CancellationToken cancellationToken)
    {
        var session = w.Session;
        var baseTip = await w.Repo.ResolveCommitAsync("refs/heads/" + session.BaseBranch, cancellationToken).ConfigureAwait(false);
        if (baseTip is null)
        {
            if (allowMissingBase && await w.Repo.IsAncestorAsync(session.BaseCommit, tip, cancellationToken).ConfigureAwait(false))
            {
                return new BasePoint(null, session.BaseCommit);
            }
            throw new AmpSessionsException("AmpBaseBranchMissing", ErrorKind.NotFound,
                $"The base branch '{session.BaseBranch}' of session {session.Id} no longer exists (it was deleted after the session started)", session.BaseBranch,
                remedy: $"recreate it with `git branch {session.BaseBranch} <commit>`, or move the session to another branch with {Invocation.Of(Operation.Rebase, session.Id, new Argument(Parameter.Onto, "<branch>"))}");
        }
        var baseHasIt = await w.Repo.IsAncestorAsync(session.BaseCommit, baseTip, cancellationToken).ConfigureAwait(false);
        if (!baseHasIt && await w.Repo.IsAncestorAsync(session.BaseCommit, tip, cancellationToken).ConfigureAwait(false))
        {
            throw Rewritten(session);
        }
        var forkPoint = await w.Repo.MergeBaseAsync(baseTip, tip, cancellationToken).ConfigureAwait(false) ?? throw Rewritten(session);
        return new BasePoint(baseTip, forkPoint);
    }

    private static AmpSessionsException Rewritten(Session session) => new("AmpBaseBranchRewritten", ErrorKind.InvalidOperation,
        $"The base branch '{session.BaseBranch}' was rewritten (force-pushed or reset) since session {session.Id} was based on it: commit {Short(session.BaseCommit)} is no longer in it, " +
        $"so rebasing or merging now would bring back commits the base dropped. See them with `git log --oneline {session.BaseBranch}..{session.BranchName}`; " +
        $"move only the session's own commits with `git -C \"{session.WorktreePath}\" rebase --onto {session.BaseBranch} <last commit that is not the session's>`, then try again.",
        session.BaseBranch);

    /// <summary>The session's committed change: its branch tip, where it forked from the base, and its commits.</summary>
    private sealed record SessionChange(string Tip, BasePoint Base, IReadOnlyList<(string Commit, string Subject)> Commits);

    /// <summary>The session's commits since it left the base; none is the error <paramref name="errorId"/>, saying there is nothing to <paramref name="verb"/>.</summary>
    private async Task<SessionChange> RequireChangeAsync(Workspace w, string errorId, string verb, bool allowMissingBase, CancellationToken cancellationToken)
    {
        var tip = await BranchTipAsync(w, cancellationToken).ConfigureAwait(false);
        var basePoint = await RequireBaseAsync(w, tip, allowMissingBase, cancellationToken).ConfigureAwait(false);
        var commits = await CommitsAsync(w.Worktree, basePoint.ForkPoint, tip, cancellationToken).ConfigureAwait(false);
        if (commits.Count == 0)
        {
            throw NothingTo(w.Session, errorId, verb);
        }
        return new SessionChange(tip, basePoint, commits);
    }

    /// <summary>As <see cref="RequireChangeAsync"/> for a step that needs no list of the commits: "any at all" is one ancestry check.</summary>
    private async Task<(string Tip, BasePoint Base)> RequireAnyChangeAsync(Workspace w, string errorId, string verb, bool allowMissingBase, CancellationToken cancellationToken)
    {
        var tip = await BranchTipAsync(w, cancellationToken).ConfigureAwait(false);
        var basePoint = await RequireBaseAsync(w, tip, allowMissingBase, cancellationToken).ConfigureAwait(false);
        // `log fork..tip` lists nothing exactly when the tip is the fork point or one of its ancestors.
        if (await w.Worktree.IsAncestorAsync(tip, basePoint.ForkPoint, cancellationToken).ConfigureAwait(false))
        {
            throw NothingTo(w.Session, errorId, verb);
        }
        return (tip, basePoint);
    }

    private static AmpSessionsException NothingTo(Session session, string errorId, string verb) =>
        new(errorId, ErrorKind.InvalidOperation,
            $"Session {session.Id} has no commits since it left '{session.BaseBranch}', so there is nothing to {verb}", session.Id,
            remedy: $"run an iteration ({Invocation.Of(Operation.Iterate, session.Id)}) or commit its changes first ({Invocation.Of(Operation.Commit, session.Id, new Argument(Parameter.Message, "<message>"))})");

    /// <summary>The commits from the fork point to the tip, oldest first, with their subjects.</summary>
    private static async Task<IReadOnlyList<(string Commit, string Subject)>> CommitsAsync(GitClient git, string forkPoint, string tip, CancellationToken cancellationToken)
    {
        var output = await git.ReadAsync(["log", "--reverse", "--format=%H%x00%s", $"{forkPoint}..{tip}"], cancellationToken).ConfigureAwait(false);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\0', 2))
            .Select(parts => (parts[0], parts.Length > 1 ? parts[1] : ""))
            .ToArray();
    }

    /// <summary>
    /// The message of one commit standing for all: the only commit's own message, else the session's
    /// name over a list of the commit subjects (iteration summaries without their <c>amp:</c> prefix).
    /// </summary>
    private static async Task<string> ComposeMessageAsync(GitClient git, Session session, IReadOnlyList<(string Commit, string Subject)> commits, CancellationToken cancellationToken)
    {
        if (commits.Count == 1)
        {
            return NormalizeMessage(await git.ReadAsync(["log", "-1", "--format=%B", commits[0].Commit], cancellationToken).ConfigureAwait(false));
        }
        var lines = commits
            .Select(c => c.Subject.StartsWith("amp:", StringComparison.Ordinal) ? c.Subject["amp:".Length..].Trim() : c.Subject.Trim())
            .Where(subject => subject.Length > 0)
            .Select(subject => "- " + subject);
        return NormalizeMessage($"{session.Name}\n\n{string.Join('\n', lines)}");
    }

    /// <summary>A commit message as git stores it: no surrounding blank space, lines without trailing spaces, one final newline.</summary>
    private static string NormalizeMessage(string message) =>
        string.Join('\n', message.ReplaceLineEndings("\n").Trim().Split('\n').Select(line => line.TrimEnd())) + "\n";

    private static string? ValidateMessage(string? message, string errorId)
    {
        if (message is null)
        {
            return null;
        }
        if (string.IsNullOrWhiteSpace(message))
        {
            throw new AmpSessionsException(errorId, ErrorKind.InvalidArgument,
                "The message is empty", message,
                remedy: $"pass {Parameter.Message} with a line that says what the change does, or leave {Parameter.Message} out to compose one from the session's commits");
        }
        return NormalizeMessage(message);
    }

    /// <summary>Makes a commit of <paramref name="tree"/> on <paramref name="parent"/> without touching any ref, index or file.</summary>
    private static async Task<string> CommitTreeAsync(GitClient git, string tree, string parent, string message, CancellationToken cancellationToken)
    {
        var identity = await git.GetIdentityFallbackAsync(cancellationToken).ConfigureAwait(false);
        var result = await git.RunAsync(["commit-tree", "--no-gpg-sign", tree, "-p", parent, "-F", "-"],
            standardInput: message, extraEnvironment: identity, cancellationToken: cancellationToken).ConfigureAwait(false);
        return result.StandardOutput.Trim();
    }

    private Task<SessionBackup> BackupAsync(Workspace w, string operation, CancellationToken cancellationToken) =>
        BackupService.CreateAsync(Current(w), operation, context.Now, cancellationToken, worktreeStatus: w.CleanStatus);

    private static string Describe(IReadOnlyCollection<string> paths) =>
        string.Join(", ", paths.Take(5)) + (paths.Count > 5 ? $" and {paths.Count - 5} more" : "");

    private static string Short(string sha) => sha.Length > 7 ? sha[..7] : sha;
}
