using Microsoft.Data.Sqlite;

namespace AmpSessions.Core.Storage;

/// <summary>The schema, as numbered steps; PRAGMA user_version records the last one applied.</summary>
internal static class Migrations
{
    // Append only: a released step is never edited, a change is a new step.
    private static readonly string[] Steps =
    [
        // 1: sessions, iterations, script runs, batches, templates
        """
        CREATE TABLE sessions (
            id              TEXT PRIMARY KEY,
            name            TEXT NOT NULL,
            prompt          TEXT NOT NULL,
            repo_root       TEXT NOT NULL,
            base_branch     TEXT NOT NULL,
            base_commit     TEXT NOT NULL,
            branch_name     TEXT NOT NULL,
            worktree_path   TEXT NOT NULL,
            status          TEXT NOT NULL,
            status_message  TEXT,
            created_at      TEXT NOT NULL,
            updated_at      TEXT NOT NULL,
            last_run_at     TEXT,
            script_command  TEXT,
            model_override  TEXT,
            agent_mode      TEXT,
            toolbox_paths   TEXT NOT NULL DEFAULT '[]',
            mcp_servers     TEXT NOT NULL DEFAULT '[]',
            notes           TEXT,
            batch_id        TEXT,
            agent           TEXT,
            thread_id       TEXT,
            timeout_seconds INTEGER,
            allow_all_tools INTEGER NOT NULL DEFAULT 0,
            allowed_tools   TEXT NOT NULL DEFAULT '[]',
            mcp_config      TEXT,
            agent_env       TEXT NOT NULL DEFAULT '{}',
            notifications   INTEGER NOT NULL DEFAULT 1
        );
        CREATE INDEX ix_sessions_repo ON sessions(repo_root);
        CREATE INDEX ix_sessions_status ON sessions(status);
        CREATE INDEX ix_sessions_name ON sessions(name);

        CREATE TABLE iterations (
            id                     INTEGER PRIMARY KEY AUTOINCREMENT,
            session_id             TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            number                 INTEGER NOT NULL,
            prompt                 TEXT NOT NULL,
            notes                  TEXT,
            agent                  TEXT,
            model                  TEXT,
            started_at             TEXT NOT NULL,
            ended_at               TEXT,
            duration_ms            INTEGER,
            status                 TEXT NOT NULL,
            error                  TEXT,
            summary                TEXT,
            thread_id              TEXT,
            input_tokens           INTEGER NOT NULL DEFAULT 0,
            output_tokens          INTEGER NOT NULL DEFAULT 0,
            cache_creation_tokens  INTEGER NOT NULL DEFAULT 0,
            cache_read_tokens      INTEGER NOT NULL DEFAULT 0,
            tool_calls             TEXT NOT NULL DEFAULT '{}',
            commit_sha             TEXT,
            changed_files          TEXT NOT NULL DEFAULT '[]',
            script_run_id          INTEGER,
            script_passed          INTEGER,
            transcript_path        TEXT,
            UNIQUE (session_id, number)
        );

        CREATE TABLE script_runs (
            id            INTEGER PRIMARY KEY AUTOINCREMENT,
            session_id    TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            iteration_id  INTEGER REFERENCES iterations(id) ON DELETE SET NULL,
            command       TEXT NOT NULL,
            started_at    TEXT NOT NULL,
            ended_at      TEXT,
            duration_ms   INTEGER,
            exit_code     INTEGER,
            status        TEXT NOT NULL,
            output_path   TEXT,
            output_tail   TEXT
        );
        CREATE INDEX ix_script_runs_session ON script_runs(session_id);

        CREATE TABLE batches (
            id                  TEXT PRIMARY KEY,
            name                TEXT NOT NULL,
            file_path           TEXT NOT NULL,
            file_text           TEXT NOT NULL,
            content_hash        TEXT NOT NULL,
            status              TEXT NOT NULL,
            shard               TEXT,
            concurrency         INTEGER,
            journal_path        TEXT NOT NULL,
            total_items         INTEGER NOT NULL,
            created_at          TEXT NOT NULL,
            started_at          TEXT,
            ended_at            TEXT,
            process_id          INTEGER,
            process_started_at  TEXT,
            host_name           TEXT,
            stop_requested_at   TEXT,
            message             TEXT
        );
        CREATE INDEX ix_batches_created ON batches(created_at);

        CREATE TABLE batch_items (
            batch_id               TEXT NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
            item_id                TEXT NOT NULL,
            position               INTEGER NOT NULL,
            agent_id               TEXT NOT NULL,
            task_id                TEXT NOT NULL,
            task_type              TEXT NOT NULL,
            prompt                 TEXT NOT NULL,
            prompt_index           INTEGER,
            repository             TEXT,
            case_id                TEXT,
            status                 TEXT NOT NULL,
            attempts               INTEGER NOT NULL DEFAULT 0,
            session_id             TEXT,
            started_at             TEXT,
            ended_at               TEXT,
            duration_ms            INTEGER NOT NULL DEFAULT 0,
            iterations             INTEGER NOT NULL DEFAULT 0,
            input_tokens           INTEGER NOT NULL DEFAULT 0,
            output_tokens          INTEGER NOT NULL DEFAULT 0,
            cache_creation_tokens  INTEGER NOT NULL DEFAULT 0,
            cache_read_tokens      INTEGER NOT NULL DEFAULT 0,
            cost_usd               TEXT,
            model                  TEXT,
            tools_json             TEXT NOT NULL DEFAULT '{}',
            files_changed          INTEGER NOT NULL DEFAULT 0,
            grading_exit_code      INTEGER,
            error                  TEXT,
            log_path               TEXT,
            PRIMARY KEY (batch_id, item_id)
        );

        CREATE TABLE templates (
            name            TEXT PRIMARY KEY,
            repo_root       TEXT,
            base_branch     TEXT,
            prompt          TEXT NOT NULL,
            script_command  TEXT,
            model_override  TEXT,
            agent_mode      TEXT,
            created_at      TEXT NOT NULL
        );
        """,
        // 2: the protocol warnings of an iteration (lines the agent wrote that were not stream-json)
        """
        ALTER TABLE iterations ADD COLUMN protocol_warnings TEXT NOT NULL DEFAULT '[]';
        """,
        // 3: an evaluation item's per-test grade (JSON: resolution, each listed test's outcome, the patch and test output paths)
        """
        ALTER TABLE batch_items ADD COLUMN grade_json TEXT;
        """,
        // 4: configuration: a session's environment, preset and port block; what each iteration ran with; templates as configuration
        """
        ALTER TABLE sessions ADD COLUMN environment TEXT;
        ALTER TABLE sessions ADD COLUMN preset TEXT;
        ALTER TABLE sessions ADD COLUMN port_first INTEGER;
        ALTER TABLE sessions ADD COLUMN port_count INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE sessions ADD COLUMN skills TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE iterations ADD COLUMN environment TEXT;
        ALTER TABLE iterations ADD COLUMN preset TEXT;
        ALTER TABLE iterations ADD COLUMN permissions TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE templates ADD COLUMN environment TEXT;
        ALTER TABLE templates ADD COLUMN agent TEXT;
        ALTER TABLE templates ADD COLUMN preset TEXT;
        ALTER TABLE templates ADD COLUMN mcp_servers TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE templates ADD COLUMN setup TEXT;
        """,
        // 5: the event log other processes follow (amp-sessions events --follow); best-of-N attempt groups; main-checkout changes per iteration
        """
        CREATE TABLE events (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            type        TEXT NOT NULL,
            time        TEXT NOT NULL,
            session_id  TEXT,
            batch_id    TEXT,
            message     TEXT NOT NULL,
            data        TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX ix_events_time ON events(time);
        ALTER TABLE sessions ADD COLUMN attempt_group TEXT;
        CREATE INDEX ix_sessions_attempt_group ON sessions(attempt_group);
        ALTER TABLE iterations ADD COLUMN main_checkout_touched TEXT;
        ALTER TABLE iterations ADD COLUMN main_checkout_acknowledged_at TEXT;
        """,
        // 6: what the product noticed and did after an iteration's turn (the agent left the session
        // branch, an uncommitted submodule change, a commit held back because it held a secret)
        """
        ALTER TABLE iterations ADD COLUMN warnings TEXT NOT NULL DEFAULT '[]';
        """,
        // 7: the shell a session's test script runs in (null: the platform's, sh or cmd)
        """
        ALTER TABLE sessions ADD COLUMN script_shell TEXT;
        """,
        // 8: a session's budget (tokens, US dollars as text, iterations, milliseconds)
        """
        ALTER TABLE sessions ADD COLUMN budget_tokens INTEGER;
        ALTER TABLE sessions ADD COLUMN budget_cost TEXT;
        ALTER TABLE sessions ADD COLUMN budget_iterations INTEGER;
        ALTER TABLE sessions ADD COLUMN budget_time_ms INTEGER;
        """,
        // 9: the guard: its decisions on each iteration (JSON), why it was off, and whether a session may push
        """
        ALTER TABLE iterations ADD COLUMN guard_decisions TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE iterations ADD COLUMN guard_off TEXT;
        ALTER TABLE sessions ADD COLUMN allow_push INTEGER NOT NULL DEFAULT 0;
        """,
        // 10: `list`'s order (newest first, then id) as an index: the default page reads its 20 rows from it
        // instead of sorting every session (issue 11: at 10,000 sessions that sort was most of `list`'s CPU)
        """
        CREATE INDEX ix_sessions_created ON sessions(created_at DESC, id);
        """,
    ];

