using System.Management.Automation;
using AmpSessions.Core.Jobs;

namespace AmpSessions.Module.Infrastructure;

/// <summary>
/// One stable Write-Progress activity id per activity (its key, else its name), so updates replace
/// each other, and the parent's id for a nested activity (a batch item under its batch).
/// Thread-safe: a job's children share one.
/// </summary>
internal sealed class ProgressActivityIds(int firstId = 1)
{
    private readonly Dictionary<string, int> ids = new(StringComparer.Ordinal);

    /// <summary>The record of <paramref name="progress"/>; a top-level activity gets <paramref name="topLevelParentId"/> as its parent.</summary>
    public ProgressRecord Record(RunProgress progress, int topLevelParentId = -1)
    {
        lock (ids)
        {
            var parent = progress.ParentKey is { } parentKey ? IdOf(parentKey) : topLevelParentId;
            return RunEventRecords.Progress(progress, IdOf(progress.Identity), parent);
        }
    }

    private int IdOf(string key)
    {
        if (!ids.TryGetValue(key, out var id))
        {
            id = firstId + ids.Count;
            ids[key] = id;
        }
        return id;
    }
}
