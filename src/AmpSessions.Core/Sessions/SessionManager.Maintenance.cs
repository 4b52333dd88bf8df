using AmpSessions.Core.Backups;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Git;

namespace AmpSessions.Core.Sessions;

public sealed partial class SessionManager
{
    // ---- cleanup ----

    /// <summary>
    /// Removes the session's worktree, and its branch when the base has all of its commits; status
    /// Archived. Refuses, naming what would be lost, when there are uncommitted changes or commits
    /// the base lacks, unless forced, and then keeps a backup ref first. Backup refs stay unless purged.
    /// </summary>
    public Task<CleanupResult> CleanupAsync(string reference, bool force = false, bool purge = false, CancellationToken cancellationToken = default) =>
        CleanupAsync(reference, force, purge, keepBranch: false, cancellationToken);

    /// <summary>
    /// As <see cref="CleanupAsync(string, bool, bool, CancellationToken)"/>; with <paramref name="keepBranch"/> the branch and its commits
    /// stay (batch items keep their work for inspection), so only uncommitted changes count as a loss.
    /// </summary>
    public async Task<CleanupResult> CleanupAsync(string reference, bool force, bool purge, bool keepBranch, CancellationToken cancellationToken)
    {
        // The session lock for the whole cleanup: no iteration, merge or second cleanup can start
        // under it, and one that runs makes this one fail at once instead of deleting its worktree.
        using var operation = await BeginOperationAsync(Resolve(reference), "cleanup", cancellationToken).ConfigureAwait(false);
        var session = operation.Session;
        var repo = Git(session.RepoRoot);
        if (!Directory.Exists(session.RepoRoot))
        {
            throw new AmpSessionsException("AmpRepositoryNotFound", ErrorKind.NotFound,
                $"The repository '{session.RepoRoot}' of session {session.Id} is gone", session.RepoRoot,
                remedy: $"run {Invocation.Of(Operation.Repair, null, Parameter.ArchiveMissing)} to archive the session");
        }
        var commonDir = await repo.GetCommonDirAsync(cancellationToken).ConfigureAwait(false);

        string? backupRef = null, headBackupRef = null;
        var keptSubmodules = new List<string>();
        var worktreeRemoved = false;
        var branchDeleted = false;
        int purged;
        // The worktree's own state is read before the repository lock (the session lock keeps it still), and a cleanup
        // that would lose work refuses without queueing for the lock; see CleanupJudgement.
        var worktree = Git(session.WorktreePath);
        var state = await CleanupJudgement.ReadWorktreeAsync(this, session, worktree, context.Options.GitExecutable, cancellationToken).ConfigureAwait(false);
        if (!force)
        {
            RefuseLosses(session, await CleanupJudgement.JudgeAsync(session, repo, worktree, state, keepBranch, cancellationToken).ConfigureAwait(false));
        }
        using (await RepositoryLock.AcquireAsync(commonDir, "cleanup " + session.Id, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            // What other sessions' git work moves (the base, the refs that reach a detached HEAD) is judged under the
            // repository lock, so no merge or ref deletion can change it before the removal.
            var judged = await CleanupJudgement.JudgeAsync(session, repo, worktree, state, keepBranch, cancellationToken).ConfigureAwait(false);
            if (!force)
            {
                RefuseLosses(session, judged);
            }
            var (branchTip, unmergedCount, strayHead, losses, submodules, worktreePresent) =
                (judged.BranchTip, judged.UnmergedCount, judged.StrayHead, judged.Losses, state.Submodules, state.Present);
            if (losses.Count > 0 && branchTip is not null)
            {
                backupRef = (await BackupService.CreateAsync(session, "cleanup", context.Now, cancellationToken).ConfigureAwait(false)).Ref;
            }
            if (strayHead is not null)
            {
                headBackupRef = (await BackupService.CreateAsync(session, "cleanup-head", context.Now, cancellationToken, commit: strayHead).ConfigureAwait(false)).Ref;
                backupRef ??= headBackupRef;
            }
            foreach (var submodule in submodules.Where(s => s.HasWork))
            {
                keptSubmodules.Add(await SubmoduleWork.KeepAsync(submodule, context.Data.SessionBackups(session.Id), context.Options.GitExecutable, context.Now, cancellationToken).ConfigureAwait(false));
            }
            operation.Lock.Announce("cleanup-keep-branch", keepBranch ? "true" : "false");
            if (worktreePresent)
            {
                // git refuses to remove a worktree with initialized submodules without --force; their work was judged above.
                await repo.RemoveWorktreeAsync(session.WorktreePath, force: losses.Count > 0 || submodules.Count > 0, cancellationToken).ConfigureAwait(false);
                worktreeRemoved = true;
            }
            else
            {
                // `worktree remove` unregisters what it removes; only a worktree already gone leaves an entry to prune.
                await repo.PruneWorktreesAsync(cancellationToken).ConfigureAwait(false);
            }
            if (branchTip is not null && !keepBranch && (unmergedCount == 0 || force))
            {
                await repo.DeleteBranchAsync(session.BranchName, force: true, cancellationToken).ConfigureAwait(false);
                branchDeleted = true;
            }
            purged = purge ? await BackupService.PurgeAsync(session, cancellationToken).ConfigureAwait(false) : 0;
        }
        // The session's ports are free for the next one.
        await Workspace.WorktreePreparation.ReleaseAsync(context, session).ConfigureAwait(false);
        session = session with
        {
            Ports = null,
            Status = SessionStatus.Archived,
            StatusMessage = backupRef is null ? "cleaned up"
                : $"cleaned up by force; backup at {backupRef}" + (headBackupRef is null || headBackupRef == backupRef ? "" : $", the worktree's HEAD at {headBackupRef}")
                  + (keptSubmodules.Count == 0 ? "" : $"; the submodules' work kept in {string.Join(", ", keptSubmodules)}"),
            UpdatedAt = context.Now,
        };
        context.Sessions.Update(session);
        return new CleanupResult { Session = session, WorktreeRemoved = worktreeRemoved, BranchDeleted = branchDeleted, BackupRef = backupRef, PurgedRefCount = purged };
    }

    private static void RefuseLosses(Session session, CleanupJudgement judged)
    {
        if (judged.Losses.Count > 0)
        {
            throw new AmpSessionsException("AmpCleanupWouldLoseWork", ErrorKind.InvalidOperation,
                $"Cleanup of session {session.Id} would lose {string.Join(" and ", judged.Losses)}", session.Id,
                remedy: $"commit and merge them first, or run {Invocation.Of(Operation.Cleanup, session.Id, Parameter.Force)} (a backup ref is kept)");
        }
    }

    // ---- repair ----

    /// <summary>
    /// Reconciles rows with <c>git worktree list</c>: prunes stale metadata, reports (and on request
    /// re-attaches or archives) sessions whose worktree is missing, reports (and on request removes
    /// clean) worktrees under .worktrees/ that no session owns, finishes interrupted creations.
    /// </summary>
    public async Task<RepairReport> RepairAsync(RepairRequest request, CancellationToken cancellationToken = default)
    {
        var findings = new List<RepairFinding>();
        var sessions = context.Sessions.List();
        var roots = new HashSet<string>(sessions.Where(s => s.Status != SessionStatus.Archived).Select(s => s.RepoRoot));
        if (request.RepoPath is not null)
        {
            var repo = await OpenRepositoryAsync(request.RepoPath, cancellationToken).ConfigureAwait(false);
            roots = [repo.Root];
        }
        foreach (var root in roots.OrderBy(r => r, StringComparer.Ordinal))
        {
            var repoSessions = sessions.Where(s => SamePath(s.RepoRoot, root)).ToArray();
            if (!Directory.Exists(root))
            {
                foreach (var session in repoSessions.Where(s => s.Status != SessionStatus.Archived))
                {
                    var action = "none: repair with ArchiveMissing archives it";
                    if (request.ArchiveMissing)
                    {
                        Save(session with { Status = SessionStatus.Archived, StatusMessage = "repository missing" });
                        action = "archived";
                    }
                    findings.Add(new RepairFinding(RepairFindingKind.RepositoryMissing, session.Id, root, "the repository folder is gone", action));
                }
                continue;
            }
            await RepairRepositoryAsync(root, repoSessions, request, findings, cancellationToken).ConfigureAwait(false);
        }
        return new RepairReport(findings);
    }

    private async Task RepairRepositoryAsync(string root, IReadOnlyList<Session> repoSessions, RepairRequest request, List<RepairFinding> findings, CancellationToken cancellationToken)
    {
        var git = Git(root);
        var commonDir = await git.GetCommonDirAsync(cancellationToken).ConfigureAwait(false);
        using var repoLock = await RepositoryLock.AcquireAsync(commonDir, "repair", cancellationToken: cancellationToken).ConfigureAwait(false);

        var before = await git.ListWorktreesAsync(cancellationToken).ConfigureAwait(false);
        foreach (var stale in before.Where(w => w.IsPrunable))
        {
            findings.Add(new RepairFinding(RepairFindingKind.StaleWorktreeMetadata, OwnerOf(repoSessions, stale.Path)?.Id, stale.Path,
                "git still listed this worktree but its folder is gone", "pruned git's metadata"));
        }
        await git.PruneWorktreesAsync(cancellationToken).ConfigureAwait(false);
        var worktrees = await git.ListWorktreesAsync(cancellationToken).ConfigureAwait(false);

        foreach (var listed in repoSessions.Where(s => s.Status != SessionStatus.Archived))
        {
            // A session another process is working on right now is that process's business; repair
            // holds the session lock while it looks at one, so nothing starts under it either.
            using var held = SessionLock.TryAcquire(context, listed.Id, "repair");
            if (held is null || context.Sessions.Get(listed.Id) is not { } session)
            {
                continue;
            }
            var registered = worktrees.Any(w => SamePath(w.Path, session.WorktreePath));
            var branchTip = await git.ResolveCommitAsync("refs/heads/" + session.BranchName, cancellationToken).ConfigureAwait(false);

            if (session.Status == SessionStatus.Initializing)
            {
                // Nobody holds its lock, so the `new` that wrote this row is gone.
                if (registered || Directory.Exists(session.WorktreePath))
                {
                    await git.RunAsync(["worktree", "remove", "--force", "--force", session.WorktreePath], allowFailure: true, cancellationToken: cancellationToken).ConfigureAwait(false);
                    await git.PruneWorktreesAsync(cancellationToken).ConfigureAwait(false);
                }
                if (branchTip is not null && branchTip == session.BaseCommit)
                {
                    await git.RunAsync(["branch", "-D", "--end-of-options", session.BranchName], allowFailure: true, cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                context.Sessions.Delete(session.Id);
                findings.Add(new RepairFinding(RepairFindingKind.InterruptedCreate, session.Id, session.WorktreePath,
                    "the session was never finished being created", "removed the partial branch, worktree and row"));
                continue;
            }
            if (SessionLiveness.ClaimsLiveProcess(session.Status))
            {
                // The process that ran the iteration is gone (killed, crashed, machine restarted).
                var what = session.Status == SessionStatus.Evaluating ? "running the test script" : "running an agent turn";
                session = await SettleInterruptedRunAsync(session, held.Abandoned, cancellationToken).ConfigureAwait(false);
                findings.Add(new RepairFinding(RepairFindingKind.InterruptedRun, session.Id, session.WorktreePath,
                    $"the session was marked as {what} but no process is running it", "stopped what the turn had started and marked it Error \"interrupted\"; the worktree is left as it was"));
            }
            else if (held.Abandoned is not null)
            {
                await Processes.ProcessContainment.ReapSessionAsync(session.Id, cancellationToken).ConfigureAwait(false);
            }
            if (held.Abandoned is { } abandoned && await SettleAbandonedAsync(git, session, abandoned, registered, branchTip, cancellationToken).ConfigureAwait(false) is { } settled)
            {
                findings.Add(settled);
                if (context.Sessions.Get(session.Id) is not { Status: not SessionStatus.Archived })
                {
                    continue;
                }
            }
            if (!registered || !Directory.Exists(session.WorktreePath))
            {
                var action = "none: repair with Reattach restores it from its branch, with ArchiveMissing archives it";
                if (request.Reattach && branchTip is not null)
                {
                    if (Directory.Exists(session.WorktreePath) && Directory.EnumerateFileSystemEntries(session.WorktreePath).Any())
                    {
                        action = "kept: the folder exists but git does not know it; move it aside and repair again";
                    }
                    else
                    {
                        await git.AddWorktreeAsync(session.WorktreePath, session.BranchName, cancellationToken).ConfigureAwait(false);
                        action = "re-attached from its branch";
                    }
                }
                else if (request.ArchiveMissing || (request.Reattach && branchTip is null))
                {
                    Save(session with { Status = SessionStatus.Archived, StatusMessage = "worktree missing; archived by repair" });
                    action = branchTip is null ? "archived (its branch is gone too)" : "archived (the branch is kept)";
                }
                findings.Add(new RepairFinding(RepairFindingKind.WorktreeMissing, session.Id, session.WorktreePath,
                    branchTip is null ? "the worktree and the branch are gone" : "the worktree folder is gone; its branch still exists", action));
                continue;
            }
            if (branchTip is null)
            {
                findings.Add(new RepairFinding(RepairFindingKind.BranchMissing, session.Id, session.WorktreePath,
                    $"the branch {session.BranchName} is gone", "none: commit the worktree to a new branch or clean the session up"));
            }
            var worktreeGit = Git(session.WorktreePath);
            if (await Iterations.WorktreeChecks.FindIndexLockAsync(worktreeGit, cancellationToken).ConfigureAwait(false) is { } indexLock)
            {
                findings.Add(new RepairFinding(RepairFindingKind.IndexLocked, session.Id, indexLock,
                    "git's index lock is left in the worktree (a git process was killed); commits there fail until it is gone",
                    "none: if no git command is running in that worktree, delete the file"));
            }
            if (await IsRebaseInProgressAsync(worktreeGit, cancellationToken).ConfigureAwait(false))
            {
                findings.Add(new RepairFinding(RepairFindingKind.RebaseInProgress, session.Id, session.WorktreePath,
                    "a rebase was left in progress", "none: continue or abort the rebase"));
            }
        }

        // Worktrees under <repo>/.worktrees that no live session owns.
        var folder = Path.Combine(root, WorktreesFolder);
        var owned = repoSessions.Where(s => s.Status != SessionStatus.Archived).Select(s => s.WorktreePath).ToArray();
        var candidates = worktrees.Where(w => IsUnder(w.Path, folder)).Select(w => w.Path)
            .Concat(Directory.Exists(folder) ? Directory.EnumerateDirectories(folder) : [])
            .DistinctBy(Storage.ResolvedPath.Of, StringComparer.Ordinal);
        foreach (var path in candidates.Where(p => !owned.Any(o => SamePath(o, p))))
        {
            var registered = worktrees.Any(w => SamePath(w.Path, path));
            var action = "none: repair with Prune removes it when clean";
            if (request.Prune)
            {
                if (!registered)
                {
                    action = Directory.EnumerateFileSystemEntries(path).Any() ? "kept: not a git worktree and not empty" : RemoveEmpty(path);
                }
                else if ((await Git(path).GetStatusAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).IsClean)
                {
                    await git.RemoveWorktreeAsync(path, force: false, cancellationToken).ConfigureAwait(false);
                    action = "removed (it was clean)";
                }
                else
                {
                    action = "kept: it has uncommitted changes";
                }
            }
            findings.Add(new RepairFinding(RepairFindingKind.OrphanedWorktree, null, path,
                registered ? "a worktree under .worktrees/ that no session owns" : "a folder under .worktrees/ that is not a git worktree", action));
        }
    }

    /// <summary>
    /// Finishes or reports what a dead holder of the session lock was doing, from the record it left:
    /// a merge that had moved the base becomes Merged, a cleanup that had removed the worktree is
    /// completed. Null when the record needs nothing.
    /// </summary>
    private async Task<RepairFinding?> SettleAbandonedAsync(GitClient git, Session session, SessionLockRecord abandoned, bool registered, string? branchTip, CancellationToken cancellationToken)
    {
        switch (abandoned.Operation)
        {
            case "merge" when abandoned.Detail(Integration.MergeIntent.BaseRef) is { } baseRef && abandoned.Detail(Integration.MergeIntent.To) is { } to
                && session.Status != SessionStatus.Merged:
            {
                var baseTip = await git.ResolveCommitAsync(baseRef, cancellationToken).ConfigureAwait(false);
                if (baseTip is not null && branchTip == to && await git.IsAncestorAsync(to, baseTip, cancellationToken).ConfigureAwait(false))
                {
                    Save(session with { Status = SessionStatus.Merged, StatusMessage = $"merged into {session.BaseBranch} at {to[..Math.Min(7, to.Length)]} (finished by repair)", BaseCommit = baseTip });
                    return new RepairFinding(RepairFindingKind.InterruptedMerge, session.Id, session.WorktreePath,
                        $"a merge was interrupted after it moved {session.BaseBranch}", "marked Merged");
                }
                Save(session with { StatusMessage = $"the merge into {session.BaseBranch} was interrupted before it moved the base; merge again" });
                return new RepairFinding(RepairFindingKind.InterruptedMerge, session.Id, session.WorktreePath,
                    $"a merge was interrupted before it moved {session.BaseBranch} (the base was not changed)", "none: merge it again");
            }
            case "cleanup" when !registered || !Directory.Exists(session.WorktreePath):
            {
                var keepBranch = abandoned.Detail("cleanup-keep-branch") == "true";
                var branchAction = "the branch is kept";
                if (!keepBranch && branchTip is not null
                    && await git.ResolveCommitAsync("refs/heads/" + session.BaseBranch, cancellationToken).ConfigureAwait(false) is { } baseTip
                    && await git.IsAncestorAsync(branchTip, baseTip, cancellationToken).ConfigureAwait(false))
                {
                    await git.DeleteBranchAsync(session.BranchName, force: true, cancellationToken).ConfigureAwait(false);
                    branchAction = "the branch, whose commits are all in the base, is deleted";
                }
                Save(session with { Status = SessionStatus.Archived, StatusMessage = "cleaned up (finished by repair)" });
                return new RepairFinding(RepairFindingKind.InterruptedCleanup, session.Id, session.WorktreePath,
                    "a cleanup was interrupted after it removed the worktree", $"archived; {branchAction}");
            }
            case "cleanup":
                return new RepairFinding(RepairFindingKind.InterruptedCleanup, session.Id, session.WorktreePath,
                    "a cleanup was interrupted before it removed anything", "none: clean it up again");
            default:
                return null;
        }
    }

    private static string RemoveEmpty(string path)
    {
        Directory.Delete(path);
        return "removed (an empty folder)";
    }

    private static Session? OwnerOf(IEnumerable<Session> sessions, string path) => sessions.FirstOrDefault(s => SamePath(s.WorktreePath, path));

    private static bool IsUnder(string path, string folder) => Storage.ResolvedPath.IsUnder(path, folder);
}
