using AmpSessions.Core.Events;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Git;
using AmpSessions.Core.Notifications;
using AmpSessions.Core.Processes;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Core.Integration;

public sealed partial class IntegrationService
{
    // Whatever the user's configuration says, a session rebase replays only its own commits with the
    // merge backend, stashes nothing (the worktree must be clean) and moves no other branch.
    private static readonly string[] RebaseConfiguration =
        ["-c", "rebase.backend=merge", "-c", "rebase.autoStash=false", "-c", "rebase.updateRefs=false"];

    /// <summary>
    /// Rebases the session's own commits (those since its fork point from the base) onto the base
    /// branch, or onto <paramref name="onto"/>, which then becomes the session's base. On conflict the
    /// session becomes Conflicted, the paths are returned and a notification fires; finish with
    /// <see cref="ContinueRebaseAsync"/> or <see cref="AbortRebaseAsync"/>. A backup is kept first.
    /// </summary>
    public async Task<RebaseResult> RebaseAsync(string reference, string? onto = null, CancellationToken cancellationToken = default)
    {
        if (onto is not null && string.IsNullOrWhiteSpace(onto))
        {
            throw new AmpSessionsException("AmpOntoBranchEmpty", ErrorKind.InvalidArgument,
                "The branch to rebase onto is empty", onto,
                remedy: $"name the branch to rebase onto, or leave {Parameter.Onto} out to use the session's base");
        }
        using var w = await OpenAsync(reference, cancellationToken, "rebase").ConfigureAwait(false);
        using (await LockAsync(w, "rebase", cancellationToken).ConfigureAwait(false))
        {
            RequireNoRebase(w);
            return await RebaseLockedAsync(w, onto?.Trim(), backupRef: null, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<RebaseResult> RebaseLockedAsync(Workspace w, string? onto, string? backupRef, CancellationToken cancellationToken)
    {
        var session = Current(w);
        var target = onto ?? session.BaseBranch;
        var retarget = target != session.BaseBranch;
        if (target == session.BranchName)
        {
            throw new AmpSessionsException("AmpOntoBranchInvalid", ErrorKind.InvalidArgument,
                $"'{target}' is the session's own branch: rebase onto another branch.", target);
        }
        // What was asked is checked before what the session has: a misspelt -Onto is "no such branch",
        // not "nothing to rebase".
        var retargetTip = retarget
            ? await w.Repo.ResolveCommitAsync("refs/heads/" + target, cancellationToken).ConfigureAwait(false)
              ?? throw new AmpSessionsException("AmpOntoBranchNotFound", ErrorKind.NotFound,
                  $"There is no branch '{target}' in '{session.RepoRoot}': rebase onto an existing local branch.", target)
            : null;
        var (tip, basePoint) = await RequireAnyChangeAsync(w, "AmpNothingToRebase", "rebase", allowMissingBase: retarget, cancellationToken).ConfigureAwait(false);
        var targetTip = retargetTip ?? basePoint.BaseTip!;
        await RequireCleanAsync(w, "rebase", cancellationToken).ConfigureAwait(false);
        if (basePoint.ForkPoint == targetTip)
        {
            session = Save(session with { BaseBranch = target, BaseCommit = targetTip });
            return new RebaseResult
            {
                Session = session, Outcome = RebaseOutcome.Succeeded, Onto = target, OntoCommit = targetTip, OldHead = tip, NewHead = tip,
                BackupRef = backupRef, AlreadyUpToDate = true,
            };
        }

        backupRef ??= (await BackupAsync(w, "rebase", cancellationToken).ConfigureAwait(false)).Ref;
        var journal = new RebaseJournal { Target = target, OntoCommit = targetTip, OldHead = tip, BackupRef = backupRef, StartedAt = context.Now };
        // Announced before git starts: a crash from here on leaves the journal, the index copy and this
        // message for status, repair, continue and abort to find.
        RebaseJournal.SaveIndex(w.GitDir);
        journal.Write(w.GitDir);
        Save(session with { StatusMessage = $"rebasing onto {target} (backup {backupRef}); if interrupted, continue or abort the rebase" });
        // The rebase rewrites the worktree: what was known of it no longer holds.
        w.CleanStatus = null;
        var result = await w.Worktree.RunAsync([.. RebaseConfiguration, "rebase", "--empty=drop", "--onto", targetTip, basePoint.ForkPoint],
            allowFailure: true, extraEnvironment: await w.Worktree.GetIdentityFallbackAsync(cancellationToken).ConfigureAwait(false), cancellationToken: cancellationToken).ConfigureAwait(false);
        return await AfterGitRebaseAsync(w, journal, result, starting: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Continues a rebase stopped on conflicts (or left by a crash). Refuses while any path is still
    /// unmerged or a conflicted file still holds a conflict marker line.
    /// </summary>
    public async Task<RebaseResult> ContinueRebaseAsync(string reference, CancellationToken cancellationToken = default)
    {
        using var w = await OpenAsync(reference, cancellationToken, "rebase --continue").ConfigureAwait(false);
        using (await LockAsync(w, "rebase --continue", cancellationToken).ConfigureAwait(false))
        {
            var journal = RequireRebaseJournal(w);
            var status = await w.Worktree.GetStatusAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            var unmerged = status.Entries.Where(e => e.Kind == StatusEntryKind.Unmerged).Select(e => e.Path).ToArray();
            if (unmerged.Length > 0)
            {
                throw new AmpSessionsException("AmpConflictsUnresolved", ErrorKind.Conflict,
                    $"Session {w.Session.Id} still has {unmerged.Length} unmerged path{(unmerged.Length == 1 ? "" : "s")} ({Describe(unmerged)})", unmerged,
                    remedy: $"resolve each, mark it resolved with `git -C \"{w.Session.WorktreePath}\" add <path>` (or `git rm`), then run {Invocation.Of(Operation.Rebase, w.Session.Id, Parameter.Continue)} again");
            }
            // The files that conflicted; when that record is lost (a crash), whatever is staged for the stopped commit.
            var candidates = journal.ConflictedPaths.Count > 0
                ? journal.ConflictedPaths
                : (await w.Worktree.DiffNameStatusAsync(["--cached", "HEAD"], cancellationToken: cancellationToken).ConfigureAwait(false)).Select(e => e.Path).ToArray();
            var withMarkers = candidates.Where(path => HasConflictMarkers(Path.Combine(w.Session.WorktreePath, path))).ToArray();
            if (withMarkers.Length > 0)
            {
                throw new AmpSessionsException("AmpConflictMarkersRemain", ErrorKind.Conflict,
                    $"{Describe(withMarkers)} in session {w.Session.Id} still contain{(withMarkers.Length == 1 ? "s" : "")} conflict markers (lines starting <<<<<<< or >>>>>>>)", withMarkers,
                    remedy: $"edit them to the content you want, `git add` them, then run {Invocation.Of(Operation.Rebase, w.Session.Id, Parameter.Continue)} again");
            }
            var result = await w.Worktree.RunAsync(["rebase", "--continue"], allowFailure: true,
                extraEnvironment: await w.Worktree.GetIdentityFallbackAsync(cancellationToken).ConfigureAwait(false), cancellationToken: cancellationToken).ConfigureAwait(false);
            return await AfterGitRebaseAsync(w, journal, result, starting: false, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Abandons the rebase in progress: the branch, index (byte for byte) and worktree are as they were before it started.</summary>
    public async Task<RebaseResult> AbortRebaseAsync(string reference, CancellationToken cancellationToken = default)
    {
        using var w = await OpenAsync(reference, cancellationToken, "rebase --abort").ConfigureAwait(false);
        using (await LockAsync(w, "rebase --abort", cancellationToken).ConfigureAwait(false))
        {
            var journal = RequireRebaseJournal(w);
            var head = await AbortLockedAsync(w, cancellationToken).ConfigureAwait(false);
            var session = Save(Current(w) with { Status = SessionStatus.Idle, StatusMessage = $"rebase onto {journal.Target} aborted" });
            return new RebaseResult
            {
                Session = session, Outcome = RebaseOutcome.Aborted, Onto = journal.Target, OntoCommit = journal.OntoCommit,
                OldHead = journal.OldHead, NewHead = head, BackupRef = journal.BackupRef,
            };
        }
    }

    /// <summary>The journal of the rebase in progress; for one AmpSessions did not start (or lost), what git's state says.</summary>
    private static RebaseJournal RequireRebaseJournal(Workspace w)
    {
        var state = GitRebaseState.Find(w.GitDir) ?? throw new AmpSessionsException("AmpNoRebaseInProgress", ErrorKind.InvalidOperation,
            $"No rebase is in progress in session {w.Session.Id}, so there is nothing to continue or abort", w.Session.Id,
            remedy: $"start one with {Invocation.Of(Operation.Rebase, w.Session.Id)}");
        return RebaseJournal.Read(w.GitDir) ?? new RebaseJournal
        {
            Target = w.Session.BaseBranch,
            OntoCommit = state.Onto ?? "",
            OldHead = state.OrigHead ?? "",
            StartedAt = DateTimeOffset.MinValue,
        };
    }

    private async Task<string> AbortLockedAsync(Workspace w, CancellationToken cancellationToken)
    {
        await w.Worktree.RunAsync(["rebase", "--abort"], cancellationToken: cancellationToken).ConfigureAwait(false);
        await RestoreIndexCopyAsync(w, cancellationToken).ConfigureAwait(false);
        RebaseJournal.Delete(w.GitDir);
        return await BranchTipAsync(w, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// git rebase --abort rewrites the index (same entries, new file stamps); when its entries equal
    /// the copy kept before the rebase, put the copy back so the index is the same file it was.
    /// </summary>
    private static async Task RestoreIndexCopyAsync(Workspace w, CancellationToken cancellationToken)
    {
        var copy = RebaseJournal.IndexCopyPath(w.GitDir);
        if (!File.Exists(copy))
        {
            return;
        }
        var current = await w.Worktree.RunAsync(["ls-files", "--stage", "-z"], cancellationToken: cancellationToken).ConfigureAwait(false);
        var saved = await w.Worktree.RunAsync(["ls-files", "--stage", "-z"],
            extraEnvironment: new Dictionary<string, string?> { ["GIT_INDEX_FILE"] = copy }, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (current.StandardOutput == saved.StandardOutput)
        {
            var index = Path.Combine(w.GitDir, "index");
            var temporary = index + ".amp-sessions";
            File.Copy(copy, temporary, overwrite: true);
            File.Move(temporary, index, overwrite: true);
        }
    }

    /// <summary>Reads where git left the rebase: finished, stopped on conflicts, or stopped for another reason.</summary>
    private async Task<RebaseResult> AfterGitRebaseAsync(Workspace w, RebaseJournal journal, ProcessResult git, bool starting, CancellationToken cancellationToken)
    {
        var state = GitRebaseState.Find(w.GitDir);
        if (state is null)
        {
            RebaseJournal.Delete(w.GitDir);
            if (git.ExitCode != 0)
            {
                Save(Current(w) with { StatusMessage = $"rebase onto {journal.Target} failed" });
                throw new AmpSessionsException("AmpRebaseFailed", ErrorKind.ExternalTool,
                    $"git rebase in session {w.Session.Id} failed (exit {git.ExitCode}): {git.StandardErrorTail(3).ReplaceLineEndings(" ")}", w.Session.Id);
            }
            return await RebaseSucceededAsync(w, journal, cancellationToken).ConfigureAwait(false);
        }

        var status = await w.Worktree.GetStatusAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        var unmerged = status.Entries.Where(e => e.Kind == StatusEntryKind.Unmerged).Select(e => e.Path).ToArray();
        if (unmerged.Length == 0)
        {
            var reason = git.StandardErrorTail(3).ReplaceLineEndings(" ");
            if (starting)
            {
                // Stopped without a conflict to resolve (a hook, a file in the way): undo it rather than leave it half done.
                await AbortLockedAsync(w, cancellationToken).ConfigureAwait(false);
                Save(Current(w) with { StatusMessage = $"rebase onto {journal.Target} failed and was undone" });
                throw new AmpSessionsException("AmpRebaseFailed", ErrorKind.ExternalTool,
                    $"git rebase in session {w.Session.Id} stopped without a conflict (exit {git.ExitCode}: {reason}); the rebase was undone and the branch is as it was.", w.Session.Id);
            }
            throw new AmpSessionsException("AmpRebaseContinueFailed", ErrorKind.ExternalTool,
                $"git rebase --continue in session {w.Session.Id} failed (exit {git.ExitCode}: {reason}); the rebase is still in progress", w.Session.Id,
                remedy: $"fix what git says, then continue, or run {Invocation.Of(Operation.Rebase, w.Session.Id, Parameter.Abort)}");
        }

        journal = journal with { ConflictedPaths = journal.ConflictedPaths.Union(unmerged, StringComparer.Ordinal).ToArray() };
        journal.Write(w.GitDir);
        var stoppedAt = await w.Worktree.ResolveCommitAsync("REBASE_HEAD", cancellationToken).ConfigureAwait(false);
        var subject = stoppedAt is null ? null : await w.Worktree.ReadAsync(["log", "-1", "--format=%s", stoppedAt], cancellationToken).ConfigureAwait(false);
        var session = Save(Current(w) with
        {
            Status = SessionStatus.Conflicted,
            StatusMessage = $"rebase onto {journal.Target} stopped on conflicts in {Describe(unmerged)}",
        });
        context.Events.Conflict(session, journal.Target, unmerged);
        if (session.NotificationsEnabled)
        {
            notifier.Notify(new Notification(
            $"Conflicts in session \"{session.Name}\"",
            $"Rebasing onto {journal.Target} stopped on conflicts in {Describe(unmerged)}: resolve them in {session.WorktreePath}, `git add` them, " +
            "then continue the rebase (or abort it).",
            NotificationKind.Conflict, session.Id));
        }
        return new RebaseResult
        {
            Session = session, Outcome = RebaseOutcome.Conflicted, Onto = journal.Target, OntoCommit = journal.OntoCommit, OldHead = journal.OldHead,
            NewHead = status.HeadCommit ?? journal.OntoCommit, ConflictedPaths = unmerged, StoppedAtCommit = stoppedAt, StoppedAtSubject = subject,
            BackupRef = journal.BackupRef,
        };
    }

    private async Task<RebaseResult> RebaseSucceededAsync(Workspace w, RebaseJournal journal, CancellationToken cancellationToken)
    {
        var head = await BranchTipAsync(w, cancellationToken).ConfigureAwait(false);
        var session = Current(w);
        // The session is now built on the commit it was rebased onto, when that commit is on the target branch.
        var targetTip = await w.Repo.ResolveCommitAsync("refs/heads/" + journal.Target, cancellationToken).ConfigureAwait(false);
        var baseCommit = targetTip is not null && journal.OntoCommit.Length > 0 && await w.Repo.IsAncestorAsync(journal.OntoCommit, targetTip, cancellationToken).ConfigureAwait(false)
            ? journal.OntoCommit
            : session.BaseCommit;
        session = Save(session with
        {
            Status = SessionStatus.Idle,
            StatusMessage = $"rebased onto {journal.Target} at {Short(baseCommit)}",
            BaseBranch = journal.Target,
            BaseCommit = baseCommit,
        });
        return new RebaseResult
        {
            Session = session, Outcome = RebaseOutcome.Succeeded, Onto = journal.Target, OntoCommit = journal.OntoCommit,
            OldHead = journal.OldHead, NewHead = head, BackupRef = journal.BackupRef,
        };
    }

    /// <summary>Whether a file still has a conflict marker line (git's 7-character markers, alone or followed by a space).</summary>
    internal static bool HasConflictMarkers(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }
        foreach (var line in File.ReadLines(path))
        {
            if (IsMarker(line, "<<<<<<<") || IsMarker(line, ">>>>>>>"))
            {
                return true;
            }
        }
        return false;
    }

    private static bool IsMarker(string line, string marker) =>
        line.StartsWith(marker, StringComparison.Ordinal) && (line.Length == marker.Length || line[marker.Length] == ' ');
}
