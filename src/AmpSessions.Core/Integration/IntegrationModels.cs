using AmpSessions.Core.Backups;
using AmpSessions.Core.Git;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Core.Integration;

/// <summary>What <c>squash</c> did.</summary>
public sealed record SquashResult
{
    public required Session Session { get; init; }
    /// <summary>The branch tip before squashing.</summary>
    public required string OldHead { get; init; }
    /// <summary>The branch tip after: the one commit (equal to <see cref="OldHead"/> when there was nothing to change).</summary>
    public required string NewHead { get; init; }
    /// <summary>Where the session's commits start: the merge-base with the base branch, the new commit's parent.</summary>
    public required string MergeBase { get; init; }
    public required int SquashedCommitCount { get; init; }
    public required string Message { get; init; }
    /// <summary>The backup taken first; null when nothing changed.</summary>
    public string? BackupRef { get; init; }
    public bool Changed => OldHead != NewHead;
}

/// <summary>Where a rebase ended.</summary>
public enum RebaseOutcome
{
    /// <summary>Every commit was applied; the branch is on the new base.</summary>
    Succeeded,
    /// <summary>Git stopped on conflicts: resolve them, then continue (or abort).</summary>
    Conflicted,
    /// <summary>The rebase was abandoned; the branch, index and worktree are as they were before it.</summary>
    Aborted,
}

/// <summary>What <c>rebase</c> (and its --continue and --abort) did.</summary>
public sealed record RebaseResult
{
    public required Session Session { get; init; }
    public required RebaseOutcome Outcome { get; init; }
    /// <summary>The branch the session is rebased onto.</summary>
    public required string Onto { get; init; }
    public required string OntoCommit { get; init; }
    /// <summary>The branch tip before the rebase started.</summary>
    public required string OldHead { get; init; }
    /// <summary>HEAD now: the new branch tip, the commit git stopped at, or the old tip after an abort.</summary>
    public required string NewHead { get; init; }
    /// <summary>Paths git could not merge (empty unless <see cref="Outcome"/> is Conflicted).</summary>
    public IReadOnlyList<string> ConflictedPaths { get; init; } = [];
    /// <summary>The session commit git was applying when it stopped on conflicts.</summary>
    public string? StoppedAtCommit { get; init; }
    public string? StoppedAtSubject { get; init; }
    /// <summary>The backup taken before the rebase started (null for a rebase AmpSessions did not start).</summary>
    public string? BackupRef { get; init; }
    /// <summary>The branch was already on the target; nothing was rewritten.</summary>
    public bool AlreadyUpToDate { get; init; }
}

/// <summary>How <c>merge</c> brought the session's change to the base.</summary>
public enum MergeMethod
{
    /// <summary><c>git merge --ff-only</c> in the clean worktree that has the base branch checked out.</summary>
    FastForwardInWorktree,
    /// <summary>The base branch is checked out nowhere: its ref was moved, checking its old value.</summary>
    RefUpdate,
    /// <summary>The user's pull request script ran; the base branch was not changed.</summary>
    PullRequestScript,
}

/// <summary>The choices of <c>merge</c>.</summary>
public sealed record MergeOptions
{
    /// <summary>Squash the session's commits into one first.</summary>
    public bool Squash { get; init; }
    /// <summary>The squashed commit's message (with <see cref="Squash"/>), also given to a pull request script.</summary>
    public string? Message { get; init; }
    /// <summary>Do not rebase; the base must then already be an ancestor of the session branch.</summary>
    public bool NoRebase { get; init; }
    /// <summary>A command run through the platform shell in the worktree instead of moving the base.</summary>
    public string? PullRequestScript { get; init; }
    /// <summary>How long the pull request script may run (default 10 minutes).</summary>
    public TimeSpan? PullRequestScriptTimeout { get; init; }
}

/// <summary>One run of a pull request script.</summary>
public sealed record PullRequestScriptRun(string Command, int ExitCode, string StandardOutput, string StandardError, TimeSpan Duration);

/// <summary>What <c>merge</c> did.</summary>
public sealed record MergeResult
{
    public required Session Session { get; init; }
    /// <summary>How the base moved; null when the rebase stopped on conflicts and nothing was merged.</summary>
    public MergeMethod? Method { get; init; }
    public required string BaseBranch { get; init; }
    public required string OldBaseCommit { get; init; }
    /// <summary>The base branch's commit afterwards (unchanged for a pull request script or a conflict).</summary>
    public required string NewBaseCommit { get; init; }
    /// <summary>The worktree where <c>git merge --ff-only</c> ran (FastForwardInWorktree only).</summary>
    public string? MergedInWorktree { get; init; }
    public required string BackupRef { get; init; }
    public SquashResult? Squash { get; init; }
    public RebaseResult? Rebase { get; init; }
    public PullRequestScriptRun? PullRequestScript { get; init; }
    public bool Conflicted => Rebase?.Outcome == RebaseOutcome.Conflicted;
    public IReadOnlyList<string> ConflictedPaths => Rebase?.ConflictedPaths ?? [];
}

/// <summary>What <c>export</c> wrote.</summary>
public sealed record ExportResult
{
    public required Session Session { get; init; }
    public required string OutputPath { get; init; }
    /// <summary>One patch of the whole change (true) or one patch per session commit (false).</summary>
    public required bool Squashed { get; init; }
    public required int PatchCount { get; init; }
    public required int CommitCount { get; init; }
    /// <summary>The base commit the patch applies to.</summary>
    public required string MergeBase { get; init; }
    public required string Head { get; init; }
    public required IReadOnlyList<NameStatusEntry> Files { get; init; }
    /// <summary>Uncommitted changes in the worktree, which a patch of commits does not contain.</summary>
    public int UncommittedChangeCount { get; init; }
}

/// <summary>What <c>restore</c> did.</summary>
public sealed record RestoreResult
{
    public required Session Session { get; init; }
    /// <summary>The backup restored.</summary>
    public required SessionBackup Backup { get; init; }
    /// <summary>The backup of the state just before restoring, so the restore itself can be undone.</summary>
    public required string SafetyBackupRef { get; init; }
    public required string OldHead { get; init; }
    public required string NewHead { get; init; }
    /// <summary>The worktree and index came back from the backup's snapshot (else: clean at the branch tip).</summary>
    public required bool WorktreeFromSnapshot { get; init; }
}
