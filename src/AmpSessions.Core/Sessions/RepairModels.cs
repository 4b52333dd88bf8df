namespace AmpSessions.Core.Sessions;

/// <summary>What <c>repair</c> may change besides reporting.</summary>
public sealed record RepairRequest
{
    /// <summary>Only this repository (its sessions and its .worktrees folder); null: every repository with sessions.</summary>
    public string? RepoPath { get; init; }
    /// <summary>Re-create missing worktrees from their branches.</summary>
    public bool Reattach { get; init; }
    /// <summary>Archive sessions whose worktree is missing (the branch is kept).</summary>
    public bool ArchiveMissing { get; init; }
    /// <summary>Remove clean worktrees under .worktrees/ that no session owns.</summary>
    public bool Prune { get; init; }
}

/// <summary>The kinds of mismatch repair finds between the store and Git.</summary>
public enum RepairFindingKind
{
    /// <summary>Git had metadata for worktrees whose folders are gone; pruned.</summary>
    StaleWorktreeMetadata,
    /// <summary>A session's worktree folder is missing.</summary>
    WorktreeMissing,
    /// <summary>A session's branch is missing.</summary>
    BranchMissing,
    /// <summary>A folder under .worktrees/ that no session owns.</summary>
    OrphanedWorktree,
    /// <summary>A session creation that never finished (a crash between row and worktree).</summary>
    InterruptedCreate,
    /// <summary>A session marked Running whose process is gone.</summary>
    InterruptedRun,
    /// <summary>A rebase was left in progress: continue or abort it.</summary>
    RebaseInProgress,
    /// <summary>The session's repository folder is gone.</summary>
    RepositoryMissing,
    /// <summary>A merge whose process died: settled from what it announced (Merged when the base had moved).</summary>
    InterruptedMerge,
    /// <summary>A cleanup whose process died: finished when it had removed the worktree.</summary>
    InterruptedCleanup,
    /// <summary>A leftover index.lock in a session's worktree: commits there fail until it is removed.</summary>
    IndexLocked,
}

/// <summary>One thing repair found, and what it did about it.</summary>
public sealed record RepairFinding(RepairFindingKind Kind, string? SessionId, string Path, string Detail, string Action);

/// <summary>Everything one repair run found.</summary>
public sealed record RepairReport(IReadOnlyList<RepairFinding> Findings)
{
    public bool IsHealthy => Findings.Count == 0;
}
