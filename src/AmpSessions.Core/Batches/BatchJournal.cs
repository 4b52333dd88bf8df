using System.Text;
using System.Text.Json;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Serialization;

namespace AmpSessions.Core.Batches;

/// <summary>The first line of a journal: which batch (and shard) the item lines belong to.</summary>
public sealed record BatchJournalHeader
{
    public const string RecordName = "batch";

    /// <summary>Marks the header line ("batch"); item lines have no record field.</summary>
    public string Record { get; init; } = RecordName;

    public required string BatchId { get; init; }
    public required string Name { get; init; }
    public required string FilePath { get; init; }

    /// <summary>SHA-256 of the batch file: journals merge only when it matches.</summary>
    public required string ContentHash { get; init; }

    public BatchShard? Shard { get; init; }

    /// <summary>Items this journal is expected to hold (its shard's).</summary>
    public required IReadOnlyList<string> ItemIds { get; init; }

    /// <summary>Items in the whole (unsharded) batch.</summary>
    public required int AllItems { get; init; }

    public IReadOnlyList<BatchMetric> Metrics { get; init; } = BatchMetricsSettings.AllMetrics;
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>The batch's budget for this run (file and command line); null when it has none.</summary>
    public Budgets.Budget? Budget { get; init; }
}

/// <summary>
/// The append-only record of finished items, one JSON object per line after a header line. Each
/// append is one write plus an fsync (O(1), whatever the journal's length), so a killed process
/// loses at most the line it was writing; a torn last line is ignored when read and cut off before
/// appending again.
/// </summary>
public sealed class BatchJournal : IDisposable
{
    private readonly FileStream stream;
    private readonly object gate = new();

    private BatchJournal(string path, FileStream stream)
    {
        Path = path;
        this.stream = stream;
    }

    public string Path { get; }

