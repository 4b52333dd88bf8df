using AmpSessions.Core.Agents;

namespace AmpSessions.Core.Iterations;

/// <summary>How an iteration ended.</summary>
public enum IterationStatus
{
    Running,
    Succeeded,
    /// <summary>The agent reported an error.</summary>
    Failed,
    /// <summary>A tool needed approval: a person must decide.</summary>
    AwaitingInput,
    NotLoggedIn,
    ServerUnreachable,
    TimedOut,
    Cancelled,
    /// <summary>The agent ended without a result, or the orchestrating process died.</summary>
    Crashed,
    /// <summary>A budget was reached during the turn: the agent was stopped and what it did committed.</summary>
    BudgetExceeded,
}

/// <summary>One agent turn of a session, with what it cost and what it changed.</summary>
public sealed record IterationRecord
{
    public long Id { get; init; }
    public required string SessionId { get; init; }
    public required int Number { get; init; }
    public required string Prompt { get; init; }
    public string? Notes { get; init; }
    public string? Agent { get; init; }
    public string? Model { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? EndedAt { get; init; }
    public TimeSpan? Duration { get; init; }
    public required IterationStatus Status { get; init; }
    public string? Error { get; init; }
    /// <summary>The one-line summary used in the commit subject.</summary>
    public string? Summary { get; init; }
    public string? ThreadId { get; init; }
    public TokenUsage Tokens { get; init; }
    public IReadOnlyDictionary<string, int> ToolCalls { get; init; } = new Dictionary<string, int>();
    /// <summary>The amp: commit this iteration made, if it changed anything.</summary>
    public string? CommitSha { get; init; }
    public IReadOnlyList<string> ChangedFiles { get; init; } = [];
    public long? ScriptRunId { get; init; }
    /// <summary>The test script's verdict; null when no script ran.</summary>
    public bool? ScriptPassed { get; init; }
    public string? TranscriptPath { get; init; }
    /// <summary>Lines the agent wrote that were not stream-json (recorded, never fatal), redacted.</summary>
    public IReadOnlyList<string> ProtocolWarnings { get; init; } = [];
    /// <summary>
    /// What the product noticed and did after the turn, in sentences: the agent left the session
    /// branch and the work was brought back, a submodule change could not be committed, a commit was
    /// held back because it held a secret.
    /// </summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
    /// <summary>
    /// What of the user's main checkout changed while the agent ran (paths; HEAD and the base branch's ref
    /// by name), null when nothing did. Such a session is Blocked until acknowledged.
    /// </summary>
    public IReadOnlyList<string>? MainCheckoutTouched { get; init; }
    /// <summary>When a person acknowledged the main-checkout change (`amp-sessions ack`).</summary>
    public DateTimeOffset? MainCheckoutAcknowledgedAt { get; init; }
    /// <summary>Every decision the guard made on the turn's tool calls, in order.</summary>
    public IReadOnlyList<Containment.GuardDecision> GuardDecisions { get; init; } = [];
    /// <summary>Why the guard was off for this turn (another agent, the configuration, no delegate program); null when it was on.</summary>
    public string? GuardOff { get; init; }
    /// <summary>The environment the turn ran in.</summary>
    public string? Environment { get; init; }
    /// <summary>The permission preset of the turn, if any.</summary>
    public string? Preset { get; init; }
    /// <summary>The permission rules the agent got, in order ("allow Bash cmd=git *", "allow every tool (--dangerously-allow-all)").</summary>
    public IReadOnlyList<string> Permissions { get; init; } = [];

    /// <summary>
    /// The iteration's tests against the session's test baseline, regressions first; null without a
    /// baseline or a test run. Not stored: readers fill it in (Evaluation.TestBaselines.WithTestChanges).
    /// </summary>
    public Evaluation.BaselineComparison? TestChanges { get; init; }

    public int FilesChanged => ChangedFiles.Count;
    public long TotalTokens => Tokens.Total;
}
