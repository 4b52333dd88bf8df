using AmpSessions.Core.Agents;
using System.Globalization;
using System.Text.Json;
using AmpSessions.Core.Batches;
using Microsoft.Data.Sqlite;
using static AmpSessions.Core.Storage.SessionStore;

namespace AmpSessions.Core.Storage;

/// <summary>The batches and batch_items tables: parameterised SQL only.</summary>
public sealed class BatchStore
{
    private const string BatchColumns =
        "id, name, file_path, file_text, content_hash, status, shard, concurrency, journal_path, total_items, created_at, started_at, ended_at, " +
        "process_id, process_started_at, host_name, stop_requested_at, message";

    private const string ItemColumns =
        "batch_id, item_id, agent_id, task_id, task_type, prompt, prompt_index, repository, case_id, status, attempts, session_id, started_at, ended_at, " +
        "duration_ms, iterations, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, cost_usd, model, tools_json, files_changed, " +
        "grading_exit_code, error, log_path, grade_json";

    private readonly Database database;

    public BatchStore(Database database) => this.database = database;

    /// <summary>
    /// Holds the database open for a run, so each item's short writes stay cheap: no WAL checkpoint per
    /// write (<see cref="Database.KeepOpen"/>) and connections reused by every item (<see cref="Database.ShareConnection"/>).
    /// </summary>
    public IDisposable KeepOpen() => new RunScope(database.ShareConnection(), database.KeepOpen());

    private sealed class RunScope(IDisposable shared, IDisposable keptOpen) : IDisposable
    {
        public void Dispose()
        {
            // The kept connections close first, then the one that spares the checkpoints.
            shared.Dispose();
            keptOpen.Dispose();
        }
    }

