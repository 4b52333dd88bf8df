using AmpSessions.Core.Git;

namespace AmpSessions.Core.Sessions;

/// <summary>
/// What a cleanup would lose, judged in two parts. The worktree's own state (its files, its HEAD, its
/// submodules' commits) changes only by the session's own operations, which the session lock held by
/// the cleanup keeps out: it is read once, before the repository lock. What other sessions' git work
/// moves (the base branch, the branches and backups that reach a detached HEAD) is judged under the
/// repository lock, right before the removal. So the repository lock, which every `new` and cleanup
/// of the repository queues for, is held for ref checks and the removal only (a batch of 16 items
/// on one repository waited on it behind status reads), and a cleanup that must refuse does so at
/// once, without waiting for the lock.
/// </summary>
internal sealed record CleanupJudgement
{
    /// <summary>The worktree's own state, read under the session lock.</summary>
    internal sealed record WorktreeState(bool Present, GitStatus? Status, IReadOnlyList<SubmoduleWork.Submodule> Submodules);

    public required string? BranchTip { get; init; }
    public required int UnmergedCount { get; init; }
    public required string? StrayHead { get; init; }
    public required IReadOnlyList<string> Losses { get; init; }

    public static async Task<WorktreeState> ReadWorktreeAsync(SessionManager sessions, Session session, GitClient worktree, string gitExecutable,
        CancellationToken cancellationToken)
    {
        if (!await sessions.IsWorktreePresentAsync(session, cancellationToken).ConfigureAwait(false))
        {
            return new WorktreeState(false, null, []);
        }
        var status = await worktree.GetStatusAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        // A submodule's git directory lives under the worktree's: its commits no remote has die with it.
        var submodules = await SubmoduleWork.InitializedAsync(worktree, session.WorktreePath, gitExecutable, cancellationToken).ConfigureAwait(false);
        return new WorktreeState(true, status, submodules);
    }

    /// <summary>Everything that would be lost, from the worktree's state and the refs as they are now.</summary>
    public static async Task<CleanupJudgement> JudgeAsync(Session session, GitClient repo, GitClient worktree, WorktreeState state, bool keepBranch,
        CancellationToken cancellationToken)
    {
        var branchTip = await repo.ResolveCommitAsync("refs/heads/" + session.BranchName, cancellationToken).ConfigureAwait(false);
        var baseTip = await repo.ResolveCommitAsync("refs/heads/" + session.BaseBranch, cancellationToken).ConfigureAwait(false);
        var losses = new List<string>();
        string? strayHead = null;
        if (state.Status is { } status)
        {
            var changed = status.Changes.Count();
            if (changed > 0)
            {
                losses.Add($"{changed} uncommitted change{(changed == 1 ? "" : "s")} in {session.WorktreePath}");
            }
            // Commits made on a detached HEAD that no branch, tag or backup reaches die with the worktree
            // (a HEAD on a branch has its commits on that branch: nothing to count).
            var stray = status.Branch is null ? await CountCommitsOnlyHeadReachesAsync(worktree, cancellationToken).ConfigureAwait(false) : 0;
            if (stray > 0)
            {
                strayHead = status.HeadCommit;
                losses.Add($"{stray} commit{(stray == 1 ? "" : "s")} on the worktree's HEAD that no branch reaches");
            }
        }
        foreach (var submodule in state.Submodules.Where(s => s.UnpublishedCommits > 0))
        {
            losses.Add($"{submodule.UnpublishedCommits} commit{(submodule.UnpublishedCommits == 1 ? "" : "s")} in the submodule {submodule.Path} that no remote has");
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
        return new CleanupJudgement { BranchTip = branchTip, UnmergedCount = unmergedCount, StrayHead = strayHead, Losses = losses };
    }

    private static async Task<int> CountCommitsOnlyHeadReachesAsync(GitClient worktree, CancellationToken cancellationToken)
    {
        var text = await worktree.TryReadAsync(["rev-list", "--count", "HEAD", "--not", "--branches", "--tags", "--remotes", "--glob=refs/amp-sessions/*"], cancellationToken).ConfigureAwait(false);
        return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var count) ? count : 0;
    }
}
