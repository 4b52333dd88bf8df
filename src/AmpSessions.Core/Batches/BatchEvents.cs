namespace AmpSessions.Core.Batches;

/// <summary>
/// What a running batch reports. Events arrive on worker threads, one at a time per item but from
/// several items at once: a consumer must be thread-safe (the CLI's progress display, the module's
/// Write-Progress marshalled to the pipeline thread).
/// </summary>
public abstract record BatchEvent(string BatchId);

/// <summary>A run (new or resumed) begins: <paramref name="Remaining"/> of <paramref name="Total"/> items will run.</summary>
public sealed record BatchStarted(string BatchId, string Name, int Total, int Remaining, int Concurrency, BatchShard? Shard) : BatchEvent(BatchId);

/// <summary>An item finished (or was cancelled): <paramref name="Completed"/> of <paramref name="Total"/> are done for good.</summary>
public sealed record BatchProgress(string BatchId, int Completed, int Total, int Passed, int Failed) : BatchEvent(BatchId);

/// <summary>An item started an attempt, is waiting to retry, or ended.</summary>
public sealed record ItemStatusChanged(string BatchId, BatchItem Item, BatchItemStatus Status, int Attempt, string? Message) : BatchEvent(BatchId)
{
    /// <summary>True while waiting out the backoff before another attempt.</summary>
    public bool Retrying { get; init; }
}

/// <summary>The run ended: every item done, stopped, or cancelled.</summary>
public sealed record BatchFinished(string BatchId, BatchStatus Status, int Completed, int Total) : BatchEvent(BatchId);
