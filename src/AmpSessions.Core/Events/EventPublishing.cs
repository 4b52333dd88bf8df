using AmpSessions.Core.Batches;
using AmpSessions.Core.Integration;
using AmpSessions.Core.Iterations;
using AmpSessions.Core.Scripts;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Core.Events;

/// <summary>
/// The events of the session, iteration, integration and batch code, each composed here so the
/// place that reports one is a single call.
/// </summary>
public static class EventPublishing
{
    public static void SessionCreated(this EventLog log, Session session) =>
        log.Publish(AmpEventTypes.SessionCreated, $"Created session {session.Id} \"{session.Name}\" on {session.BranchName} from {session.BaseBranch}.",
            session.Id, session.BatchId, EventLog.Data(("name", session.Name), ("repoRoot", session.RepoRoot), ("baseBranch", session.BaseBranch),
                ("branch", session.BranchName), ("worktree", session.WorktreePath), ("attemptGroup", session.AttemptGroup)));

    public static void IterationStarted(this EventLog log, Session session, IterationRecord iteration) =>
        log.Publish(AmpEventTypes.IterationStarted, $"Iteration {iteration.Number} of session {session.Id} started with {iteration.Agent}.",
            session.Id, session.BatchId, EventLog.Data(("number", iteration.Number), ("agent", iteration.Agent)));

    public static void IterationFinished(this EventLog log, Session session, IterationRecord iteration) =>
        log.Publish(AmpEventTypes.IterationFinished,
            $"Iteration {iteration.Number} of session {session.Id} ended {iteration.Status}{(iteration.Error is null ? "" : ": " + iteration.Error)}.",
            session.Id, session.BatchId, EventLog.Data(("number", iteration.Number), ("status", iteration.Status), ("error", iteration.Error),
                ("commit", iteration.CommitSha), ("filesChanged", iteration.FilesChanged), ("tokens", iteration.TotalTokens),
                ("durationMs", (long?)iteration.Duration?.TotalMilliseconds), ("testsPassed", iteration.ScriptPassed)));

    public static void TestsFinished(this EventLog log, Session session, ScriptRun run) =>
        log.Publish(AmpEventTypes.TestsFinished, $"The test script of session {session.Id} {run.Status.ToString().ToLowerInvariant()}{(run.ExitCode is { } code ? $" (exit {code})" : "")}.",
            session.Id, session.BatchId, EventLog.Data(("command", run.Command), ("status", run.Status), ("passed", run.Passed), ("exitCode", run.ExitCode),
                ("durationMs", (long?)run.Duration?.TotalMilliseconds)));

    public static void Conflict(this EventLog log, Session session, string onto, IReadOnlyList<string> paths) =>
        log.Publish(AmpEventTypes.Conflict, $"Rebasing session {session.Id} onto {onto} stopped on conflicts in {string.Join(", ", paths.Take(5))}{(paths.Count > 5 ? $" and {paths.Count - 5} more" : "")}.",
            session.Id, session.BatchId, EventLog.Data(("onto", onto), ("paths", paths)));

    public static void Merged(this EventLog log, MergeResult merge) =>
        log.Publish(AmpEventTypes.Merged, $"Session {merge.Session.Id} merged into {merge.BaseBranch} ({merge.Method}).",
            merge.Session.Id, merge.Session.BatchId, EventLog.Data(("baseBranch", merge.BaseBranch), ("method", merge.Method),
                ("oldBaseCommit", merge.OldBaseCommit), ("newBaseCommit", merge.NewBaseCommit), ("backupRef", merge.BackupRef)));

    /// <summary>A batch's progress as events: start, each finished item, the counts after it, the end.</summary>
    public static void Batch(this EventLog log, BatchEvent e)
    {
        switch (e)
        {
            case BatchStarted started:
                log.Publish(AmpEventTypes.BatchStarted, $"Batch {started.BatchId} \"{started.Name}\" started: {started.Remaining} of {started.Total} items to run, {started.Concurrency} at a time.",
                    batchId: started.BatchId, data: EventLog.Data(("name", started.Name), ("total", started.Total), ("remaining", started.Remaining),
                        ("concurrency", started.Concurrency), ("shard", started.Shard?.ToString())));
                break;
            case ItemStatusChanged { Retrying: false } item when item.Status.IsFinished() || item.Status == BatchItemStatus.Cancelled:
                log.Publish(AmpEventTypes.BatchItemFinished, $"Batch {item.BatchId}: {item.Item.Label} {item.Status}{(item.Message is null ? "" : ": " + item.Message)}.",
                    batchId: item.BatchId, data: EventLog.Data(("itemId", item.Item.Id), ("agent", item.Item.AgentId), ("task", item.Item.TaskId),
                        ("status", item.Status), ("attempt", item.Attempt), ("message", item.Message)));
                break;
            case BatchProgress progress:
                log.Publish(AmpEventTypes.BatchProgress, $"Batch {progress.BatchId}: {progress.Completed} of {progress.Total} done, {progress.Passed} passed.",
                    batchId: progress.BatchId, data: EventLog.Data(("completed", progress.Completed), ("total", progress.Total), ("passed", progress.Passed), ("failed", progress.Failed)));
                break;
            case BatchFinished finished:
                log.Publish(AmpEventTypes.BatchFinished, $"Batch {finished.BatchId} {finished.Status}: {finished.Completed} of {finished.Total} items finished.",
                    batchId: finished.BatchId, data: EventLog.Data(("status", finished.Status), ("completed", finished.Completed), ("total", finished.Total)));
                break;
        }
    }

    /// <summary>Reports batch events to <paramref name="inner"/> and records them in the log.</summary>
    public static IProgress<BatchEvent> Recording(this EventLog log, IProgress<BatchEvent>? inner) => new RecordingProgress(log, inner);

    private sealed class RecordingProgress(EventLog log, IProgress<BatchEvent>? inner) : IProgress<BatchEvent>
    {
        public void Report(BatchEvent value)
        {
            log.Batch(value);
            inner?.Report(value);
        }
    }
}
