using System.Text.Json;
using AmpSessions.Core.Agents;
using AmpSessions.Core.Iterations;
using AmpSessions.Core.Scripts;
using Microsoft.Data.Sqlite;

namespace AmpSessions.Core.Storage;

/// <summary>The iterations and script_runs tables.</summary>
public sealed class IterationStore
{
    private const string IterationColumns =
        "id, session_id, number, prompt, notes, agent, model, started_at, ended_at, duration_ms, status, error, summary, thread_id, " +
        "input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, tool_calls, commit_sha, changed_files, script_run_id, script_passed, transcript_path, " +
        "protocol_warnings, main_checkout_touched, main_checkout_acknowledged_at, warnings, guard_decisions, guard_off, environment, preset, permissions";

    private const string ScriptColumns = "id, session_id, iteration_id, command, started_at, ended_at, duration_ms, exit_code, status, output_path, output_tail";

    private readonly Database database;

    public IterationStore(Database database) => this.database = database;

    /// <summary>
    /// Inserts the iteration with the next number for its session (in one transaction) and returns it with id and number;
    /// <paramref name="complete"/> fills in what depends on the number (the transcript's path) before the row is written,
    /// so the row is whole from the start, in one write.
    /// </summary>
    public IterationRecord InsertNext(IterationRecord iteration, Func<IterationRecord, IterationRecord>? complete = null) =>
        database.Transaction((connection, transaction) => InsertNextWithin(connection, transaction, iteration, complete));

    /// <summary><see cref="InsertNext"/> inside a caller's transaction, with rows that must be written with it or not at all.</summary>
    internal static IterationRecord InsertNextWithin(SqliteConnection connection, SqliteTransaction transaction, IterationRecord iteration,
        Func<IterationRecord, IterationRecord>? complete)
    {
        using var next = connection.CreateCommand();
        next.Transaction = transaction;
        next.CommandText = "SELECT COALESCE(MAX(number), 0) + 1 FROM iterations WHERE session_id = $s";
        next.Parameters.AddWithValue("$s", iteration.SessionId);
        var numbered = iteration with { Number = Convert.ToInt32(next.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) };
        numbered = complete?.Invoke(numbered) ?? numbered;
        using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = $"INSERT INTO iterations ({IterationColumns[4..]}) VALUES ($session_id, $number, $prompt, $notes, $agent, $model, $started_at, $ended_at, " +
            "$duration_ms, $status, $error, $summary, $thread_id, $input_tokens, $output_tokens, $cache_creation_tokens, $cache_read_tokens, $tool_calls, " +
            "$commit_sha, $changed_files, $script_run_id, $script_passed, $transcript_path, $protocol_warnings, $main_checkout_touched, $main_checkout_acknowledged_at, $warnings, $guard_decisions, $guard_off, $environment, $preset, $permissions) RETURNING id";
        BindIteration(insert, numbered);
        return numbered with { Id = Convert.ToInt64(insert.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) };
    }

    public void Update(IterationRecord iteration) => database.Execute(connection => UpdateWithin(connection, null, iteration));

