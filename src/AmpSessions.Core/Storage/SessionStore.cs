using System.Globalization;
using System.Text.Json;
using AmpSessions.Core.Sessions;
using Microsoft.Data.Sqlite;

namespace AmpSessions.Core.Storage;

/// <summary>The sessions table: parameterised SQL only.</summary>
public sealed class SessionStore
{
    private const string Columns =
        "id, name, prompt, repo_root, base_branch, base_commit, branch_name, worktree_path, status, status_message, " +
        "created_at, updated_at, last_run_at, script_command, model_override, agent_mode, toolbox_paths, mcp_servers, notes, batch_id, " +
        "agent, thread_id, timeout_seconds, allow_all_tools, allowed_tools, mcp_config, agent_env, notifications, " +
        "environment, preset, port_first, port_count, skills, attempt_group, script_shell, budget_tokens, budget_cost, budget_iterations, budget_time_ms, allow_push";

    private readonly Database database;
    private readonly Events.EventLog? events;

    /// <summary>With an event log, every status change written here is recorded as a StatusChanged event in the same transaction.</summary>
    public SessionStore(Database database, Events.EventLog? events = null)
    {
        this.database = database;
        this.events = events;
    }

    public void Insert(Session session) => database.Execute(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"INSERT INTO sessions ({Columns}) VALUES (" +
            "$id, $name, $prompt, $repo_root, $base_branch, $base_commit, $branch_name, $worktree_path, $status, $status_message, " +
            "$created_at, $updated_at, $last_run_at, $script_command, $model_override, $agent_mode, $toolbox_paths, $mcp_servers, $notes, $batch_id, " +
            "$agent, $thread_id, $timeout_seconds, $allow_all_tools, $allowed_tools, $mcp_config, $agent_env, $notifications, " +
            "$environment, $preset, $port_first, $port_count, $skills, $attempt_group, $script_shell, $budget_tokens, $budget_cost, $budget_iterations, $budget_time_ms, $allow_push)";
        Bind(command, session);
        return command.ExecuteNonQuery();
    });

    /// <summary>
    /// Writes every field of the session (the row must exist). A change of status is recorded as a
    /// StatusChanged event with the write, so every path that changes a status reports it once.
    /// </summary>
    public void Update(Session session)
    {
        if (events is null)
        {
            database.Execute(connection => Write(connection, null, session));
            return;
        }
        Announce(database.Transaction((connection, transaction) => UpdateWithin(connection, transaction, session)));
    }

    /// <summary>
    /// <see cref="Update"/>'s writes inside a caller's transaction (with other rows that must be written with them or not at
    /// all); returns the StatusChanged event written with them, for <see cref="Announce"/> once the transaction has committed.
    /// </summary>
    internal Events.AmpEvent? UpdateWithin(SqliteConnection connection, SqliteTransaction transaction, Session session)
    {
        if (events is null)
        {
            Write(connection, transaction, session);
            return null;
        }
        using var read = connection.CreateCommand();
        read.Transaction = transaction;
        read.CommandText = "SELECT status FROM sessions WHERE id=$id";
        read.Parameters.AddWithValue("$id", session.Id);
        var before = read.ExecuteScalar() as string;
        Write(connection, transaction, session);
        // Initializing to Idle is the session being created, which SessionCreated reports.
        if (before is null || before == session.Status.ToString() || before == nameof(SessionStatus.Initializing) && session.Status == SessionStatus.Idle)
        {
            return null;
        }
        return Events.EventLog.Insert(connection, transaction, new Events.AmpEvent
        {
            Type = Events.AmpEventTypes.StatusChanged,
            Time = events.Now,
            SessionId = session.Id,
            BatchId = session.BatchId,
            Message = $"Session {session.Id} \"{session.Name}\" is {session.Status}{(session.StatusMessage is null ? "" : ": " + session.StatusMessage)} (was {before}).",
            Data = Events.EventLog.Data(("from", before), ("to", session.Status), ("statusMessage", session.StatusMessage), ("name", session.Name)),
        });
    }

    /// <summary>Tells this process's listeners about a status change <see cref="UpdateWithin"/> recorded, after its transaction committed.</summary>
    internal void Announce(Events.AmpEvent? changed)
    {
        if (changed is not null)
        {
            events?.Raise(changed);
        }
    }

    private static int Write(SqliteConnection connection, SqliteTransaction? transaction, Session session)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "UPDATE sessions SET name=$name, prompt=$prompt, repo_root=$repo_root, base_branch=$base_branch, " +
            "base_commit=$base_commit, branch_name=$branch_name, worktree_path=$worktree_path, status=$status, status_message=$status_message, " +
            "created_at=$created_at, updated_at=$updated_at, last_run_at=$last_run_at, script_command=$script_command, " +
            "model_override=$model_override, agent_mode=$agent_mode, toolbox_paths=$toolbox_paths, mcp_servers=$mcp_servers, " +
            "notes=$notes, batch_id=$batch_id, agent=$agent, thread_id=$thread_id, timeout_seconds=$timeout_seconds, " +
            "allow_all_tools=$allow_all_tools, allowed_tools=$allowed_tools, mcp_config=$mcp_config, agent_env=$agent_env, notifications=$notifications, " +
            "environment=$environment, preset=$preset, port_first=$port_first, port_count=$port_count, skills=$skills, attempt_group=$attempt_group, script_shell=$script_shell, " +
            "budget_tokens=$budget_tokens, budget_cost=$budget_cost, budget_iterations=$budget_iterations, budget_time_ms=$budget_time_ms, allow_push=$allow_push WHERE id=$id";
        Bind(command, session);
        return command.ExecuteNonQuery();
    }

    public void Delete(string id) => database.Execute(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM sessions WHERE id=$id";
        command.Parameters.AddWithValue("$id", id);
        return command.ExecuteNonQuery();
    });

    public Session? Get(string id) => Query("WHERE id=$p", id).FirstOrDefault();

    /// <summary>Sessions, newest first, optionally only those of one repository and/or one status.</summary>
    public IReadOnlyList<Session> List(string? repoRoot = null, SessionStatus? status = null) => database.Execute(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM sessions {Filter(command, repoRoot, status)} {NewestFirst}";
        return ReadAll(command);
    });

    /// <summary>
    /// Sessions, newest first, read as they are enumerated (at most <paramref name="limit"/>): nothing is held
    /// but the row being read, so writing them out as they come keeps memory flat however many there are.
    /// </summary>
    public IEnumerable<Session> Stream(string? repoRoot = null, SessionStatus? status = null, int? limit = null) => database.Stream(
        command =>
        {
            command.CommandText = $"SELECT {Columns} FROM sessions {Filter(command, repoRoot, status)} {NewestFirst}" +
                (limit is null ? "" : " LIMIT $limit");
            if (limit is not null)
            {
                command.Parameters.AddWithValue("$limit", limit.Value);
            }
        },
        Read);

    /// <summary>`list`'s order, newest first; an index (ix_sessions_created) holds it, so a page reads only its rows.</summary>
    internal const string NewestFirst = "ORDER BY created_at DESC, id";

    /// <summary>
    /// The newest <paramref name="size"/> sessions and how many match in all, on one connection (opening one is a
    /// good part of a `list` process): the count is read only when the page is full.
    /// </summary>
    public (IReadOnlyList<Session> Sessions, int Total) NewestPage(string? repoRoot, SessionStatus? status, int size) => database.Execute(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM sessions {Filter(command, repoRoot, status)} {NewestFirst} LIMIT $limit";
        command.Parameters.AddWithValue("$limit", size);
        var page = ReadAll(command);
        if (page.Count < size)
        {
            return ((IReadOnlyList<Session>)page, page.Count);
        }
        using var count = connection.CreateCommand();
        count.CommandText = $"SELECT COUNT(*) FROM sessions {Filter(count, repoRoot, status)}";
        return (page, Convert.ToInt32(count.ExecuteScalar(), CultureInfo.InvariantCulture));
    });

    /// <summary>How many sessions <see cref="List"/> would return.</summary>
    public int Count(string? repoRoot = null, SessionStatus? status = null) => database.Execute(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM sessions {Filter(command, repoRoot, status)}";
        return Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    });

    private static string Filter(SqliteCommand command, string? repoRoot, SessionStatus? status)
    {
        var filters = new List<string>();
        if (repoRoot is not null)
        {
            filters.Add("repo_root=$repo");
            command.Parameters.AddWithValue("$repo", repoRoot);
        }
        if (status is not null)
        {
            filters.Add("status=$status");
            command.Parameters.AddWithValue("$status", status.Value.ToString());
        }
        return filters.Count == 0 ? "" : "WHERE " + string.Join(" AND ", filters);
    }

    /// <summary>The attempts of a best-of-N group, oldest first.</summary>
    public IReadOnlyList<Session> ListByAttemptGroup(string group) => database.Execute(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM sessions WHERE attempt_group = $g ORDER BY created_at, id";
        command.Parameters.AddWithValue("$g", group);
        return ReadAll(command);
    });

    /// <summary>Sessions whose id starts with the prefix or whose name equals the text.</summary>
    public IReadOnlyList<Session> FindByIdPrefixOrName(string text) => database.Execute(connection =>
    {
        using var command = connection.CreateCommand();
        // substr, not LIKE: a prefix with % or _ in it must not act as a wildcard.
        command.CommandText = $"SELECT {Columns} FROM sessions WHERE substr(id, 1, length($p)) = $p OR name = $p ORDER BY created_at DESC";
        command.Parameters.AddWithValue("$p", text);
        return ReadAll(command);
    });

    private IReadOnlyList<Session> Query(string where, string parameter) => database.Execute(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM sessions {where}";
        command.Parameters.AddWithValue("$p", parameter);
        return ReadAll(command);
    });

    private static List<Session> ReadAll(SqliteCommand command)
    {
        var sessions = new List<Session>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            sessions.Add(Read(reader));
        }
        return sessions;
    }

    private static void Bind(SqliteCommand command, Session s)
    {
        var p = command.Parameters;
        p.AddWithValue("$id", s.Id);
        p.AddWithValue("$name", s.Name);
        p.AddWithValue("$prompt", s.Prompt);
        p.AddWithValue("$repo_root", s.RepoRoot);
        p.AddWithValue("$base_branch", s.BaseBranch);
        p.AddWithValue("$base_commit", s.BaseCommit);
        p.AddWithValue("$branch_name", s.BranchName);
        p.AddWithValue("$worktree_path", s.WorktreePath);
        p.AddWithValue("$status", s.Status.ToString());
        p.AddWithValue("$status_message", (object?)s.StatusMessage ?? DBNull.Value);
        p.AddWithValue("$created_at", FormatTime(s.CreatedAt));
        p.AddWithValue("$updated_at", FormatTime(s.UpdatedAt));
        p.AddWithValue("$last_run_at", s.LastRunAt is { } run ? FormatTime(run) : DBNull.Value);
        p.AddWithValue("$script_command", (object?)s.ScriptCommand ?? DBNull.Value);
        p.AddWithValue("$model_override", (object?)s.ModelOverride ?? DBNull.Value);
        p.AddWithValue("$agent_mode", (object?)s.AgentMode ?? DBNull.Value);
        p.AddWithValue("$toolbox_paths", Serialization.JsonOutput.Serialize(s.ToolboxPaths, Serialization.JsonOutput.Compact));
        p.AddWithValue("$mcp_servers", Serialization.JsonOutput.Serialize(s.McpServers, Serialization.JsonOutput.Compact));
        p.AddWithValue("$notes", (object?)s.Notes ?? DBNull.Value);
        p.AddWithValue("$batch_id", (object?)s.BatchId ?? DBNull.Value);
        p.AddWithValue("$agent", (object?)s.Agent ?? DBNull.Value);
        p.AddWithValue("$thread_id", (object?)s.ThreadId ?? DBNull.Value);
        p.AddWithValue("$timeout_seconds", s.Timeout is { } t ? (long)t.TotalSeconds : DBNull.Value);
        p.AddWithValue("$allow_all_tools", s.AllowAllTools ? 1 : 0);
        p.AddWithValue("$allowed_tools", Serialization.JsonOutput.Serialize(s.AllowedTools, Serialization.JsonOutput.Compact));
        p.AddWithValue("$mcp_config", (object?)s.McpConfig ?? DBNull.Value);
        p.AddWithValue("$agent_env", Serialization.JsonOutput.Serialize(s.AgentEnvironment, Serialization.JsonOutput.Compact));
        p.AddWithValue("$notifications", s.NotificationsEnabled ? 1 : 0);
        p.AddWithValue("$environment", (object?)s.Environment ?? DBNull.Value);
        p.AddWithValue("$preset", (object?)s.Preset ?? DBNull.Value);
        p.AddWithValue("$port_first", s.Ports is { } ports ? ports.First : DBNull.Value);
        p.AddWithValue("$port_count", s.Ports?.Count ?? 0);
        p.AddWithValue("$skills", Serialization.JsonOutput.Serialize(s.Skills, Serialization.JsonOutput.Compact));
        p.AddWithValue("$attempt_group", (object?)s.AttemptGroup ?? DBNull.Value);
        p.AddWithValue("$script_shell", (object?)s.ScriptShell ?? DBNull.Value);
        p.AddWithValue("$budget_tokens", (object?)s.Budget.Tokens ?? DBNull.Value);
        p.AddWithValue("$budget_cost", s.Budget.CostUsd is { } cost ? cost.ToString(CultureInfo.InvariantCulture) : DBNull.Value);
        p.AddWithValue("$budget_iterations", (object?)s.Budget.Iterations ?? DBNull.Value);
        p.AddWithValue("$budget_time_ms", s.Budget.Time is { } time ? (long)time.TotalMilliseconds : DBNull.Value);
        p.AddWithValue("$allow_push", s.AllowPush ? 1 : 0);
    }

    private static Session Read(SqliteDataReader r) => new()
    {
        Id = r.GetString(0),
        Name = r.GetString(1),
        Prompt = r.GetString(2),
        RepoRoot = r.GetString(3),
        BaseBranch = r.GetString(4),
        BaseCommit = r.GetString(5),
        BranchName = r.GetString(6),
        WorktreePath = r.GetString(7),
        Status = Enum.Parse<SessionStatus>(r.GetString(8)),
        StatusMessage = r.IsDBNull(9) ? null : r.GetString(9),
        CreatedAt = ParseTime(r.GetString(10)),
        UpdatedAt = ParseTime(r.GetString(11)),
        LastRunAt = r.IsDBNull(12) ? null : ParseTime(r.GetString(12)),
        ScriptCommand = r.IsDBNull(13) ? null : r.GetString(13),
        ModelOverride = r.IsDBNull(14) ? null : r.GetString(14),
        AgentMode = r.IsDBNull(15) ? null : r.GetString(15),
        ToolboxPaths = Strings(r.GetString(16)),
        McpServers = Strings(r.GetString(17)),
        Notes = r.IsDBNull(18) ? null : r.GetString(18),
        BatchId = r.IsDBNull(19) ? null : r.GetString(19),
        Agent = r.IsDBNull(20) ? null : r.GetString(20),
        ThreadId = r.IsDBNull(21) ? null : r.GetString(21),
        Timeout = r.IsDBNull(22) ? null : TimeSpan.FromSeconds(r.GetInt64(22)),
        AllowAllTools = r.GetInt64(23) != 0,
        AllowedTools = Strings(r.GetString(24)),
        McpConfig = r.IsDBNull(25) ? null : r.GetString(25),
        AgentEnvironment = r.GetString(26) is "{}" ? new Dictionary<string, string>() : Serialization.JsonOutput.Deserialize<Dictionary<string, string>>(r.GetString(26), Serialization.JsonOutput.Compact) ?? new Dictionary<string, string>(),
        NotificationsEnabled = r.GetInt64(27) != 0,
        Environment = r.IsDBNull(28) ? null : r.GetString(28),
        Preset = r.IsDBNull(29) ? null : r.GetString(29),
        Ports = r.IsDBNull(30) || r.GetInt64(31) == 0 ? null : new PortBlock((int)r.GetInt64(30), (int)r.GetInt64(31)),
        Skills = Strings(r.GetString(32)),
        AttemptGroup = r.IsDBNull(33) ? null : r.GetString(33),
        ScriptShell = r.IsDBNull(34) ? null : r.GetString(34),
        Budget = new Budgets.Budget
        {
            Tokens = r.IsDBNull(35) ? null : r.GetInt64(35),
            CostUsd = r.IsDBNull(36) ? null : decimal.Parse(r.GetString(36), CultureInfo.InvariantCulture),
            Iterations = r.IsDBNull(37) ? null : r.GetInt32(37),
            Time = r.IsDBNull(38) ? null : TimeSpan.FromMilliseconds(r.GetInt64(38)),
        },
        AllowPush = r.GetInt64(39) != 0,
    };

    // Most sessions' lists are empty ("[]"): reading those needs no JSON metadata (the generated context's start-up
    // is measurable in a `list` process).
    private static string[] Strings(string json) =>
        json is "[]" ? [] : Serialization.JsonOutput.Deserialize<string[]>(json, Serialization.JsonOutput.Compact) ?? [];

    internal static string FormatTime(DateTimeOffset time) => time.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    // The store writes times in the round-trip format ("O", FormatTime), which ParseExact reads without the culture's
    // date tokenizer: that tokenizer compares words through the culture's collation, and building the collator was a
    // fifth of `list`'s CPU (issue 11). Anything else (rows written otherwise) is parsed as before.
    internal static DateTimeOffset ParseTime(string text) =>
        DateTimeOffset.TryParseExact(text, "O", CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var time)
            ? time
            : DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}
