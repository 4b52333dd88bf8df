using AmpSessions.Core.Backups;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Git;

namespace AmpSessions.Core.Sessions;

public sealed partial class SessionManager
{
    /// <summary>How old an Initializing row must be before repair treats its creation as interrupted.</summary>
    public static readonly TimeSpan InterruptedCreateAge = TimeSpan.FromMinutes(5);

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
        var session = Resolve(reference);
        var repo = Git(session.RepoRoot);
        if (!Directory.Exists(session.RepoRoot))
        {
            throw new AmpSessionsException("AmpRepositoryNotFound", ErrorKind.NotFound,
                $"The repository '{session.RepoRoot}' of session {session.Id} is gone", session.RepoRoot,
                remedy: $"run {Invocation.Of(Operation.Repair, null, Parameter.ArchiveMissing)} to archive the session");
        }
        var commonDir = await repo.GetCommonDirAsync(cancellationToken).ConfigureAwait(false);
        var worktreePresent = await IsWorktreePresentAsync(session, cancellationToken).ConfigureAwait(false);
        var branchTip = await repo.ResolveCommitAsync("refs/heads/" + session.BranchName, cancellationToken).ConfigureAwait(false);
        var baseTip = await repo.ResolveCommitAsync("refs/heads/" + session.BaseBranch, cancellationToken).ConfigureAwait(false);

        var losses = new List<string>();
        if (worktreePresent)
        {
            var status = await Git(session.WorktreePath).GetStatusAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            var changed = status.Changes.Count();
            if (changed > 0)
            {
                losses.Add($"{changed} uncommitted change{(changed == 1 ? "" : "s")} in {session.WorktreePath}");
            }
        }
        var unmergedCount = 0;
        if (branchTip is not null && !keepBranch)
        {
            unmergedCount = baseTip is null
                ? 1
                : (await repo.CountAheadBehindAsync(baseTip, branchTip, cancellationToken).ConfigureAwait(false)).Ahead;
            if (unmergedCount > 0)
            {
                losses.Add(baseTip is null
                    ? $"the branch {session.BranchName} (its base {session.BaseBranch} no longer exists)"
                    : $"{unmergedCount} commit{(unmergedCount == 1 ? "" : "s")} on {session.BranchName} not in {session.BaseBranch}");
            }
        }
        if (losses.Count > 0 && !force)
        {
            throw new AmpSessionsException("AmpCleanupWouldLoseWork", ErrorKind.InvalidOperation,
                $"Cleanup of session {session.Id} would lose {string.Join(" and ", losses)}", session.Id,
                remedy: $"commit and merge them first, or run {Invocation.Of(Operation.Cleanup, session.Id, Parameter.Force)} (a backup ref is kept)");
        }

        string? backupRef = null;
        var worktreeRemoved = false;
        var branchDeleted = false;
        int purged;
        using (await RepositoryLock.AcquireAsync(commonDir, "cleanup " + session.Id, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (losses.Count > 0 && branchTip is not null)
            {
                backupRef = (await BackupService.CreateAsync(session, "cleanup", context.Now, cancellationToken).ConfigureAwait(false)).Ref;
            }
            if (worktreePresent)
            {
                await repo.RemoveWorktreeAsync(session.WorktreePath, force: losses.Count > 0, cancellationToken).ConfigureAwait(false);
                worktreeRemoved = true;
            }
            await repo.PruneWorktreesAsync(cancellationToken).ConfigureAwait(false);
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
            StatusMessage = backupRef is null ? "cleaned up" : $"cleaned up by force; backup at {backupRef}",
            UpdatedAt = context.Now,
        };
        context.Sessions.Update(session);
        return new CleanupResult { Session = session, WorktreeRemoved = worktreeRemoved, BranchDeleted = branchDeleted, BackupRef = backupRef, PurgedRefCount = purged };
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

        foreach (var session in repoSessions.Where(s => s.Status != SessionStatus.Archived))
        {
            var registered = worktrees.Any(w => SamePath(w.Path, session.WorktreePath));
            var branchTip = await git.ResolveCommitAsync("refs/heads/" + session.BranchName, cancellationToken).ConfigureAwait(false);

            // A long setup holds the session lock: only a creation nobody is running any more was interrupted.
            if (session.Status == SessionStatus.Initializing && context.Now - session.UpdatedAt > InterruptedCreateAge && !SessionLock.IsHeld(context, session.Id))
            {
                if (registered)
                {
                    await git.RunAsync(["worktree", "remove", "--force", "--force", session.WorktreePath], allowFailure: true, cancellationToken: cancellationToken).ConfigureAwait(false);
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
            if (session.Status == SessionStatus.Initializing)
            {
                // A `new` still in progress: it writes its row before it waits for this lock, so its
                // branch and worktree are not there yet. Archiving or re-attaching it would race it.
                continue;
            }
            if (session.Status is SessionStatus.Running or SessionStatus.Evaluating && !SessionLock.IsHeld(context, session.Id))
            {
                // The process that ran the iteration is gone (killed, crashed, machine restarted).
                foreach (var iteration in context.Iterations.List(session.Id).Where(i => i.Status == Iterations.IterationStatus.Running))
                {
                    context.Iterations.Update(iteration with { Status = Iterations.IterationStatus.Crashed, Error = "interrupted: the process running it ended", EndedAt = context.Now });
                }
                Save(session with { Status = SessionStatus.Error, StatusMessage = "interrupted" });
                findings.Add(new RepairFinding(RepairFindingKind.InterruptedRun, session.Id, session.WorktreePath,
                    "the session was marked running but no process is running it", "marked Error \"interrupted\"; the worktree is left as it was"));
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
            .Distinct(StringComparer.Ordinal);
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

    private static string RemoveEmpty(string path)
    {
        Directory.Delete(path);
        return "removed (an empty folder)";
    }

    private static Session? OwnerOf(IEnumerable<Session> sessions, string path) => sessions.FirstOrDefault(s => SamePath(s.WorktreePath, path));

    private static bool IsUnder(string path, string folder) =>
        Path.GetFullPath(path).StartsWith(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)) + Path.DirectorySeparatorChar, PathComparison);
}