    /// <summary><see cref="Update"/> inside a caller's transaction, with rows that must be written with it or not at all.</summary>
    internal static int UpdateWithin(SqliteConnection connection, SqliteTransaction? transaction, IterationRecord iteration)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "UPDATE iterations SET prompt=$prompt, notes=$notes, agent=$agent, model=$model, started_at=$started_at, ended_at=$ended_at, " +
            "duration_ms=$duration_ms, status=$status, error=$error, summary=$summary, thread_id=$thread_id, input_tokens=$input_tokens, " +
            "output_tokens=$output_tokens, cache_creation_tokens=$cache_creation_tokens, cache_read_tokens=$cache_read_tokens, tool_calls=$tool_calls, " +
            "commit_sha=$commit_sha, changed_files=$changed_files, script_run_id=$script_run_id, script_passed=$script_passed, transcript_path=$transcript_path, " +
            "protocol_warnings=$protocol_warnings, main_checkout_touched=$main_checkout_touched, main_checkout_acknowledged_at=$main_checkout_acknowledged_at, warnings=$warnings, " +
            "guard_decisions=$guard_decisions, guard_off=$guard_off, environment=$environment, preset=$preset, permissions=$permissions " +
            "WHERE id=$id";
        BindIteration(command, iteration);
        command.Parameters.AddWithValue("$id", iteration.Id);
        return command.ExecuteNonQuery();
    }

    /// <summary>The session's iterations, oldest first.</summary>
    public IReadOnlyList<IterationRecord> List(string sessionId) => database.Execute(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {IterationColumns} FROM iterations WHERE session_id=$s ORDER BY number";
        command.Parameters.AddWithValue("$s", sessionId);
        var list = new List<IterationRecord>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            list.Add(ReadIteration(reader));
        }
        return list;
    });

    /// <summary>One iteration by id, or null (one row read, however many iterations the session has).</summary>
    public IterationRecord? Get(long id) => database.Execute(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {IterationColumns} FROM iterations WHERE id=$id";
        command.Parameters.AddWithValue("$id", id);
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadIteration(reader) : null;
    });

    public ScriptRun InsertScriptRun(ScriptRun run) => database.Execute(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"INSERT INTO script_runs ({ScriptColumns[4..]}) VALUES ($session_id, $iteration_id, $command, $started_at, $ended_at, $duration_ms, " +
            "$exit_code, $status, $output_path, $output_tail) RETURNING id";
        BindScript(command, run);
        return run with { Id = Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) };
    });

    public void UpdateScriptRun(ScriptRun run) => database.Execute(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE script_runs SET iteration_id=$iteration_id, command=$command, started_at=$started_at, ended_at=$ended_at, " +
            "duration_ms=$duration_ms, exit_code=$exit_code, status=$status, output_path=$output_path, output_tail=$output_tail WHERE id=$id";
        BindScript(command, run);
        command.Parameters.AddWithValue("$id", run.Id);
        return command.ExecuteNonQuery();
    });

    /// <summary>The session's script runs, oldest first.</summary>
    public IReadOnlyList<ScriptRun> ListScriptRuns(string sessionId) => ReadScriptRuns(sessionId, "ORDER BY id");

    /// <summary>The session's latest script run, or null (one row read).</summary>
    public ScriptRun? LastScriptRun(string sessionId) => ReadScriptRuns(sessionId, "ORDER BY id DESC LIMIT 1").FirstOrDefault();

    private IReadOnlyList<ScriptRun> ReadScriptRuns(string sessionId, string order) => database.Execute(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {ScriptColumns} FROM script_runs WHERE session_id=$s {order}";
        command.Parameters.AddWithValue("$s", sessionId);
        var list = new List<ScriptRun>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            list.Add(new ScriptRun
            {
                Id = reader.GetInt64(0),
                SessionId = reader.GetString(1),
                IterationId = reader.IsDBNull(2) ? null : reader.GetInt64(2),
                Command = reader.GetString(3),
                StartedAt = SessionStore.ParseTime(reader.GetString(4)),
                EndedAt = reader.IsDBNull(5) ? null : SessionStore.ParseTime(reader.GetString(5)),
                Duration = reader.IsDBNull(6) ? null : TimeSpan.FromMilliseconds(reader.GetInt64(6)),
                ExitCode = reader.IsDBNull(7) ? null : reader.GetInt32(7),
                Status = Enum.Parse<ScriptRunStatus>(reader.GetString(8)),
                OutputPath = reader.IsDBNull(9) ? null : reader.GetString(9),
                OutputTail = reader.IsDBNull(10) ? null : reader.GetString(10),
            });
        }
        return list;
    });

    private static void BindIteration(SqliteCommand command, IterationRecord i)
    {
        var p = command.Parameters;
        p.AddWithValue("$session_id", i.SessionId);
        p.AddWithValue("$number", i.Number);
        p.AddWithValue("$prompt", i.Prompt);
        p.AddWithValue("$notes", (object?)i.Notes ?? DBNull.Value);
        p.AddWithValue("$agent", (object?)i.Agent ?? DBNull.Value);
        p.AddWithValue("$model", (object?)i.Model ?? DBNull.Value);
        p.AddWithValue("$started_at", SessionStore.FormatTime(i.StartedAt));
        p.AddWithValue("$ended_at", i.EndedAt is { } end ? SessionStore.FormatTime(end) : DBNull.Value);
        p.AddWithValue("$duration_ms", i.Duration is { } d ? (long)d.TotalMilliseconds : DBNull.Value);
        p.AddWithValue("$status", i.Status.ToString());
        p.AddWithValue("$error", (object?)i.Error ?? DBNull.Value);
        p.AddWithValue("$summary", (object?)i.Summary ?? DBNull.Value);
        p.AddWithValue("$thread_id", (object?)i.ThreadId ?? DBNull.Value);
        p.AddWithValue("$input_tokens", i.Tokens.Input);
        p.AddWithValue("$output_tokens", i.Tokens.Output);
        p.AddWithValue("$cache_creation_tokens", i.Tokens.CacheCreation);
        p.AddWithValue("$cache_read_tokens", i.Tokens.CacheRead);
        p.AddWithValue("$tool_calls", Serialization.JsonOutput.Serialize(i.ToolCalls, Serialization.JsonOutput.Compact));
        p.AddWithValue("$commit_sha", (object?)i.CommitSha ?? DBNull.Value);
        p.AddWithValue("$changed_files", Serialization.JsonOutput.Serialize(i.ChangedFiles, Serialization.JsonOutput.Compact));
        p.AddWithValue("$script_run_id", (object?)i.ScriptRunId ?? DBNull.Value);
        p.AddWithValue("$script_passed", i.ScriptPassed is { } passed ? (passed ? 1 : 0) : DBNull.Value);
        p.AddWithValue("$transcript_path", (object?)i.TranscriptPath ?? DBNull.Value);
        p.AddWithValue("$protocol_warnings", Serialization.JsonOutput.Serialize(i.ProtocolWarnings, Serialization.JsonOutput.Compact));
        p.AddWithValue("$main_checkout_touched", i.MainCheckoutTouched is { } touched ? Serialization.JsonOutput.Serialize(touched, Serialization.JsonOutput.Compact) : DBNull.Value);
        p.AddWithValue("$main_checkout_acknowledged_at", i.MainCheckoutAcknowledgedAt is { } ack ? SessionStore.FormatTime(ack) : DBNull.Value);
        p.AddWithValue("$warnings", Serialization.JsonOutput.Serialize(i.Warnings, Serialization.JsonOutput.Compact));
        p.AddWithValue("$guard_decisions", Serialization.JsonOutput.Serialize(i.GuardDecisions, Serialization.JsonOutput.Compact));
        p.AddWithValue("$guard_off", (object?)i.GuardOff ?? DBNull.Value);
        p.AddWithValue("$environment", (object?)i.Environment ?? DBNull.Value);
        p.AddWithValue("$preset", (object?)i.Preset ?? DBNull.Value);
        p.AddWithValue("$permissions", Serialization.JsonOutput.Serialize(i.Permissions, Serialization.JsonOutput.Compact));
    }

    private static IterationRecord ReadIteration(SqliteDataReader r) => new()
    {
        Id = r.GetInt64(0),
        SessionId = r.GetString(1),
        Number = r.GetInt32(2),
        Prompt = r.GetString(3),
        Notes = r.IsDBNull(4) ? null : r.GetString(4),
        Agent = r.IsDBNull(5) ? null : r.GetString(5),
        Model = r.IsDBNull(6) ? null : r.GetString(6),
        StartedAt = SessionStore.ParseTime(r.GetString(7)),
        EndedAt = r.IsDBNull(8) ? null : SessionStore.ParseTime(r.GetString(8)),
        Duration = r.IsDBNull(9) ? null : TimeSpan.FromMilliseconds(r.GetInt64(9)),
        Status = Enum.Parse<IterationStatus>(r.GetString(10)),
        Error = r.IsDBNull(11) ? null : r.GetString(11),
        Summary = r.IsDBNull(12) ? null : r.GetString(12),
        ThreadId = r.IsDBNull(13) ? null : r.GetString(13),
        Tokens = new TokenUsage(r.GetInt64(14), r.GetInt64(15), r.GetInt64(16), r.GetInt64(17)),
        ToolCalls = Serialization.JsonOutput.Deserialize<Dictionary<string, int>>(r.GetString(18), Serialization.JsonOutput.Compact) ?? new Dictionary<string, int>(),
        CommitSha = r.IsDBNull(19) ? null : r.GetString(19),
        ChangedFiles = Serialization.JsonOutput.Deserialize<string[]>(r.GetString(20), Serialization.JsonOutput.Compact) ?? [],
        ScriptRunId = r.IsDBNull(21) ? null : r.GetInt64(21),
        ScriptPassed = r.IsDBNull(22) ? null : r.GetInt64(22) != 0,
        TranscriptPath = r.IsDBNull(23) ? null : r.GetString(23),
        ProtocolWarnings = Serialization.JsonOutput.Deserialize<string[]>(r.GetString(24), Serialization.JsonOutput.Compact) ?? [],
        MainCheckoutTouched = r.IsDBNull(25) ? null : Serialization.JsonOutput.Deserialize<string[]>(r.GetString(25), Serialization.JsonOutput.Compact),
        MainCheckoutAcknowledgedAt = r.IsDBNull(26) ? null : SessionStore.ParseTime(r.GetString(26)),
        Warnings = Serialization.JsonOutput.Deserialize<string[]>(r.GetString(27), Serialization.JsonOutput.Compact) ?? [],
        GuardDecisions = Serialization.JsonOutput.Deserialize<Containment.GuardDecision[]>(r.GetString(28), Serialization.JsonOutput.Compact) ?? [],
        GuardOff = r.IsDBNull(29) ? null : r.GetString(29),
        Environment = r.IsDBNull(30) ? null : r.GetString(30),
        Preset = r.IsDBNull(31) ? null : r.GetString(31),
        Permissions = Serialization.JsonOutput.Deserialize<string[]>(r.GetString(32), Serialization.JsonOutput.Compact) ?? [],
    };

    private static void BindScript(SqliteCommand command, ScriptRun s)
    {
        var p = command.Parameters;
        p.AddWithValue("$session_id", s.SessionId);
        p.AddWithValue("$iteration_id", (object?)s.IterationId ?? DBNull.Value);
        p.AddWithValue("$command", s.Command);
        p.AddWithValue("$started_at", SessionStore.FormatTime(s.StartedAt));
        p.AddWithValue("$ended_at", s.EndedAt is { } end ? SessionStore.FormatTime(end) : DBNull.Value);
        p.AddWithValue("$duration_ms", s.Duration is { } d ? (long)d.TotalMilliseconds : DBNull.Value);
        p.AddWithValue("$exit_code", (object?)s.ExitCode ?? DBNull.Value);
        p.AddWithValue("$status", s.Status.ToString());
        p.AddWithValue("$output_path", (object?)s.OutputPath ?? DBNull.Value);
        p.AddWithValue("$output_tail", (object?)s.OutputTail ?? DBNull.Value);
    }
}
