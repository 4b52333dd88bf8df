using AmpSessions.Core.Agents;
using AmpSessions.Core.Iterations;

namespace AmpSessions.Core.Timeline;

/// <summary>Whether a timeline entry is a commit (with or without an iteration) or an iteration that made no commit.</summary>
public enum TimelineEntryKind
{
    Commit,
    Iteration,
}

/// <summary>The test verdict shown on a timeline entry.</summary>
public enum TestResult
{
    NotRun,
    Passed,
    Failed,
}

/// <summary>One row of a session's timeline.</summary>
public sealed record TimelineEntry
{
    public required TimelineEntryKind Kind { get; init; }
    public required DateTimeOffset Time { get; init; }
    public string? Commit { get; init; }
    public string? ShortHash => Commit is { Length: >= 7 } c ? c[..7] : Commit;
    public required string Subject { get; init; }
    public string? Author { get; init; }
    public IReadOnlyList<string> Files { get; init; } = [];
    public int? IterationNumber { get; init; }
    public IterationStatus? IterationStatus { get; init; }
    public TokenUsage Tokens { get; init; }
    public long TotalTokens => Tokens.Total;
    public TimeSpan? Duration { get; init; }
    public TestResult TestResult { get; init; }
    /// <summary>The iteration's tests against the session's test baseline, regressions first; null without one.</summary>
    public Evaluation.BaselineComparison? TestChanges { get; init; }
    /// <summary>What the guard decided on the iteration's tool calls.</summary>
    public IReadOnlyList<Containment.GuardDecision> GuardDecisions { get; init; } = [];
    public int GuardDenials => GuardDecisions.Count(d => d.Verdict == Containment.GuardVerdict.Deny);
    /// <summary>What of the main checkout changed during the iteration, if anything.</summary>
    public IReadOnlyList<string>? MainCheckoutTouched { get; init; }
}
