using AmpSessions.Core.Errors;
using AmpSessions.Core.Git;
using AmpSessions.Core.Processes;

namespace AmpSessions.Core.Sessions;

public sealed partial class SessionManager
{
    // ---- diff ----

    /// <summary>The session's changes: by default everything since the merge-base with the base, untracked files included.</summary>
    public async Task<SessionDiff> DiffAsync(string reference, DiffScope scope = DiffScope.All, bool nameOnly = false, CancellationToken cancellationToken = default)
    {
        var session = Resolve(reference);
        var worktree = await RequireWorktreeAsync(session, cancellationToken).ConfigureAwait(false);
        if (nameOnly && scope == DiffScope.All && await CleanHeadAsync(worktree, cancellationToken).ConfigureAwait(false) is { } head)
        {
            // A clean worktree is its HEAD: the names are those of two commits (in process where libgit2 can),
            // without the three git processes a snapshot of the working tree takes.
            var committed = await worktree.DiffNameStatusAsync([await SessionBaseAsync(session, worktree, cancellationToken).ConfigureAwait(false), head],
                cancellationToken: cancellationToken).ConfigureAwait(false);
            return NamesOnly(session, scope, committed);
        }
        IReadOnlyList<string> range = scope switch
        {
            DiffScope.Staged => ["--cached"],
            DiffScope.Unstaged => [await WorkingTreeSnapshot.WriteIndexTreeAsync(worktree, cancellationToken).ConfigureAwait(false),
                                   await WorkingTreeSnapshot.WriteWorkingTreeAsync(worktree, cancellationToken).ConfigureAwait(false)],
            _ => [await SessionBaseAsync(session, worktree, cancellationToken).ConfigureAwait(false),
                  await WorkingTreeSnapshot.WriteWorkingTreeAsync(worktree, cancellationToken).ConfigureAwait(false)],
        };
        if (nameOnly)
        {
            return NamesOnly(session, scope, await worktree.DiffNameStatusAsync(range, cancellationToken: cancellationToken).ConfigureAwait(false));
        }
        var patch = await worktree.DiffPatchAsync(range, cancellationToken: cancellationToken).ConfigureAwait(false);
        return new SessionDiff { SessionId = session.Id, Scope = scope, Files = UnifiedDiffParser.Parse(patch), Patch = patch };
    }

    private static SessionDiff NamesOnly(Session session, DiffScope scope, IReadOnlyList<NameStatusEntry> names) => new()
    {
        SessionId = session.Id,
        Scope = scope,
        Files = names.Select(n => new FileDiff { Path = n.Path, OldPath = n.OriginalPath, Change = n.Change, NameOnly = true }).ToArray(),
        Patch = "",
        NameOnly = true,
    };

    /// <summary>
    /// HEAD's commit when `git status` lists nothing at all (no change staged or not, no untracked
    /// file, no dirty submodule), so the working tree's snapshot would be HEAD's tree; else null.
    /// </summary>
    private static async Task<string?> CleanHeadAsync(GitClient worktree, CancellationToken cancellationToken)
    {
        var status = await worktree.GetStatusAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        return status.Changes.Any() ? null : status.HeadCommit;
    }

    /// <summary>Where the session's own changes start: the merge-base of its HEAD with the base branch (or the recorded base commit).</summary>
    internal async Task<string> SessionBaseAsync(Session session, GitClient worktree, CancellationToken cancellationToken)
    {
        var baseTip = await worktree.ResolveCommitAsync("refs/heads/" + session.BaseBranch, cancellationToken).ConfigureAwait(false);
        if (baseTip is not null && await worktree.MergeBaseAsync(baseTip, "HEAD", cancellationToken).ConfigureAwait(false) is { Length: > 0 } mergeBase)
        {
            return mergeBase;
        }
        return session.BaseCommit;
    }

    // ---- commit ----

