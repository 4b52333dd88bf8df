namespace AmpSessions.Core.Git;

/// <summary>One entry of <c>git worktree list --porcelain -z</c>.</summary>
public sealed record GitWorktree
{
    public required string Path { get; init; }
    public string? Head { get; init; }
    /// <summary>Full ref name (refs/heads/x), or null when detached or bare.</summary>
    public string? Branch { get; init; }
    public bool IsBare { get; init; }
    public bool IsDetached { get; init; }
    public bool IsLocked { get; init; }
    public bool IsPrunable { get; init; }

    public string? BranchName => Branch is { } b && b.StartsWith("refs/heads/", StringComparison.Ordinal) ? b["refs/heads/".Length..] : Branch;
}

/// <summary>What kind of line of <c>git status --porcelain=v2</c> an entry came from.</summary>
public enum StatusEntryKind
{
    Changed,
    Renamed,
    Unmerged,
    Untracked,
    Ignored,
}

/// <summary>One path in <c>git status --porcelain=v2 -z</c>.</summary>
public sealed record StatusEntry(StatusEntryKind Kind, char IndexStatus, char WorkTreeStatus, string Path, string? OriginalPath = null)
{
    public bool IsStaged => Kind is StatusEntryKind.Changed or StatusEntryKind.Renamed && IndexStatus != '.';
    public bool IsUnstaged => Kind is StatusEntryKind.Changed or StatusEntryKind.Renamed && WorkTreeStatus != '.';
}

/// <summary>The parsed result of <c>git status --porcelain=v2 --branch -z</c>.</summary>
public sealed record GitStatus
{
    public string? HeadCommit { get; init; }
    public string? Branch { get; init; }
    public IReadOnlyList<StatusEntry> Entries { get; init; } = [];

    public bool IsClean => Entries.All(e => e.Kind == StatusEntryKind.Ignored);
    public bool HasUnmerged => Entries.Any(e => e.Kind == StatusEntryKind.Unmerged);
    public IEnumerable<StatusEntry> Changes => Entries.Where(e => e.Kind != StatusEntryKind.Ignored);
}

/// <summary>How a file changed between two trees (git's name-status letters).</summary>
public enum FileChangeKind
{
    Added,
    Modified,
    Deleted,
    Renamed,
    Copied,
    TypeChanged,
    Unmerged,
    Unknown,
}

/// <summary>One line of <c>git diff --name-status -z</c>.</summary>
public sealed record NameStatusEntry(FileChangeKind Change, string Path, string? OriginalPath = null, int? Similarity = null)
{
    public static FileChangeKind KindFromLetter(char letter) => letter switch
    {
        'A' => FileChangeKind.Added,
        'M' => FileChangeKind.Modified,
        'D' => FileChangeKind.Deleted,
        'R' => FileChangeKind.Renamed,
        'C' => FileChangeKind.Copied,
        'T' => FileChangeKind.TypeChanged,
        'U' => FileChangeKind.Unmerged,
        _ => FileChangeKind.Unknown,
    };
}

/// <summary>Where a working tree's repository lives, read in one <c>git rev-parse</c> call.</summary>
public sealed record WorkingTreeFacts(string CommonDir, string GitDir, string TopLevel, string HeadCommit)
{
    /// <summary>The main working tree has the common git directory as its own; a linked worktree has .git/worktrees/&lt;name&gt;.</summary>
    public bool IsMainWorktree => string.Equals(CommonDir, GitDir, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
}