    public static int LatestVersion => Steps.Length;

    private const int SqliteSchemaError = 1; // SQLITE_ERROR: what a step that does not fit the schema fails with

    public static void Apply(SqliteConnection connection)
    {
        var found = CurrentVersion(connection);
        if (found > Steps.Length)
        {
            throw new Errors.AmpSessionsException("AmpDatabaseTooNew", Errors.ErrorKind.InvalidOperation,
                $"The database was written by a newer AmpSessions (schema {found}, this one knows {Steps.Length})", connection.DataSource,
                remedy: $"upgrade AmpSessions, or use another {Errors.Parameter.DataDirectory}");
        }
        if (found == Steps.Length)
        {
            return;
        }
        // IMMEDIATE takes the write lock first, so two processes starting at once migrate one after the other.
        using var transaction = connection.BeginTransaction(deferred: false);
        var version = CurrentVersion(connection, transaction);
        for (var step = version; step < Steps.Length; step++)
        {
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = Steps[step] + $"\nPRAGMA user_version = {step + 1};";
            try
            {
                command.ExecuteNonQuery();
            }
            catch (SqliteException error) when (error.SqliteErrorCode == SqliteSchemaError)
            {
                // A step that cannot apply ("duplicate column", "no such table") means the file's schema is not the one
                // its version number promises: written by another build whose steps were numbered differently. The
                // transaction rolls back as it is disposed, so the file is left exactly as it was found.
                throw new Errors.AmpSessionsException("AmpDatabaseSchemaMismatch", Errors.ErrorKind.InvalidOperation,
                    $"The database '{connection.DataSource}' does not match its schema version {version}: this AmpSessions' step {step + 1} cannot apply to it ({error.Message}); another build wrote it",
                    connection.DataSource,
                    remedy: $"move the database aside (it is left unchanged) or use another {Errors.Parameter.DataDirectory}");
            }
        }
        transaction.Commit();
    }

    private static int CurrentVersion(SqliteConnection connection, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "PRAGMA user_version";
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