    /// <summary>Starts a new journal with its header; the file must not exist.</summary>
    public static BatchJournal Create(string path, BatchJournalHeader header)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        var stream = new FileStream(path, Storage.PrivateFiles.CreateOptions(FileMode.CreateNew, FileShare.Read, bufferSize: 1));
        var journal = new BatchJournal(path, stream);
        journal.WriteLine(Serialization.JsonOutput.SerializeToUtf8Bytes(header, JsonOutput.Compact));
        return journal;
    }

    /// <summary>Writes a whole journal at once (a merge result): the header line, then one line per item.</summary>
    public static void WriteAll(TextWriter writer, BatchJournalHeader header, IEnumerable<BatchItemResult> items)
    {
        writer.Write(Serialization.JsonOutput.Serialize(header, JsonOutput.Compact));
        writer.Write('\n');
        foreach (var item in items)
        {
            writer.Write(Serialization.JsonOutput.Serialize(item, JsonOutput.Compact));
            writer.Write('\n');
        }
    }

    /// <summary>Opens an existing journal for more items (resume), cutting off a torn last line first.</summary>
    public static BatchJournal OpenForAppend(string path)
    {
        if (!File.Exists(path))
        {
            throw new AmpSessionsException("AmpBatchJournalMissing", ErrorKind.NotFound,
                $"The batch journal '{path}' is gone, so what finished is unknown", path,
                remedy: $"restore it, or start the batch again with {Invocation.Of(Operation.RunBatch, null, new Argument(Parameter.Path, "<file>"))}");
        }
        var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read, bufferSize: 1);
        stream.SetLength(CompleteLength(stream));
        stream.Seek(0, SeekOrigin.End);
        return new BatchJournal(path, stream);
    }

    /// <summary>Appends one finished item and forces it to disk before returning.</summary>
    public void Append(BatchItemResult result) => WriteLine(Serialization.JsonOutput.SerializeToUtf8Bytes(result, JsonOutput.Compact));

    private void WriteLine(byte[] json)
    {
        lock (gate)
        {
            stream.Write(json);
            stream.WriteByte((byte)'\n');
            stream.Flush(flushToDisk: true);
        }
    }

    public void Dispose() => stream.Dispose();

    /// <summary>The length up to and including the last newline.</summary>
    private static long CompleteLength(FileStream stream)
    {
        var buffer = new byte[4096];
        var end = stream.Length;
        while (end > 0)
        {
            var start = Math.Max(0, end - buffer.Length);
            var count = (int)(end - start);
            stream.Seek(start, SeekOrigin.Begin);
            stream.ReadExactly(buffer, 0, count);
            var newline = Array.LastIndexOf(buffer, (byte)'\n', count - 1, count);
            if (newline >= 0)
            {
                return start + newline + 1;
            }
            end = start;
        }
        return 0;
    }

    /// <summary>Reads a journal: its header and every item line, in order.</summary>
    public static BatchJournalContents Read(string path)
    {
        var fullPath = System.IO.Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new AmpSessionsException("AmpBatchJournalNotFound", ErrorKind.NotFound, $"The journal '{fullPath}' does not exist: check the path.", fullPath);
        }
        var lines = File.ReadAllText(fullPath, Encoding.UTF8).Split('\n');
        BatchJournalHeader? header = null;
        var records = new List<BatchItemResult>();
        // The last element is what follows the final newline: empty, or a line torn by a kill.
        for (var i = 0; i < lines.Length - 1; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.Length == 0)
            {
                continue;
            }
            try
            {
                using var document = JsonDocument.Parse(line);
                if (document.RootElement.TryGetProperty("record", out var record) && record.GetString() == BatchJournalHeader.RecordName)
                {
                    header ??= JsonOutput.Deserialize<BatchJournalHeader>(document.RootElement, JsonOutput.Compact);
                }
                else if (JsonOutput.Deserialize<BatchItemResult>(document.RootElement, JsonOutput.Compact) is { } result)
                {
                    records.Add(result);
                }
            }
            catch (JsonException ex)
            {
                throw new AmpSessionsException("AmpBatchJournalCorrupt", ErrorKind.InvalidOperation,
                    $"Line {i + 1} of the journal '{fullPath}' is not a journal record ({ex.Message}): was the file edited? Restore it from the batch's data folder.", fullPath, ex);
            }
        }
        if (header is null)
        {
            throw new AmpSessionsException("AmpBatchJournalCorrupt", ErrorKind.InvalidOperation,
                $"'{fullPath}' has no batch header line, so it is not a batch journal: pass a journal.jsonl written by `batch run` or `batch merge`.", fullPath);
        }
        return new BatchJournalContents(fullPath, header, records);
    }
}

/// <summary>What a journal holds.</summary>
public sealed record BatchJournalContents(string Path, BatchJournalHeader Header, IReadOnlyList<BatchItemResult> Records)
{
    /// <summary>One result per item: the finished record if there is one, else the last record.</summary>
    public IReadOnlyList<BatchItemResult> Latest() => BatchResults.Fold(Records, Path);
}

/// <summary>Folding item records into one result per item (resume, merge and reports use it).</summary>
public static class BatchResults
{
    /// <summary>
    /// The finished record of each item if it has one, else its last record; order of first
    /// appearance. An item finished twice means it ran to completion twice: an error naming it.
    /// </summary>
    public static IReadOnlyList<BatchItemResult> Fold(IEnumerable<BatchItemResult> records, string source)
    {
        var byItem = new Dictionary<string, BatchItemResult>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var record in records)
        {
            if (!byItem.TryGetValue(record.ItemId, out var existing))
            {
                byItem[record.ItemId] = record;
                order.Add(record.ItemId);
                continue;
            }
            if (existing.Status.IsFinished() && record.Status.IsFinished())
            {
                throw new AmpSessionsException("AmpBatchItemFinishedTwice", ErrorKind.InvalidOperation,
                    $"Item {record.ItemId} ({record.AgentId} × {record.TaskId}) finished twice in {source}: the journals overlap (the same shard given twice?). Give each shard's journal once.", record.ItemId);
            }
            if (!existing.Status.IsFinished())
            {
                byItem[record.ItemId] = record;
            }
        }
        return order.Select(id => byItem[id]).ToList();
    }
}
