using AmpSessions.Core.Errors;
using AmpSessions.Core.Storage;

namespace AmpSessions.Core.Batches;

/// <summary>Shard journals combined into one result set.</summary>
public sealed record MergedJournal
{
    public required BatchJournalHeader Header { get; init; }
    public required IReadOnlyList<BatchItemResult> Items { get; init; }
    public required IReadOnlyList<string> Sources { get; init; }

    /// <summary>Items of the whole batch that no journal covers (a shard not given, or never run).</summary>
    public required int MissingItems { get; init; }

    /// <summary>Items a journal covers that did not finish (cancelled, interrupted, not run).</summary>
    public int Unfinished => Header.ItemIds.Count - Items.Count(i => i.Status.IsFinished());

    /// <summary>The file the merged journal was written to; null when it went to a text writer.</summary>
    public string? JournalPath { get; init; }
}

/// <summary>
/// Merges journals of one batch file (typically its shards, run on separate machines) into one
/// journal that reports read like any other. Journals must come from the same file (same hash);
/// an item finished in two of them is an error, since it would count twice.
/// </summary>
public static class BatchMerge
{
    public static MergedJournal Combine(IReadOnlyList<string> journalPaths)
    {
        if (journalPaths is null || journalPaths.Count == 0)
        {
            throw new AmpSessionsException("AmpUsageNoJournals", ErrorKind.InvalidArgument,
                "No journals given: pass the journal.jsonl files of the shards to merge.");
        }
        var journals = journalPaths.Select(BatchJournal.Read).ToList();
        var first = journals[0];
        var stranger = journals.FirstOrDefault(j => j.Header.ContentHash != first.Header.ContentHash);
        if (stranger is not null)
        {
            throw new AmpSessionsException("AmpBatchJournalsMismatch", ErrorKind.InvalidArgument,
                $"'{stranger.Path}' comes from a different batch file than '{first.Path}' (or the file changed between runs): merge only journals of the same batch file.", stranger.Path);
        }
        var duplicate = journals.GroupBy(j => j.Path, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new AmpSessionsException("AmpUsageJournalGivenTwice", ErrorKind.InvalidArgument,
                $"'{duplicate.Key}' is given twice: give each journal once.", duplicate.Key);
        }
        var source = string.Join(", ", journals.Select(j => Path.GetFileName(Path.GetDirectoryName(j.Path)) + "/" + Path.GetFileName(j.Path)));
        var items = BatchResults.Fold(journals.SelectMany(j => j.Latest()), source);
        var itemIds = journals.SelectMany(j => j.Header.ItemIds).Distinct(StringComparer.Ordinal).ToList();
        var batchIds = journals.Select(j => j.Header.BatchId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var header = new BatchJournalHeader
        {
            // A merge of one batch keeps its id; a merge of several gets an id derived from theirs, the same every time.
            BatchId = batchIds.Count == 1 ? batchIds[0] : "merged-" + BatchExpansion.ItemId([.. batchIds])[..8],
            Name = first.Header.Name,
            FilePath = first.Header.FilePath,
            ContentHash = first.Header.ContentHash,
            Shard = null,
            ItemIds = itemIds,
            AllItems = first.Header.AllItems,
            Metrics = first.Header.Metrics,
            CreatedAt = journals.Min(j => j.Header.CreatedAt),
            Budget = first.Header.Budget,
        };
        return new MergedJournal
        {
            Header = header,
            Items = items,
            Sources = journals.Select(j => j.Path).ToList(),
            MissingItems = Math.Max(0, first.Header.AllItems - itemIds.Count),
        };
    }

    /// <summary>Writes the merged journal to a file (replacing it) or, with no path, to <paramref name="fallback"/>; returns it with where it went.</summary>
    public static MergedJournal Write(MergedJournal merged, string? outputPath, TextWriter fallback)
    {
        ArgumentNullException.ThrowIfNull(merged);
        if (outputPath is null)
        {
            BatchJournal.WriteAll(fallback, merged.Header, merged.Items);
            return merged;
        }
        var fullPath = Path.GetFullPath(outputPath);
        if (merged.Sources.Contains(fullPath, StringComparer.Ordinal))
        {
            throw new AmpSessionsException("AmpUsageOutputIsInput", ErrorKind.InvalidArgument,
                $"--output '{fullPath}' is one of the journals being merged: write the merge to another file.", fullPath);
        }
        AtomicFile.Write(fullPath, writer => BatchJournal.WriteAll(writer, merged.Header, merged.Items), "AmpMergeUnwritable");
        return merged with { JournalPath = fullPath };
    }
}