    /// <summary>Writes the batch and one Pending row per item, all or nothing.</summary>
    public void Insert(BatchRecord batch, IReadOnlyList<BatchItem> items) => database.Transaction((connection, transaction) =>
    {
        using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = $"INSERT INTO batches ({BatchColumns}) VALUES ($id, $name, $file_path, $file_text, $content_hash, $status, $shard, $concurrency, " +
                "$journal_path, $total_items, $created_at, $started_at, $ended_at, $process_id, $process_started_at, $host_name, $stop_requested_at, $message)";
            var p = command.Parameters;
            p.AddWithValue("$id", batch.Id);
            p.AddWithValue("$name", batch.Name);
            p.AddWithValue("$file_path", batch.FilePath);
            p.AddWithValue("$file_text", batch.FileText);
            p.AddWithValue("$content_hash", batch.ContentHash);
            p.AddWithValue("$status", batch.Status.ToString());
            p.AddWithValue("$shard", DbValue(batch.Shard?.ToString()));
            p.AddWithValue("$concurrency", DbValue(batch.Concurrency));
            p.AddWithValue("$journal_path", batch.JournalPath);
            p.AddWithValue("$total_items", batch.TotalItems);
            p.AddWithValue("$created_at", FormatTime(batch.CreatedAt));
            p.AddWithValue("$started_at", Time(batch.StartedAt));
            p.AddWithValue("$ended_at", Time(batch.EndedAt));
            p.AddWithValue("$process_id", DbValue(batch.ProcessId));
            p.AddWithValue("$process_started_at", Time(batch.ProcessStartedAt));
            p.AddWithValue("$host_name", DbValue(batch.HostName));
            p.AddWithValue("$stop_requested_at", Time(batch.StopRequestedAt));
            p.AddWithValue("$message", DbValue(batch.Message));
            command.ExecuteNonQuery();
        }
        using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = "INSERT INTO batch_items (batch_id, item_id, position, agent_id, task_id, task_type, prompt, prompt_index, repository, case_id, status) " +
            "VALUES ($batch_id, $item_id, $position, $agent_id, $task_id, $task_type, $prompt, $prompt_index, $repository, $case_id, $status)";
        var parameters = new[] { "$batch_id", "$item_id", "$position", "$agent_id", "$task_id", "$task_type", "$prompt", "$prompt_index", "$repository", "$case_id", "$status" }
            .Select(name => insert.Parameters.Add(new SqliteParameter { ParameterName = name })).ToArray();
        insert.Prepare();
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            object?[] values = [batch.Id, item.Id, i, item.AgentId, item.TaskId, item.TaskType.ToString(), item.Prompt, DbValue(item.PromptIndex),
                DbValue(item.Repository), DbValue(item.CaseId), nameof(BatchItemStatus.Pending)];
            for (var v = 0; v < values.Length; v++)
            {
                parameters[v].Value = values[v] ?? DBNull.Value;
            }
            insert.ExecuteNonQuery();
        }
        return 0;
    });

    public BatchRecord? Get(string id) => QueryBatches("WHERE id=$p", id).FirstOrDefault();

    /// <summary>Batches whose id starts with the text or whose name equals it, newest first.</summary>
    public IReadOnlyList<BatchRecord> FindByIdPrefixOrName(string text) =>
        QueryBatches("WHERE substr(id, 1, length($p)) = $p OR name = $p ORDER BY created_at DESC", text);

    public IReadOnlyList<BatchRecord> List() => QueryBatches("ORDER BY created_at DESC, id", null);

    /// <summary>Item counts by status for every batch (one query).</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<BatchItemStatus, int>> CountsByBatch() => database.Execute(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT batch_id, status, count(*) FROM batch_items GROUP BY batch_id, status";
        var counts = new Dictionary<string, Dictionary<BatchItemStatus, int>>(StringComparer.Ordinal);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var batch = reader.GetString(0);
            if (!counts.TryGetValue(batch, out var byStatus))
            {
                counts[batch] = byStatus = [];
            }
            byStatus[Enum.Parse<BatchItemStatus>(reader.GetString(1))] = reader.GetInt32(2);
        }
        return (IReadOnlyDictionary<string, IReadOnlyDictionary<BatchItemStatus, int>>)counts.ToDictionary(c => c.Key, c => (IReadOnlyDictionary<BatchItemStatus, int>)c.Value, StringComparer.Ordinal);
    });

    /// <summary>The batch's items in expansion order, with their latest results.</summary>
    public IReadOnlyList<BatchItemResult> Items(string batchId) => database.Execute(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {ItemColumns} FROM batch_items WHERE batch_id=$b ORDER BY position";
        command.Parameters.AddWithValue("$b", batchId);
        var items = new List<BatchItemResult>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            items.Add(ReadItem(reader));
        }
        return items;
    });

    /// <summary>
    /// Takes the batch for this process: refuses (returns the current row) when another live
    /// process holds it, else marks it Running with our process and clears any old stop request.
    /// </summary>
    public (bool Claimed, BatchRecord Current) Claim(string id, Func<BatchRecord, bool> heldByLiveProcess, BatchRecord owner, DateTimeOffset now) =>
        database.Transaction((connection, transaction) =>
        {
            var current = ReadBatch(connection, transaction, id) ?? throw new InvalidOperationException($"batch {id} vanished");
            if (current.Status == BatchStatus.Running && heldByLiveProcess(current))
            {
                return (false, current);
            }
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "UPDATE batches SET status=$status, started_at=coalesce(started_at, $now), ended_at=NULL, process_id=$pid, " +
                "process_started_at=$pstart, host_name=$host, stop_requested_at=NULL, message=NULL WHERE id=$id";
            command.Parameters.AddWithValue("$status", nameof(BatchStatus.Running));
            command.Parameters.AddWithValue("$now", FormatTime(now));
            command.Parameters.AddWithValue("$pid", DbValue(owner.ProcessId));
            command.Parameters.AddWithValue("$pstart", Time(owner.ProcessStartedAt));
            command.Parameters.AddWithValue("$host", DbValue(owner.HostName));
            command.Parameters.AddWithValue("$id", id);
            command.ExecuteNonQuery();
            return (true, ReadBatch(connection, transaction, id)!);
        });

    /// <summary>Ends a run: the final status, when, and why; the process no longer holds the batch.</summary>
    public void Finish(string id, BatchStatus status, DateTimeOffset endedAt, string? message) => Update(
        "UPDATE batches SET status=$status, ended_at=$ended, message=$message, process_id=NULL, process_started_at=NULL WHERE id=$id",
        ("$status", status.ToString()), ("$ended", FormatTime(endedAt)), ("$message", DbValue(message)), ("$id", id));

    /// <summary>Asks the process running the batch to stop (it polls for this).</summary>
    public void RequestStop(string id, DateTimeOffset at) => Update(
        "UPDATE batches SET stop_requested_at=coalesce(stop_requested_at, $at) WHERE id=$id", ("$at", FormatTime(at)), ("$id", id));

    public bool IsStopRequested(string id) => database.Execute(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT stop_requested_at IS NOT NULL FROM batches WHERE id=$id";
        command.Parameters.AddWithValue("$id", id);
        return Convert.ToInt64(command.ExecuteScalar() ?? 0L, CultureInfo.InvariantCulture) == 1;
    });

    /// <summary>An attempt starts: the row says Running before the agent does anything.</summary>
    public void MarkItemRunning(string batchId, string itemId, int attempt, DateTimeOffset startedAt) => Update(
        "UPDATE batch_items SET status=$status, attempts=$attempts, started_at=$started WHERE batch_id=$b AND item_id=$i",
        ("$status", nameof(BatchItemStatus.Running)), ("$attempts", attempt), ("$started", FormatTime(startedAt)), ("$b", batchId), ("$i", itemId));

    /// <summary>Items left Running by a process that died go back to Pending (their attempt never finished).</summary>
    public void ResetInterruptedItems(string batchId) => Update(
        "UPDATE batch_items SET status=$pending WHERE batch_id=$b AND status=$running",
        ("$pending", nameof(BatchItemStatus.Pending)), ("$running", nameof(BatchItemStatus.Running)), ("$b", batchId));

    /// <summary>Writes an item's result over its row.</summary>
    public void RecordItem(BatchItemResult r) => Update(
        "UPDATE batch_items SET status=$status, attempts=$attempts, session_id=$session, started_at=$started, ended_at=$ended, duration_ms=$duration, " +
        "iterations=$iterations, input_tokens=$in, output_tokens=$out, cache_creation_tokens=$cc, cache_read_tokens=$cr, cost_usd=$cost, model=$model, " +
        "tools_json=$tools, files_changed=$files, grading_exit_code=$grade, error=$error, log_path=$log, grade_json=$grade_json WHERE batch_id=$b AND item_id=$i",
        ("$status", r.Status.ToString()), ("$attempts", r.Attempts), ("$session", DbValue(r.SessionId)), ("$started", Time(r.StartedAt)),
        ("$ended", Time(r.EndedAt)), ("$duration", (long)r.Duration.TotalMilliseconds), ("$iterations", r.Iterations),
        ("$in", r.Tokens.Input), ("$out", r.Tokens.Output), ("$cc", r.Tokens.CacheCreation), ("$cr", r.Tokens.CacheRead),
        ("$cost", DbValue(r.CostUsd?.ToString(CultureInfo.InvariantCulture))), ("$model", DbValue(r.Model)),
        ("$tools", Serialization.JsonOutput.Serialize(r.ToolCalls, Serialization.JsonOutput.Compact)), ("$files", r.FilesChanged), ("$grade", DbValue(r.GradingExitCode)),
        ("$error", DbValue(r.Error)), ("$log", DbValue(r.LogPath)),
        ("$grade_json", r.Grade is null ? null : Serialization.JsonOutput.Serialize(r.Grade, Serialization.JsonOutput.Compact)), ("$b", r.BatchId), ("$i", r.ItemId));

    private void Update(string sql, params (string Name, object? Value)[] parameters) => database.Execute(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
        return command.ExecuteNonQuery();
    });

    private IReadOnlyList<BatchRecord> QueryBatches(string tail, string? parameter) => database.Execute(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {BatchColumns} FROM batches {tail}";
        if (parameter is not null)
        {
            command.Parameters.AddWithValue("$p", parameter);
        }
        var batches = new List<BatchRecord>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            batches.Add(ReadBatch(reader));
        }
        return (IReadOnlyList<BatchRecord>)batches;
    });

    private static BatchRecord? ReadBatch(SqliteConnection connection, SqliteTransaction transaction, string id)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT {BatchColumns} FROM batches WHERE id=$id";
        command.Parameters.AddWithValue("$id", id);
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadBatch(reader) : null;
    }

    private static BatchRecord ReadBatch(SqliteDataReader r) => new()
    {
        Id = r.GetString(0),
        Name = r.GetString(1),
        FilePath = r.GetString(2),
        FileText = r.GetString(3),
        ContentHash = r.GetString(4),
        Status = Enum.Parse<BatchStatus>(r.GetString(5)),
        Shard = r.IsDBNull(6) ? null : BatchShard.ParseStored(r.GetString(6)),
        Concurrency = r.IsDBNull(7) ? null : r.GetInt32(7),
        JournalPath = r.GetString(8),
        TotalItems = r.GetInt32(9),
        CreatedAt = ParseTime(r.GetString(10)),
        StartedAt = OptionalTime(r, 11),
        EndedAt = OptionalTime(r, 12),
        ProcessId = r.IsDBNull(13) ? null : r.GetInt32(13),
        ProcessStartedAt = OptionalTime(r, 14),
        HostName = r.IsDBNull(15) ? null : r.GetString(15),
        StopRequestedAt = OptionalTime(r, 16),
        Message = r.IsDBNull(17) ? null : r.GetString(17),
    };

    private static BatchItemResult ReadItem(SqliteDataReader r) => new()
    {
        BatchId = r.GetString(0),
        ItemId = r.GetString(1),
        AgentId = r.GetString(2),
        TaskId = r.GetString(3),
        TaskType = Enum.Parse<BatchTaskType>(r.GetString(4)),
        Prompt = r.GetString(5),
        PromptIndex = r.IsDBNull(6) ? null : r.GetInt32(6),
        Repository = r.IsDBNull(7) ? null : r.GetString(7),
        CaseId = r.IsDBNull(8) ? null : r.GetString(8),
        Status = Enum.Parse<BatchItemStatus>(r.GetString(9)),
        Attempts = r.GetInt32(10),
        SessionId = r.IsDBNull(11) ? null : r.GetString(11),
        StartedAt = OptionalTime(r, 12),
        EndedAt = OptionalTime(r, 13),
        Duration = TimeSpan.FromMilliseconds(r.GetInt64(14)),
        Iterations = r.GetInt32(15),
        Tokens = new TokenUsage { Input = r.GetInt64(16), Output = r.GetInt64(17), CacheCreation = r.GetInt64(18), CacheRead = r.GetInt64(19) },
        CostUsd = r.IsDBNull(20) ? null : decimal.Parse(r.GetString(20), CultureInfo.InvariantCulture),
        Model = r.IsDBNull(21) ? null : r.GetString(21),
        ToolCalls = Serialization.JsonOutput.Deserialize<Dictionary<string, int>>(r.GetString(22), Serialization.JsonOutput.Compact) ?? [],
        FilesChanged = r.GetInt32(23),
        GradingExitCode = r.IsDBNull(24) ? null : r.GetInt32(24),
        Error = r.IsDBNull(25) ? null : r.GetString(25),
        LogPath = r.IsDBNull(26) ? null : r.GetString(26),
        Grade = r.IsDBNull(27) ? null : Serialization.JsonOutput.Deserialize<Evaluation.InstanceGrade>(r.GetString(27), Serialization.JsonOutput.Compact),
    };

    private static DateTimeOffset? OptionalTime(SqliteDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : ParseTime(r.GetString(ordinal));

    private static object Time(DateTimeOffset? time) => time is { } t ? FormatTime(t) : DBNull.Value;

    private static object DbValue<T>(T? value) => value is null ? DBNull.Value : value;
}
