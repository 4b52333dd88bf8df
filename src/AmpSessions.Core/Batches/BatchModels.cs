using AmpSessions.Core.Agents;
namespace AmpSessions.Core.Batches;

/// <summary>Where a batch is.</summary>
public enum BatchStatus
{
    /// <summary>Recorded, not started.</summary>
    Pending,
    /// <summary>A process is running its items.</summary>
    Running,
    /// <summary>Every item (of its shard) finished; some may have failed.</summary>
    Completed,
    /// <summary>Stopped on request; `batch resume` runs what did not finish.</summary>
    Cancelled,
    /// <summary>The process running it died (killed, crashed); `batch resume` runs what did not finish.</summary>
    Interrupted,
}

/// <summary>Where one item is; the last five are final for a run, and all but Cancelled are never run again.</summary>
public enum BatchItemStatus
{
    Pending,
    Running,
    /// <summary>The agent succeeded and the script or grading command (if any) exited 0.</summary>
    Passed,
    /// <summary>The agent succeeded but the script or grading command failed.</summary>
    Failed,
    /// <summary>The agent or the machinery failed (agent error, bad repository, crash).</summary>
    Error,
    /// <summary>Killed at the per-item time limit.</summary>
    TimedOut,
    /// <summary>Stopped by `batch stop` (or Ctrl+C) before it finished; resume runs it again.</summary>
    Cancelled,
}

public static class BatchItemStatuses
{
    /// <summary>Finished for good: resume skips it and it never runs again.</summary>
    public static bool IsFinished(this BatchItemStatus status) =>
        status is BatchItemStatus.Passed or BatchItemStatus.Failed or BatchItemStatus.Error or BatchItemStatus.TimedOut;
}

/// <summary>
/// One unit of work: an agent on a task's prompt and repository, or on an evaluation case. The id
/// is a hash of what identifies it as written in the file, so it is the same on every machine.
/// </summary>
public sealed record BatchItem
{
    public required string Id { get; init; }
    public required string AgentId { get; init; }
    public required string TaskId { get; init; }
    public required BatchTaskType TaskType { get; init; }
    public required string Prompt { get; init; }

    /// <summary>0-based position of the prompt in a batch task; for an evaluation item the sample number when the task takes several samples per case, else null.</summary>
    public int? PromptIndex { get; init; }

    /// <summary>The repository as written in the batch file, or the case's id for an evaluation case.</summary>
    public string? Repository { get; init; }

    /// <summary>The repository folder, absolute.</summary>
    public required string RepositoryPath { get; init; }

    public string? CaseId { get; init; }

    /// <summary>The branch or commit the session starts from; null: the repository's checked-out branch.</summary>
    public string? Base { get; init; }

    /// <summary>Batch items: the session's test script; evaluation items: the grading command.</summary>
    public string? ScriptCommand { get; init; }

    /// <summary>"agent × task" and the repository or case, for progress lines.</summary>
    public string Label => $"{AgentId} × {TaskId}{(CaseId ?? Repository) switch { null => "", var where => $" ({where}{(PromptIndex is { } p ? $" #{p + 1}" : "")})" }}";
}

/// <summary>The record of one item's run: what the journal holds per line, the store per row and reports per entry.</summary>
public sealed record BatchItemResult
{
    public required string BatchId { get; init; }
    public required string ItemId { get; init; }
    public required string AgentId { get; init; }
    public required string TaskId { get; init; }
    public required BatchTaskType TaskType { get; init; }
    public required string Prompt { get; init; }
    public int? PromptIndex { get; init; }
    public string? Repository { get; init; }
    public string? CaseId { get; init; }
    public required BatchItemStatus Status { get; init; }
    public int Attempts { get; init; }
    public string? SessionId { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>The last attempt's run time.</summary>
    public TimeSpan Duration { get; init; }

    public int Iterations { get; init; }
    public TokenUsage Tokens { get; init; } = TokenUsage.Zero;

    /// <summary>US dollars, from the price table; null when no price applies.</summary>
    public decimal? CostUsd { get; init; }

    public string? Model { get; init; }

    /// <summary>Tool calls by tool name.</summary>
    public IReadOnlyDictionary<string, int> ToolCalls { get; init; } = new Dictionary<string, int>();

    public int FilesChanged { get; init; }
    public int? GradingExitCode { get; init; }

    /// <summary>Evaluation items: the SWE-bench-style grade (resolution, each listed test's outcome, the model's patch).</summary>
    public Evaluation.InstanceGrade? Grade { get; init; }

    public string? Error { get; init; }

    /// <summary>The last attempt's log file, absolute.</summary>
    public string? LogPath { get; init; }

    /// <summary>The record of an item that has not run yet; a run's result is this with its outcome.</summary>
    public static BatchItemResult NotRun(string batchId, BatchItem item) => new()
    {
        BatchId = batchId,
        ItemId = item.Id,
        AgentId = item.AgentId,
        TaskId = item.TaskId,
        TaskType = item.TaskType,
        Prompt = item.Prompt,
        PromptIndex = item.PromptIndex,
        Repository = item.Repository,
        CaseId = item.CaseId,
        Status = BatchItemStatus.Pending,
    };
}

/// <summary>A batch as the store keeps it.</summary>
public sealed record BatchRecord
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required string FilePath { get; init; }

    /// <summary>The batch file's text when the batch was created: resume runs exactly that, even if the file changed since.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string FileText { get; init; } = "";

    public required string ContentHash { get; init; }
    public required BatchStatus Status { get; init; }
    public BatchShard? Shard { get; init; }

    /// <summary>A --concurrency given on the command line (it wins over the file's).</summary>
    public int? Concurrency { get; init; }

    public required string JournalPath { get; init; }

    /// <summary>Items in this batch (its shard only, when sharded).</summary>
    public required int TotalItems { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>The process running the batch (while Running).</summary>
    public int? ProcessId { get; init; }

    public DateTimeOffset? ProcessStartedAt { get; init; }
    public string? HostName { get; init; }
    public DateTimeOffset? StopRequestedAt { get; init; }
    public string? Message { get; init; }
}

/// <summary>A batch with its item counts, for list and status.</summary>
public sealed record BatchSummary
{
    public required BatchRecord Batch { get; init; }
    public required IReadOnlyDictionary<BatchItemStatus, int> Counts { get; init; }

    [System.Text.Json.Serialization.JsonIgnore]
    public string Id => Batch.Id;

    [System.Text.Json.Serialization.JsonIgnore]
    public BatchStatus Status => Batch.Status;

    public int Total => Batch.TotalItems;
    public int Finished => Counts.Where(c => c.Key.IsFinished()).Sum(c => c.Value);
    public int Passed => Counts.GetValueOrDefault(BatchItemStatus.Passed);
}
