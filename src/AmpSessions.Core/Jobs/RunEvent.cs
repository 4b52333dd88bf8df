using AmpSessions.Core.Errors;

namespace AmpSessions.Core.Jobs;

/// <summary>What a run reports while it works; front ends map each kind to their own stream.</summary>
public enum RunEventKind
{
    /// <summary>How far the run is (PowerShell: a progress record).</summary>
    Progress,
    /// <summary>Detail for people who asked for it (PowerShell: verbose).</summary>
    Verbose,
    /// <summary>Something worth telling (PowerShell: information).</summary>
    Information,
    /// <summary>Something that went wrong without stopping the run.</summary>
    Warning,
    /// <summary>A result object produced before the run ends.</summary>
    Output,
    /// <summary>A failed item that did not stop the run (PowerShell: a non-terminating error).</summary>
    Error,
}

/// <summary>The state of one progress activity.</summary>
public sealed record RunProgress
{
    public required string Activity { get; init; }
    public required string Status { get; init; }
    /// <summary>0 to 100, or null when the run cannot tell.</summary>
    public int? PercentComplete { get; init; }
    public string? CurrentOperation { get; init; }
    /// <summary>The activity is over (PowerShell: a Completed progress record).</summary>
    public bool IsCompleted { get; init; }
    /// <summary>What identifies the activity when its name is not unique (one per batch item); null: the activity name.</summary>
    public string? Key { get; init; }
    /// <summary>The key of the activity this one is a part of (a batch for its items); null: a top-level activity.</summary>
    public string? ParentKey { get; init; }
    /// <summary>The key front ends tell activities apart by.</summary>
    public string Identity => Key ?? Activity;
}

/// <summary>One event of a run, in the order the run reported it.</summary>
public sealed record RunEvent
{
    public required RunEventKind Kind { get; init; }
    public required DateTimeOffset Time { get; init; }
    /// <summary>The text of a Verbose, Information or Warning event.</summary>
    public string? Message { get; init; }
    public RunProgress? Progress { get; init; }
    /// <summary>The object of an Output event.</summary>
    public object? Output { get; init; }
    /// <summary>The failure of an Error event.</summary>
    public AmpSessionsException? Error { get; init; }
}
