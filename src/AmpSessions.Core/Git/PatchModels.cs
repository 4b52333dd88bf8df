namespace AmpSessions.Core.Git;

/// <summary>What a line of a hunk is.</summary>
public enum DiffLineKind
{
    Context,
    Added,
    Removed,
    /// <summary>"\ No newline at end of file".</summary>
    NoNewlineMarker,
}

/// <summary>One line of a hunk, with its line numbers on each side where it has one.</summary>
public sealed record DiffLine(DiffLineKind Kind, string Text, int? OldLineNumber, int? NewLineNumber);

/// <summary>One <c>@@ -a,b +c,d @@</c> block.</summary>
public sealed record DiffHunk
{
    public required string Header { get; init; }
    public required int OldStart { get; init; }
    public required int OldLineCount { get; init; }
    public required int NewStart { get; init; }
    public required int NewLineCount { get; init; }
    public required IReadOnlyList<DiffLine> Lines { get; init; }
}

/// <summary>One file of a patch.</summary>
public sealed record FileDiff
{
    public required string Path { get; init; }
    public string? OldPath { get; init; }
    public required FileChangeKind Change { get; init; }
    public bool IsBinary { get; init; }
    public IReadOnlyList<DiffHunk> Hunks { get; init; } = [];
    /// <summary>Read with --name-only: the path and kind of change, no hunks and so no line counts.</summary>
    public bool NameOnly { get; init; }
    public int AddedLineCount => Hunks.Sum(h => h.Lines.Count(l => l.Kind == DiffLineKind.Added));
    public int RemovedLineCount => Hunks.Sum(h => h.Lines.Count(l => l.Kind == DiffLineKind.Removed));
}
