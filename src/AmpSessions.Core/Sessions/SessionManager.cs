using AmpSessions.Core.Errors;
using AmpSessions.Core.Events;
using AmpSessions.Core.Git;

namespace AmpSessions.Core.Sessions;

/// <summary>
/// The session workspace life cycle: create, find, inspect, diff, commit, open, clean up, repair.
/// Every front end (CLI command, cmdlet) is one call into this class.
/// </summary>
public sealed partial class SessionManager
{
    /// <summary>The folder under the repository root that holds session worktrees.</summary>
    public const string WorktreesFolder = ".worktrees";

    private readonly AmpContext context;

    public SessionManager(AmpContext context) => this.context = context;

    public AmpContext Context => context;

    private GitClient Git(string directory) => new(directory, context.Options.GitExecutable);

    // ---- new ----

    /// <summary>
    /// Creates the branch and worktree for a new session. The row is written first (Initializing),
    /// the Git work happens under the repository lock, and any failure undoes all of it.
    /// </summary>
    public async Task<Session> CreateAsync(NewSessionRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (name, slug) = ValidateName(request.Name);
        if (string.IsNullOrWhiteSpace(request.Prompt))
        {
            throw Invalid("AmpPromptEmpty", "The prompt is empty: say what the agent should do.", request.Prompt);
        }
        var repo = await OpenRepositoryAsync(request.RepoPath, cancellationToken).ConfigureAwait(false);
        RequireWorktreesFolderFree(repo);
        // `/fix-ci job=build` becomes the command's prompt: the session's goal is what the agent is told.
        var prompt = Configuration.SessionConfiguration.ExpandPrompt(context, repo.Root, request.Prompt);
        var baseBranch = string.IsNullOrWhiteSpace(request.BaseBranch)
            ? await DefaultBaseAsync(repo, cancellationToken).ConfigureAwait(false)
            : request.BaseBranch.Trim();
        var baseCommit = await ResolveBaseAsync(repo, baseBranch, cancellationToken).ConfigureAwait(false);
        if (!string.IsNullOrWhiteSpace(request.StartPoint))
        {
            baseCommit = await repo.Git.ResolveCommitAsync(request.StartPoint.Trim(), cancellationToken).ConfigureAwait(false)
                ?? throw new AmpSessionsException("AmpStartPointNotFound", ErrorKind.NotFound,
                    $"'{request.StartPoint}' names no commit in '{repo.Root}': give a commit, tag or branch that exists.", request.StartPoint);
        }
        TimeLimits.Require(request.Timeout);
        if (request.AgentEnvironment.Keys.FirstOrDefault(Processes.SecretRedactor.IsSecretName) is { } secretName)
        {
            throw Invalid("AmpSecretNotStored", $"'{secretName}' looks like a secret, and secrets are never stored: set it in the environment of the shell that runs AmpSessions instead.", secretName);
        }
        if (request.BranchName is { } explicitBranch && !await repo.Git.IsValidBranchNameAsync(explicitBranch, cancellationToken).ConfigureAwait(false))
        {
            throw Invalid("AmpBranchNameInvalid", $"'{explicitBranch}' is not a valid branch name: see `git check-ref-format --help`.", explicitBranch);
        }

        var now = context.Now;
        var id = (context.Options.SessionIdGenerator ?? SessionNaming.NewId)();
        var worktreePath = Path.Combine(repo.Root, WorktreesFolder, id);
        if (Directory.Exists(worktreePath) || File.Exists(worktreePath))
        {
            throw new AmpSessionsException("AmpWorktreePathExists", ErrorKind.InvalidOperation,
                $"The worktree folder '{worktreePath}' already exists", worktreePath,
                remedy: $"remove it, or run {Invocation.Of(Operation.Repair, null, new Argument(Parameter.Repo, repo.Root))} to see what it is");
        }
        var session = new Session
        {
            Id = id,
            Name = name,
            Prompt = prompt,
            RepoRoot = repo.Root,
            BaseBranch = baseBranch,
            BaseCommit = baseCommit,
            BranchName = request.BranchName ?? SessionNaming.BranchName(slug, now),
            WorktreePath = worktreePath,
            Status = SessionStatus.Initializing,
            CreatedAt = now,
            UpdatedAt = now,
            ScriptCommand = NullIfBlank(request.ScriptCommand),
            ScriptShell = Processes.PlatformShell.Validate(request.ScriptShell),
            ModelOverride = NullIfBlank(request.ModelOverride),
            AgentMode = NullIfBlank(request.AgentMode),
            Notes = NullIfBlank(request.Notes),
            BatchId = request.BatchId,
            Agent = NullIfBlank(request.Agent),
            Timeout = request.Timeout,
            AllowAllTools = request.AllowAllTools,
            AllowedTools = request.AllowedTools,
            McpConfig = NullIfBlank(request.McpConfig),
            ToolboxPaths = request.ToolboxPaths,
            AgentEnvironment = request.AgentEnvironment,
            NotificationsEnabled = request.NotificationsEnabled,
            Environment = NullIfBlank(request.Environment),
            Preset = NullIfBlank(request.Preset),
            McpServers = request.McpServers,
            Skills = request.Skills,
            AttemptGroup = request.AttemptGroup,
            Budget = Budgets.BudgetRules.Checked(request.Budget),
            AllowPush = request.AllowPush,
        };
        // Held from before the row exists until it is Idle (or gone): an Initializing row whose lock
        // nobody holds is a creation that was interrupted, which reads show and repair removes.
        using var sessionLock = SessionLock.Acquire(context, id, "new");
        // Its environment, agent, preset, MCP servers and mode must compose before anything is made.
        session = Configuration.SessionConfiguration.Check(context, session, isNew: true);
        context.Sessions.Insert(session);

        // Set once the branch is known not to exist (checked under the repository lock) and git was asked to make it.
        var branchRequested = false;
        var worktreeCreated = false;
        try
        {
            using (await RepositoryLock.AcquireAsync(repo.CommonDir, "new " + id, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                GitExcludes.Ensure(repo.CommonDir, WorktreesFolder + "/");
                session = session with { BranchName = await ChooseBranchNameAsync(repo.Git, session.BranchName, request.BranchName is not null, cancellationToken).ConfigureAwait(false) };
                branchRequested = true;
                await repo.Git.AddWorktreeOnNewBranchAsync(worktreePath, session.BranchName, baseCommit, cancellationToken).ConfigureAwait(false);
                worktreeCreated = true;
            }
            // Included files, ports and the setup command: Idle when it is ready, Error when its setup failed.
            session = await Workspace.WorktreePreparation.PrepareAsync(context, session, request, cancellationToken).ConfigureAwait(false);
            context.Sessions.Update(session);
            context.Events.SessionCreated(session);
            return session;
        }
        catch (Exception failure)
        {
            await UndoCreateAsync(repo, session, branchRequested, worktreeCreated, failure).ConfigureAwait(false);
            throw;
        }
    }

    private async Task UndoCreateAsync(RepositoryHandle repo, Session session, bool branchRequested, bool worktreeCreated, Exception failure)
    {
        // Best effort and never cancelled: the point is to leave nothing behind.
        try
        {
            using (await RepositoryLock.AcquireAsync(repo.CommonDir, "undo new " + session.Id).ConfigureAwait(false))
            {
                if (worktreeCreated || Directory.Exists(session.WorktreePath))
                {
                    // Also a worktree git left half made when it was killed (its registration still locked "initializing").
                    await repo.Git.RunAsync(["worktree", "remove", "--force", "--force", session.WorktreePath], allowFailure: true).ConfigureAwait(false);
                    await repo.Git.PruneWorktreesAsync().ConfigureAwait(false);
                }
                if (worktreeCreated || (branchRequested && await BranchMadeByFailedAddAsync(repo, session, failure).ConfigureAwait(false)))
                {
                    await repo.Git.RunAsync(["branch", "-D", "--end-of-options", session.BranchName], allowFailure: true).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            try
            {
                context.Sessions.Delete(session.Id);
            }
            catch (AmpSessionsException)
            {
                // The database is what failed; repair finds an Initializing row and removes it.
            }
        }
    }

    // `worktree add -b` failed or was stopped part way. The branch did not exist when it was chosen (under the
    // repository lock), so if it exists now at the base commit, git made it before the path, the checkout or a hook
    // failed; unless git said it already existed (made by someone else in that moment), which is never deleted.
    private static async Task<bool> BranchMadeByFailedAddAsync(RepositoryHandle repo, Session session, Exception failure) =>
        !GitClient.IsBranchAlreadyExistsFailure(failure, session.BranchName)
        && await repo.Git.ResolveCommitAsync("refs/heads/" + session.BranchName).ConfigureAwait(false) == session.BaseCommit;

    private static async Task<string> ChooseBranchNameAsync(GitClient git, string wanted, bool explicitlyNamed, CancellationToken cancellationToken)
    {
        if (!await git.BranchExistsAsync(wanted, cancellationToken).ConfigureAwait(false))
        {
            return wanted;
        }
        if (explicitlyNamed)
        {
            throw new AmpSessionsException("AmpBranchExists", ErrorKind.InvalidOperation,
                $"The branch '{wanted}' already exists", wanted,
                remedy: $"choose another {Parameter.Branch}, or delete it with `git branch -D {wanted}` if it is not needed");
        }
        // Two sessions with the same name in the same second: keep the generated name unique.
        for (var n = 2; ; n++)
        {
            var candidate = $"{wanted}-{n}";
            if (!await git.BranchExistsAsync(candidate, cancellationToken).ConfigureAwait(false))
            {
                return candidate;
            }
        }
    }

    /// <summary>A repository the product can work in: its main working tree and common git directory.</summary>
    internal sealed record RepositoryHandle(string Root, string CommonDir, GitClient Git);

    internal async Task<RepositoryHandle> OpenRepositoryAsync(string path, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw Invalid("AmpRepositoryPathEmpty", "No repository given: give the path of a Git checkout.", path);
        }
        var full = Path.GetFullPath(path);
        if (!Directory.Exists(full))
        {
            throw new AmpSessionsException("AmpRepositoryNotFound", ErrorKind.NotFound,
                $"The folder '{full}' does not exist: give the path of a Git checkout.", full);
        }
        var git = Git(full);
        // One git call answers everything for a checkout with commits; the step-by-step checks
        // below run only when it does not, to say exactly what is wrong.
        if (await git.TryGetWorkingTreeFactsAsync(cancellationToken).ConfigureAwait(false) is { } facts)
        {
            var mainRoot = facts.IsMainWorktree ? facts.TopLevel : await MainWorktreeRootAsync(git, cancellationToken).ConfigureAwait(false);
            return new RepositoryHandle(mainRoot, facts.CommonDir, Git(mainRoot));
        }
        if (!await git.IsRepositoryAsync(cancellationToken).ConfigureAwait(false))
        {
            throw Invalid("AmpNotARepository", $"'{full}' is not in a Git repository", full,
                remedy: $"work inside a Git checkout, pass {Parameter.Repo} with the path of one, or run `git init` there to make one");
        }
        if (await git.IsBareAsync(cancellationToken).ConfigureAwait(false))
        {
            throw Invalid("AmpBareRepository", $"'{full}' is a bare repository, which has no working tree for sessions: clone it and pass the clone.", full);
        }
        var commonDir = await git.GetCommonDirAsync(cancellationToken).ConfigureAwait(false);
        var root = await MainWorktreeRootAsync(git, cancellationToken).ConfigureAwait(false);
        var rootGit = Git(root);
        // HEAD first: `rev-list --all` can fail while other processes are creating branches at that moment.
        if (await rootGit.ResolveCommitAsync("HEAD", cancellationToken).ConfigureAwait(false) is null
            && await rootGit.TryReadAsync(["for-each-ref", "--count=1", "--format=%(objectname)", "refs/heads/"], cancellationToken).ConfigureAwait(false) is not { Length: > 0 })
        {
            throw Invalid("AmpRepositoryEmpty", $"The repository '{root}' has no commits yet: make a first commit, then create the session.", root);
        }
        return new RepositoryHandle(root, commonDir, rootGit);
    }

    // Sessions belong to the main working tree, even when the path given is inside another worktree.
    private static async Task<string> MainWorktreeRootAsync(GitClient git, CancellationToken cancellationToken)
    {
        var worktrees = await git.ListWorktreesAsync(cancellationToken).ConfigureAwait(false);
        return worktrees.FirstOrDefault(w => !w.IsBare)?.Path ?? await git.GetTopLevelAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<string> ResolveBaseAsync(RepositoryHandle repo, string baseBranch, CancellationToken cancellationToken)
    {
        // Resolving refs/heads/<base> fails for a missing branch too: no separate existence check needed.
        if (await repo.Git.ResolveCommitAsync("refs/heads/" + baseBranch, cancellationToken).ConfigureAwait(false) is { } commit)
        {
            return commit;
        }
        throw await BaseNotFoundAsync(repo, baseBranch, cancellationToken).ConfigureAwait(false);
    }

    // ---- finding sessions ----

    /// <summary>
    /// The one session a reference names: an exact id, else an exact name, else a unique id prefix.
    /// None or several is a clear error.
    /// </summary>
    public Session Resolve(string reference)
    {
        var text = reference?.Trim() ?? "";
        if (text.Length == 0)
        {
            throw new SessionNotFoundException(text, "No session given: pass a session id (or a unique prefix of one) or its name.");
        }
        if (context.Sessions.Get(text) is { } exact)
        {
            return SessionLiveness.Observe(context, exact);
        }
        var candidates = context.Sessions.FindByIdPrefixOrName(text);
        // No preference for names over id prefixes: a session named like another's id prefix would
        // silently win (and `cleanup <prefix> --force` hit the wrong one); several candidates are ambiguous.
        var matches = candidates.ToArray();
        return matches.Length switch
        {
            1 => SessionLiveness.Observe(context, matches[0]),
            0 => throw new SessionNotFoundException(text, $"No session matches '{text}'", remedy: $"run {Invocation.Of(Operation.ListSessions)} to see session ids and names"),
            _ => throw new SessionNotFoundException(text,
                $"'{text}' matches {matches.Length} sessions by name or id prefix ({string.Join(", ", matches.Take(5).Select(s => $"{s.Id} \"{s.Name}\""))}{(matches.Length > 5 ? ", ..." : "")})",
                "AmpSessionAmbiguous", remedy: $"use more of the id, or the whole id of the session you mean"),
        };
    }

    /// <summary>Every session with exactly this name (names need not be unique), newest first; none is a clear error.</summary>
    public IReadOnlyList<Session> FindByName(string name)
    {
        var text = name?.Trim() ?? "";
        var named = context.Sessions.FindByIdPrefixOrName(text).Where(s => s.Name == text).ToArray();
        return named.Length > 0
            ? SessionLiveness.Observe(context, named)
            : throw new SessionNotFoundException(text, $"No session is named '{text}': list the sessions to see their names, or give an id.");
    }

    /// <summary>Sessions, newest first, optionally of one repository and one status.</summary>
    public async Task<IReadOnlyList<Session>> ListAsync(string? repoPath = null, SessionStatus? status = null, CancellationToken cancellationToken = default)
    {
        string? root = null;
        if (!string.IsNullOrWhiteSpace(repoPath))
        {
            root = (await OpenRepositoryAsync(repoPath, cancellationToken).ConfigureAwait(false)).Root;
        }
        var sessions = SessionLiveness.Observe(context, context.Sessions.List(root, status == SessionStatus.Interrupted ? null : status));
        return status is null ? sessions : sessions.Where(s => s.Status == status).ToArray();
    }

    /// <summary>The newest <paramref name="size"/> sessions and a count of the rest.</summary>
    public async Task<SessionPage> ListPageAsync(string? repoPath, SessionStatus? status, int size, CancellationToken cancellationToken = default) =>
        SessionListing.Page(context, await ListRootAsync(repoPath, cancellationToken).ConfigureAwait(false), status, size);

    /// <summary>Every matching session, newest first, read from the store as the caller enumerates (for output that streams).</summary>
    public async Task<IEnumerable<Session>> StreamAsync(string? repoPath, SessionStatus? status, CancellationToken cancellationToken = default) =>
        SessionListing.Stream(context, await ListRootAsync(repoPath, cancellationToken).ConfigureAwait(false), status);

    private async Task<string?> ListRootAsync(string? repoPath, CancellationToken cancellationToken) =>
        string.IsNullOrWhiteSpace(repoPath) ? null : (await OpenRepositoryAsync(repoPath, cancellationToken).ConfigureAwait(false)).Root;

    // ---- status ----

    /// <summary>The session's row with the live state of its branch and worktree.</summary>
    public Task<SessionState> GetStateAsync(string reference, CancellationToken cancellationToken = default) =>
        GetStateAsync(Resolve(reference), cancellationToken);

    /// <summary>The live state of a session already resolved (a pipeline resolves each piped session once).</summary>
    public async Task<SessionState> GetStateAsync(Session session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        var repo = Git(session.RepoRoot);
        var repoPresent = Directory.Exists(session.RepoRoot);
        var worktreePresent = await IsWorktreePresentAsync(session, cancellationToken).ConfigureAwait(false);
        // The branch reads of the main checkout, then the worktree's status (most of the time this takes), both on this
        // thread: a read answered in process is done when its call returns, and one that needs a git process runs while
        // the next read goes on. The status of a large index keeps two cores busy comparing its two halves; started on a
        // pool thread beside the branch reads, it shared them with a third thread, and one half often ended 3-10 ms after
        // the other (5,000 files, 2 cores: both halves take 14 ms when nothing else runs). Get-AmpSessionState per
        // session: 25.5 -> 24.4 ms, medians of 20 interleaved runs of the module bench's state row.
        var branchRead = ReadBranchesAsync();
        var worktreeRead = worktreePresent
            ? ReadWorktreeAsync(Git(session.WorktreePath))
            : Task.FromResult<(IReadOnlyList<StatusEntry> Changes, string? Branch, string? Head, bool Rebasing)?>(null);
        await Task.WhenAll(worktreeRead, branchRead).ConfigureAwait(false);
        var (branchTip, baseTip, ahead, behind, mergeBase) = await branchRead.ConfigureAwait(false);
        var worktree = await worktreeRead.ConfigureAwait(false);
        IReadOnlyList<StatusEntry> changes = worktree?.Changes ?? [];
        var spent = Budgets.SessionPricing.Spending(context, session);
        return new SessionState
        {
            Session = session,
            WorktreePresent = worktreePresent,
            BranchPresent = branchTip is not null,
            CurrentBranch = worktree?.Branch,
            Head = worktree is null ? branchTip : worktree.Value.Head,
            BaseHead = baseTip,
            MergeBase = mergeBase,
            Ahead = ahead,
            Behind = behind,
            ChangedFiles = changes,
            RebaseInProgress = worktree?.Rebasing ?? false,
            ConflictedPaths = changes.Where(c => c.Kind == StatusEntryKind.Unmerged).Select(c => c.Path).ToArray(),
            BudgetSpent = session.Budget.IsEmpty ? null : spent,
            CostUsd = spent.CostUsd,
        };

        async Task<(string? BranchTip, string? BaseTip, int Ahead, int Behind, string? MergeBase)> ReadBranchesAsync()
        {
            var branchTip = repoPresent ? await repo.ResolveCommitAsync("refs/heads/" + session.BranchName, cancellationToken).ConfigureAwait(false) : null;
            var baseTip = repoPresent ? await repo.ResolveCommitAsync("refs/heads/" + session.BaseBranch, cancellationToken).ConfigureAwait(false) : null;
            if (branchTip is null || baseTip is null)
            {
                return (branchTip, baseTip, 0, 0, null);
            }
            var (ahead, behind) = await repo.CountAheadBehindAsync(baseTip, branchTip, cancellationToken).ConfigureAwait(false);
            return (branchTip, baseTip, ahead, behind, await repo.MergeBaseAsync(baseTip, branchTip, cancellationToken).ConfigureAwait(false));
        }

        async Task<(IReadOnlyList<StatusEntry> Changes, string? Branch, string? Head, bool Rebasing)?> ReadWorktreeAsync(GitClient worktree)
        {
            var status = await worktree.GetStatusAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            return (status.Changes.ToArray(), status.Branch, status.HeadCommit, await IsRebaseInProgressAsync(worktree, cancellationToken).ConfigureAwait(false));
        }
    }

    internal static async Task<bool> IsRebaseInProgressAsync(GitClient worktree, CancellationToken cancellationToken)
    {
        var gitDir = await worktree.GetGitDirAsync(cancellationToken).ConfigureAwait(false);
        return Integration.GitRebaseState.Find(gitDir) is not null;
    }

    /// <summary>Whether the worktree folder exists and git still knows it as a worktree of this repository.</summary>
    internal async Task<bool> IsWorktreePresentAsync(Session session, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(session.WorktreePath) || !Directory.Exists(session.RepoRoot))
        {
            return false;
        }
        return await Git(session.RepoRoot).IsRegisteredWorktreeAsync(session.WorktreePath, PathComparison, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The session's worktree, or a clear error when it is gone.</summary>
    internal async Task<GitClient> RequireWorktreeAsync(Session session, CancellationToken cancellationToken)
    {
        if (session.Status == SessionStatus.Archived)
        {
            throw new AmpSessionsException("AmpSessionArchived", ErrorKind.InvalidOperation,
                $"Session {session.Id} is archived and has no worktree: create a new session to keep working.", session.Id);
        }
        if (!await IsWorktreePresentAsync(session, cancellationToken).ConfigureAwait(false))
        {
            throw new AmpSessionsException("AmpWorktreeMissing", ErrorKind.NotFound,
                $"The worktree of session {session.Id} ('{session.WorktreePath}') is missing", session.WorktreePath,
                remedy: $"run {Invocation.Of(Operation.Repair, null, Parameter.Reattach)} to restore it from its branch, or {Invocation.Of(Operation.Cleanup, session.Id)}");
        }
        return Git(session.WorktreePath);
    }

    /// <summary>How paths compare on this platform (Windows and macOS file systems ignore case by default).</summary>
    internal static StringComparison PathComparison => Storage.ResolvedPath.Comparison;

    /// <summary>Whether two paths name the same place, symbolic links resolved (git records worktree paths resolved).</summary>
    internal static bool SamePath(string a, string b) => Storage.ResolvedPath.Same(a, b);

    internal void Save(Session session) => context.Sessions.Update(session with { UpdatedAt = context.Now });

    private static string? NullIfBlank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    /// <summary>A session name, trimmed, and the branch slug made from it; a name without letters or digits is refused.</summary>
    /// <summary>The longest session name: it appears in tables, branch names and notifications.</summary>
    public const int MaxNameLength = 100;

    internal static (string Name, string Slug) ValidateName(string? requested)
    {
        var name = requested?.Trim() ?? "";
        if (name.Length == 0)
        {
            throw Invalid("AmpSessionNameEmpty", "The session name is empty", requested, $"give {Parameter.Name} a few words that describe the goal");
        }
        if (name.Length > MaxNameLength)
        {
            throw Invalid("AmpSessionNameTooLong", $"The session name is {name.Length} characters long, more than {MaxNameLength}", name[..40] + "...",
                $"give {Parameter.Name} a shorter name; the prompt holds the details");
        }
        var slug = SessionNaming.Slugify(name);
        if (slug.Length == 0)
        {
            throw Invalid("AmpSessionNameInvalid", $"The session name '{name}' has no letters or digits to make a branch name from: use a name with some.", name);
        }
        return (name, slug);
    }

    private static AmpSessionsException Invalid(string id, string message, object? target, FormattableString? remedy = null) =>
        new(id, ErrorKind.InvalidArgument, message, target, remedy: remedy);
}