    /// <summary>Commits everything changed in the worktree (git add --all) with the message. Nothing to commit is an error, never an empty commit.</summary>
    public async Task<CommitResult> CommitAsync(string reference, string message, CancellationToken cancellationToken = default)
    {
        var session = Resolve(reference);
        if (string.IsNullOrWhiteSpace(message))
        {
            throw Invalid("AmpCommitMessageEmpty", "The commit message is empty", message, $"pass {Parameter.Message} with a line that says what changed");
        }
        var worktree = await RequireWorktreeAsync(session, cancellationToken).ConfigureAwait(false);
        if (await IsRebaseInProgressAsync(worktree, cancellationToken).ConfigureAwait(false))
        {
            throw new AmpSessionsException("AmpRebaseInProgress", ErrorKind.InvalidOperation,
                $"A rebase is in progress in session {session.Id}", session.Id,
                remedy: $"finish it with {Invocation.Of(Operation.Rebase, session.Id, Parameter.Continue)} or {Parameter.Abort} first");
        }
        // Not while an agent turn or the test script works in the same worktree.
        using var operation = await BeginOperationAsync(session, "commit", cancellationToken).ConfigureAwait(false);
        await worktree.StageAllAsync(cancellationToken).ConfigureAwait(false);
        if (!await worktree.HasStagedChangesAsync(cancellationToken).ConfigureAwait(false))
        {
            throw new AmpSessionsException("AmpNothingToCommit", ErrorKind.InvalidOperation,
                $"Nothing to commit in session {session.Id}: the worktree has no changes.", session.Id);
        }
        var hits = await Iterations.StagedSecretScan.ScanAsync(operation.Session, worktree, message, cancellationToken).ConfigureAwait(false);
        if (hits.Count > 0)
        {
            throw new AmpSessionsException("AmpCommitHoldsSecret", ErrorKind.InvalidOperation,
                $"Nothing was committed in session {session.Id}: the change holds a secret ({string.Join("; ", hits.Take(5))}); it is left staged", session.Id,
                remedy: $"remove the secret from those lines (keep secrets in the environment or an ignored .env file), then {Invocation.Of(Operation.Commit, session.Id)} again");
        }
        var commit = await worktree.CommitAsync(message.Trim() + "\n", cancellationToken: cancellationToken).ConfigureAwait(false);
        var files = await worktree.DiffNameStatusAsync([commit + "^", commit], cancellationToken: cancellationToken).ConfigureAwait(false);
        Save(operation.Session);
        return new CommitResult { SessionId = session.Id, Commit = commit, Subject = message.Trim().Split('\n')[0].Trim(), Files = files };
    }

    // ---- open ----

    /// <summary>The editor used when none is named: AMP_SESSIONS_EDITOR, else VS Code.</summary>
    public static string DefaultEditor => Environment.GetEnvironmentVariable("AMP_SESSIONS_EDITOR") is { Length: > 0 } editor ? editor : "code";

    /// <summary>Starts an editor (or a terminal) in the session's worktree and returns without waiting for it.</summary>
    public async Task<OpenResult> OpenAsync(string reference, string? editor = null, bool terminal = false, CancellationToken cancellationToken = default)
    {
        var session = Resolve(reference);
        await RequireWorktreeAsync(session, cancellationToken).ConfigureAwait(false);
        Configuration.SessionConfiguration.RefuseEditorInCi(context, session);
        var (program, arguments) = terminal ? TerminalCommand(session.WorktreePath) : EditorCommand(editor ?? DefaultEditor, session.WorktreePath);
        try
        {
            var pid = DetachedProcess.Start(new ProcessSpec(program, arguments) { WorkingDirectory = session.WorktreePath });
            return new OpenResult(session.Id, session.WorktreePath, program, arguments, pid);
        }
        catch (ExecutableNotFoundException)
        {
            var what = terminal ? "terminal" : "editor";
            throw new AmpSessionsException("AmpEditorNotFound", ErrorKind.ExternalTool, $"The {what} '{program}' was not found", program,
                remedy: terminal ? (FormattableString)$"install it, put it on PATH, or choose another with AMP_SESSIONS_TERMINAL" : $"install it, put it on PATH, or choose another with {Parameter.Editor} or AMP_SESSIONS_EDITOR");
        }
    }

    private static (string Program, IReadOnlyList<string> Arguments) EditorCommand(string editor, string path)
    {
        var parts = CommandLine.Split(editor);
        if (parts.Count == 0)
        {
            throw Invalid("AmpEditorEmpty", "The editor command is empty", editor, $"pass {Parameter.Editor} the program to open, for example `code`");
        }
        return (parts[0], parts.Skip(1).Append(path).ToArray());
    }

    private static (string Program, IReadOnlyList<string> Arguments) TerminalCommand(string path)
    {
        if (Environment.GetEnvironmentVariable("AMP_SESSIONS_TERMINAL") is { Length: > 0 } configured)
        {
            var parts = CommandLine.Split(configured);
            return (parts[0], parts.Skip(1).ToArray());
        }
        if (OperatingSystem.IsMacOS())
        {
            return ("open", ["-a", "Terminal", path]);
        }
        if (OperatingSystem.IsWindows())
        {
            return ExecutableLocator.Find("wt") is not null ? ("wt", ["-d", path]) : ("cmd.exe", ["/c", "start", "cmd.exe"]);
        }
        var candidates = new[] { "x-terminal-emulator", "gnome-terminal", "konsole", "xfce4-terminal", "xterm" };
        return (candidates.FirstOrDefault(c => ExecutableLocator.Find(c) is not null) ?? candidates[0], []);
    }
}
