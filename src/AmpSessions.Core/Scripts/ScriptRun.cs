namespace AmpSessions.Core.Scripts;

/// <summary>How a test script run ended.</summary>
public enum ScriptRunStatus
{
    Running,
    /// <summary>Exit code 0.</summary>
    Passed,
    /// <summary>Any other exit code, or killed by a signal.</summary>
    Failed,
    TimedOut,
    Cancelled,
}

/// <summary>One run of a session's script command.</summary>
public sealed record ScriptRun
{
    public long Id { get; init; }
    public required string SessionId { get; init; }
    public long? IterationId { get; init; }
    public required string Command { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? EndedAt { get; init; }
    public TimeSpan? Duration { get; init; }
    public int? ExitCode { get; init; }
    public required ScriptRunStatus Status { get; init; }
    /// <summary>The full output (stdout and stderr interleaved, redacted).</summary>
    public string? OutputPath { get; init; }
    /// <summary>The last lines of the output.</summary>
    public string? OutputTail { get; init; }
    public bool Passed => Status == ScriptRunStatus.Passed;
}
