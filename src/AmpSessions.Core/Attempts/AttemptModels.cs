using AmpSessions.Core.Iterations;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Core.Attempts;

/// <summary>What `new --attempts N` needs: the session to make N times, and how the attempts differ.</summary>
public sealed record NewAttemptsRequest
{
    /// <summary>The task every attempt works on (repository, base, prompt, script, agent...).</summary>
    public required NewSessionRequest Session { get; init; }

    /// <summary>How many attempts (2 or more); with agents or modes and no count, one per entry.</summary>
    public int? Count { get; init; }

    /// <summary>Agents the attempts cycle through (attempt i uses entry i mod count); empty: the session's agent for all.</summary>
    public IReadOnlyList<string> Agents { get; init; } = [];

    /// <summary>Agent modes the attempts cycle through; empty: the session's mode for all.</summary>
    public IReadOnlyList<string> Modes { get; init; } = [];

    /// <summary>Run each attempt's first iteration (in parallel) before comparing; false only creates them.</summary>
    public bool Run { get; init; } = true;
}

/// <summary>One attempt as the comparison sees it.</summary>
public sealed record AttemptSummary
{
    public required string SessionId { get; init; }
    public required string Name { get; init; }
    public string? Agent { get; init; }
    public string? Mode { get; init; }
    public required SessionStatus Status { get; init; }
    public required int Iterations { get; init; }
    /// <summary>The last test script run's verdict; null when none ran.</summary>
    public bool? TestsPassed { get; init; }
    /// <summary>The tests pass on the base but fail here.</summary>
    public bool Regression { get; init; }
    public required int FilesChanged { get; init; }
    public required int ChangedLines { get; init; }
    public required long Tokens { get; init; }
    /// <summary>US dollars from the price table; null when no price applies.</summary>
    public decimal? CostUsd { get; init; }
    public required TimeSpan Duration { get; init; }
    /// <summary>The last iteration ended as it should (Succeeded).</summary>
    public bool Succeeded { get; init; }
    public bool Proposed { get; init; }
}

/// <summary>The attempts of one group side by side, and the one proposed.</summary>
public sealed record AttemptComparison
{
    public required string Group { get; init; }
    public required string Prompt { get; init; }
    /// <summary>The base's own test result (null: not run, no script, or no attempt failed).</summary>
    public bool? BaselinePassed { get; init; }
    public required IReadOnlyList<AttemptSummary> Attempts { get; init; }
    /// <summary>The attempt proposed; null when none is usable.</summary>
    public string? ProposedId { get; init; }
    /// <summary>Why that one, in a sentence.</summary>
    public required string Reason { get; init; }
    /// <summary>The session kept by Select-AmpAttempt / attempts --keep (others archived); null before.</summary>
    public string? KeptId { get; init; }
}

/// <summary>A finished iteration of one attempt, for live display while the attempts run.</summary>
public sealed record AttemptIterationFinished(string Group, IterationRecord Iteration);
