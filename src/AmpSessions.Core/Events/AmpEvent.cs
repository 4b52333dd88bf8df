using System.Text.Json.Nodes;

namespace AmpSessions.Core.Events;

/// <summary>
/// Something that happened to a session, a batch or the merge queue, as other tools see it: one
/// JSON object per event (`amp-sessions events --follow --json`), a PowerShell engine event
/// (<c>AmpSessions.&lt;Type&gt;</c>) and, when configured, a webhook POST. <see cref="Id"/> grows
/// with every event recorded in the data directory, so a reader can resume after the last one it saw.
/// </summary>
public sealed record AmpEvent
{
    /// <summary>The event's place in the data directory's log (0 before it is recorded).</summary>
    public long Id { get; init; }

    /// <summary>One of <see cref="AmpEventTypes"/>.</summary>
    public required string Type { get; init; }

    public required DateTimeOffset Time { get; init; }
    public string? SessionId { get; init; }
    public string? BatchId { get; init; }

    /// <summary>One line for people.</summary>
    public required string Message { get; init; }

    /// <summary>The event's facts (statuses, counts, paths), camelCase names.</summary>
    public JsonObject Data { get; init; } = [];

    /// <summary>The PowerShell engine event source identifier: AmpSessions.&lt;Type&gt;.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string SourceIdentifier => AmpEventTypes.SourcePrefix + Type;
}

/// <summary>The event types, stable names other tools rely on.</summary>
public static class AmpEventTypes
{
    /// <summary>Engine events are named AmpSessions.&lt;Type&gt;.</summary>
    public const string SourcePrefix = "AmpSessions.";

    public const string SessionCreated = "SessionCreated";
    public const string StatusChanged = "StatusChanged";
    public const string IterationStarted = "IterationStarted";
    public const string IterationFinished = "IterationFinished";
    public const string TestsFinished = "TestsFinished";
    public const string Conflict = "Conflict";
    public const string Merged = "Merged";
    public const string BudgetReached = "BudgetReached";
    public const string MainCheckoutTouched = "MainCheckoutTouched";
    public const string Acknowledged = "Acknowledged";
    public const string GuardDenied = "GuardDenied";
    public const string QueueFinished = "QueueFinished";
    public const string AttemptsCompared = "AttemptsCompared";
    public const string AttemptSelected = "AttemptSelected";
    public const string BatchStarted = "BatchStarted";
    public const string BatchProgress = "BatchProgress";
    public const string BatchItemFinished = "BatchItemFinished";
    public const string BatchFinished = "BatchFinished";

    /// <summary>The types, each checked: an unknown one is a usage error that lists the known ones.</summary>
    public static IReadOnlyList<string> Checked(IEnumerable<string>? types)
    {
        var list = types?.ToList() ?? [];
        if (list.FirstOrDefault(t => !All.Contains(t)) is { } unknown)
        {
            throw new Errors.AmpSessionsException("AmpUsageEventTypeUnknown", Errors.ErrorKind.InvalidArgument, $"Unknown event type '{unknown}'", unknown,
                remedy: $"use one of {string.Join(", ", All)}");
        }
        return list;
    }

    /// <summary>Every type, for completion and validation of filters.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        SessionCreated, StatusChanged, IterationStarted, IterationFinished, TestsFinished, Conflict, Merged, BudgetReached,
        MainCheckoutTouched, Acknowledged, GuardDenied, QueueFinished, AttemptsCompared, AttemptSelected,
        BatchStarted, BatchProgress, BatchItemFinished, BatchFinished,
    ];
}
