using AmpSessions.Core.Git;

namespace AmpSessions.Core.Sessions;

/// <summary>What <c>new</c> needs.</summary>
public sealed record NewSessionRequest
{
    public required string RepoPath { get; init; }
    /// <summary>The branch to start from; null: the branch checked out in the main worktree.</summary>
    public string? BaseBranch { get; init; }
    public required string Name { get; init; }
    public required string Prompt { get; init; }
    public string? ScriptCommand { get; init; }
    /// <summary>The shell for the script: sh, bash, pwsh, cmd; null: the platform's (/bin/sh, cmd on Windows).</summary>
    public string? ScriptShell { get; init; }
    public string? ModelOverride { get; init; }
    public string? AgentMode { get; init; }
    /// <summary>An explicit branch name instead of amp/&lt;slug&gt;/&lt;time&gt;; it must not exist yet.</summary>
    public string? BranchName { get; init; }
    /// <summary>A commit (or tag) to start from instead of the base branch's tip, e.g. an evaluation case's base.</summary>
    public string? StartPoint { get; init; }
    public string? Notes { get; init; }
    public string? BatchId { get; init; }
    /// <summary>The agent (amp, claude, amp:&lt;command&gt;, ...); null: the default.</summary>
    public string? Agent { get; init; }
    public TimeSpan? Timeout { get; init; }
    public bool AllowAllTools { get; init; }
    public IReadOnlyList<string> AllowedTools { get; init; } = [];
    public string? McpConfig { get; init; }
    public IReadOnlyList<string> ToolboxPaths { get; init; } = [];
    public IReadOnlyDictionary<string, string> AgentEnvironment { get; init; } = new Dictionary<string, string>();
    public bool NotificationsEnabled { get; init; } = true;
    /// <summary>The environment to run in; null: the configured default (see docs/CONFIGURATION.md).</summary>
    public string? Environment { get; init; }
    /// <summary>The permission preset; null: the agent profile's, the environment's or the configured default.</summary>
    public string? Preset { get; init; }
    /// <summary>MCP servers by name, on top of the agent profile's.</summary>
    public IReadOnlyList<string> McpServers { get; init; } = [];
    /// <summary>The setup command for the new worktree instead of the configured one (a template's).</summary>
    public string? Setup { get; init; }
    /// <summary>Skill folders, on top of the agent profile's.</summary>
    public IReadOnlyList<string> Skills { get; init; } = [];
    /// <summary>Run no setup command in the new worktree.</summary>
    public bool SkipSetup { get; init; }
    /// <summary>The best-of-N group the session is an attempt of.</summary>
    public string? AttemptGroup { get; init; }
    /// <summary>What the session may spend; see <see cref="Budgets.Budget"/>.</summary>
    // Generated JSON metadata (.NET 8) sets an init-only property missing from the JSON to null rather than keeping
    // its initializer: a session read from partial JSON (a view sample, a script's hashtable) still has no budget.
    public Budgets.Budget Budget { get => budget; init => budget = value ?? Budgets.Budget.None; }

    private readonly Budgets.Budget budget = Budgets.Budget.None;
    /// <summary>The guard lets the agent push.</summary>
    public bool AllowPush { get; init; }
}

/// <summary>A session with the live state of its branch and worktree.</summary>
public sealed record SessionState
{
    public required Session Session { get; init; }
    public required bool WorktreePresent { get; init; }
    public required bool BranchPresent { get; init; }
    public string? CurrentBranch { get; init; }
    public string? Head { get; init; }
    public string? BaseHead { get; init; }
    public string? MergeBase { get; init; }
    /// <summary>Commits on the session branch that the base does not have.</summary>
    public int Ahead { get; init; }
    /// <summary>Commits on the base that the session branch does not have.</summary>
    public int Behind { get; init; }
    public IReadOnlyList<StatusEntry> ChangedFiles { get; init; } = [];
    public bool HasUncommittedChanges => ChangedFiles.Count > 0;
    public bool RebaseInProgress { get; init; }
    public IReadOnlyList<string> ConflictedPaths { get; init; } = [];
    /// <summary>What the session has spent, when it has a budget (cost only where a price applies).</summary>
    public Budgets.BudgetSpending? BudgetSpent { get; init; }
    /// <summary>What the session's iterations cost in US dollars, by its configuration's prices; null when no price applies.</summary>
    public decimal? CostUsd { get; init; }
}

/// <summary>Which changes a diff shows.</summary>
public enum DiffScope
{
    /// <summary>Everything since the merge-base with the base branch: commits, staged, unstaged and untracked.</summary>
    All,
    /// <summary>The index against HEAD.</summary>
    Staged,
    /// <summary>The working tree (untracked files included) against the index.</summary>
    Unstaged,
}

/// <summary>Choosing a <see cref="DiffScope"/> from the staged/unstaged switches every front end offers.</summary>
public static class DiffScopes
{
    /// <summary>Staged, unstaged, or (neither) everything; both at once is a usage error.</summary>
    public static DiffScope FromSwitches(bool staged, bool unstaged) => (staged, unstaged) switch
    {
        (true, true) => throw new Errors.AmpSessionsException("AmpUsageConflictingOptions", Errors.ErrorKind.InvalidArgument,
            "Staged and unstaged cannot be combined: choose one, or neither to see everything."),
        (true, false) => DiffScope.Staged,
        (false, true) => DiffScope.Unstaged,
        _ => DiffScope.All,
    };
}

/// <summary>A session's changes, file by file and hunk by hunk, with the patch text.</summary>
public sealed record SessionDiff
{
    public required string SessionId { get; init; }
    public required DiffScope Scope { get; init; }
    public required IReadOnlyList<FileDiff> Files { get; init; }
    public required string Patch { get; init; }
    /// <summary>Only paths and kinds of change were read (-NameOnly / --name-only): no lines, so no line counts.</summary>
    public bool NameOnly { get; init; }
    public int AddedLineCount => Files.Sum(f => f.AddedLineCount);
    public int RemovedLineCount => Files.Sum(f => f.RemovedLineCount);
}

/// <summary>A commit made in a session's worktree.</summary>
public sealed record CommitResult
{
    public required string SessionId { get; init; }
    public required string Commit { get; init; }
    public required string Subject { get; init; }
    public required IReadOnlyList<NameStatusEntry> Files { get; init; }
}

/// <summary>What <c>open</c> started.</summary>
public sealed record OpenResult(string SessionId, string Path, string Program, IReadOnlyList<string> Arguments, int ProcessId);

/// <summary>What <c>cleanup</c> did.</summary>
public sealed record CleanupResult
{
    public required Session Session { get; init; }
    public bool WorktreeRemoved { get; init; }
    public bool BranchDeleted { get; init; }
    /// <summary>The backup kept before a forced cleanup, if one was needed.</summary>
    public string? BackupRef { get; init; }
    public int PurgedRefCount { get; init; }
}
