using Microsoft.Data.Sqlite;

namespace AmpSessions.Core.Storage;

/// <summary>The schema, as numbered steps; PRAGMA user_version records the last one applied.</summary>
internal static class Migrations
{
    // Append only: a released step is never edited, a change is a new step.
    private static readonly string[] Steps =
    [
        // 1: sessions
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
            batch_id        TEXT
        );
        CREATE INDEX ix_sessions_repo ON sessions(repo_root);
        CREATE INDEX ix_sessions_status ON sessions(status);
        CREATE INDEX ix_sessions_name ON sessions(name);
        """,
    ];

    public static int LatestVersion => Steps.Length;

    public static void Apply(SqliteConnection connection)
    {
        if (CurrentVersion(connection) >= Steps.Length)
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
            command.ExecuteNonQuery();
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
