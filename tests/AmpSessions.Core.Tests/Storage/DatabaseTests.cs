using System.Diagnostics;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Serialization;
using AmpSessions.Core.Sessions;
using AmpSessions.Core.Storage;
using AmpSessions.Testing;
using Microsoft.Data.Sqlite;

namespace AmpSessions.Core.Tests.Storage;

public sealed class DatabaseTests : IDisposable
{
    private readonly TempDirectory temp = new("amp-db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        temp.Dispose();
    }

    private string DatabasePath => temp.Combine("amp-sessions.db");

    private SqliteConnection RawConnection()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    [Theory]
    [InlineData(false, 3)]
    [InlineData(true, 1)]
    public void A_store_opened_for_one_command_uses_the_connection_that_migrated_and_leaves_one_file_when_done(bool share, long expectedConnections)
    {
        Database.Open(DatabasePath).EndSharedConnections();
        var database = Database.Open(DatabasePath, shareConnections: share);
        Assert.Equal(1L, database.Execute(connection => (long)Scalar(connection, "SELECT 1")!));
        Assert.Equal(1L, database.Execute(connection => (long)Scalar(connection, "SELECT 1")!));

        // Without sharing, each query opens the file again, after the migration's connection closed.
        Assert.Equal(expectedConnections, database.ConnectionsOpened);
        Assert.Equal(share, File.Exists(DatabasePath + "-wal"));

        database.EndSharedConnections();
        database.EndSharedConnections();
        // The last connection closed: the WAL was checkpointed into the database file and removed, as between commands.
        Assert.False(File.Exists(DatabasePath + "-wal"), "a connection outlived the command");
        Assert.False(File.Exists(DatabasePath + "-shm"));
    }

    private static Session SampleSession(string id, string name = "sample") => new()
    {
        Id = id,
        Name = name,
        Prompt = "do it",
        RepoRoot = "/repo",
        BaseBranch = "main",
        BaseCommit = new string('a', 40),
        BranchName = "amp/sample/20250101-000000",
        WorktreePath = "/repo/.worktrees/" + id,
        Status = SessionStatus.Idle,
        CreatedAt = new DateTimeOffset(2025, 1, 2, 3, 4, 5, 678, TimeSpan.Zero),
        UpdatedAt = new DateTimeOffset(2025, 1, 2, 3, 4, 6, TimeSpan.Zero),
    };

    [Fact]
    public void The_database_uses_wal_and_is_migrated_to_the_latest_version()
    {
        Database.Open(DatabasePath);

        using var raw = RawConnection();
        Assert.Equal("wal", Scalar(raw, "PRAGMA journal_mode"));
        Assert.True(Migrations.LatestVersion > 0);
        Assert.Equal((long)Migrations.LatestVersion, Scalar(raw, "PRAGMA user_version"));
        using var tables = raw.CreateCommand();
        tables.CommandText = "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name";
        var names = new List<string>();
        using (var reader = tables.ExecuteReader())
        {
            while (reader.Read()) names.Add(reader.GetString(0));
        }
        Assert.Superset(new HashSet<string> { "batch_items", "batches", "iterations", "script_runs", "sessions", "templates" }, names.ToHashSet());
    }

    [Fact]
    public void Reopening_keeps_the_data_and_the_version()
    {
        new SessionStore(Database.Open(DatabasePath)).Insert(SampleSession("keepme22"));

        var reopened = Database.Open(DatabasePath);

        Assert.NotNull(new SessionStore(reopened).Get("keepme22"));
        Assert.Equal((long)Migrations.LatestVersion, reopened.Execute(c => Scalar(c, "PRAGMA user_version")));
    }

    [Fact]
    public async Task Processes_opening_a_new_database_at_once_migrate_it_once()
    {
        var opened = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Database.Open(DatabasePath))));

        Assert.All(opened, db => Assert.Equal((long)Migrations.LatestVersion, db.Execute(c => Scalar(c, "PRAGMA user_version"))));
    }

    [Fact]
    public async Task Sixteen_threads_sharing_one_store_lose_no_write_and_a_failed_transaction_leaves_nothing_behind()
    {
        // Connections are kept for reuse: writes from many threads at once, and transactions that fail
        // half-way (the row they wrote is rolled back, the connection is not handed on mid-transaction).
        var database = Database.Open(DatabasePath);
        var store = new SessionStore(database);
        var failed = 0;
        await Task.WhenAll(Enumerable.Range(0, 16).Select(thread => Task.Run(() =>
        {
            for (var i = 0; i < 25; i++)
            {
                store.Insert(SampleSession($"t{thread:D2}i{i:D2}"));
                var failure = Assert.Throws<AmpSessionsException>(() => database.Transaction((connection, transaction) =>
                {
                    using var command = connection.CreateCommand();
                    command.Transaction = transaction;
                    command.CommandText = "INSERT INTO templates (name, prompt, created_at) VALUES ($name, 'p', 'now')";
                    command.Parameters.AddWithValue("$name", $"half-done {thread} {i}");
                    command.ExecuteNonQuery();
                    command.CommandText = "INSERT INTO iterations (session_id, number, prompt, started_at, status) VALUES ('no-such-session', 1, 'p', 'now', 'Running')";
                    command.Parameters.Clear();
                    return command.ExecuteNonQuery();
                }));
                Assert.Contains("FOREIGN KEY", failure.Message);
                Interlocked.Increment(ref failed);
            }
        })));

        Assert.Equal(16 * 25, failed);
        Assert.Equal(16L * 25, database.Execute(c => Scalar(c, "SELECT count(*) FROM sessions")));
        Assert.Equal(0L, database.Execute(c => Scalar(c, "SELECT count(*) FROM templates")));
        // No kept connection holds a transaction: another connection can take the write lock at once.
        using var other = RawConnection();
        Scalar(other, "PRAGMA busy_timeout = 0");
        Scalar(other, "BEGIN EXCLUSIVE");
        Scalar(other, "ROLLBACK");
    }

    [Fact]
    public void A_store_opened_after_its_file_was_replaced_reads_the_new_file()
    {
        var first = new SessionStore(Database.Open(DatabasePath));
        first.Insert(SampleSession("before"));
        Assert.NotNull(first.Get("before"));
        // The file moved aside (as a user does with a damaged store): the next store is a new one,
        // whatever connections the first still keeps for reuse.
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            if (File.Exists(DatabasePath + suffix))
            {
                File.Move(DatabasePath + suffix, DatabasePath + ".aside" + suffix);
            }
        }

        var second = new SessionStore(Database.Open(DatabasePath));

        Assert.Null(second.Get("before"));
        second.Insert(SampleSession("after"));
        Assert.NotNull(second.Get("after"));
    }

    [Fact]
    public void Foreign_keys_are_enforced()
    {
        var database = Database.Open(DatabasePath);

        Assert.Equal(1L, database.Execute(c => Scalar(c, "PRAGMA foreign_keys")));
        var ex = Assert.Throws<AmpSessionsException>(() => database.Execute(c =>
            Scalar(c, "INSERT INTO iterations (session_id, number, prompt, started_at, status) VALUES ('no-such-session', 1, 'p', 'now', 'Running')")));
        Assert.Equal("AmpDatabaseError", ex.ErrorId);
        Assert.Contains("FOREIGN KEY", ex.Message);
    }

    [Theory]
    [InlineData("Robert'); DROP TABLE sessions;--")]
    [InlineData("\"double\" 'single' `back` $(sub) ; -- /* c */ %_ \\")]
    [InlineData("ünïcödé 日本語 ✓\nsecond line\ttab")]
    public void Text_round_trips_through_parameters(string text)
    {
        var store = new SessionStore(Database.Open(DatabasePath));
        var session = SampleSession("quoted22", text) with { Prompt = text, Notes = text, ScriptCommand = text, ToolboxPaths = [text, "/tools"] };

        store.Insert(session);

        Assert.Equal(JsonOutput.Serialize(session), JsonOutput.Serialize(store.Get("quoted22")));
        Assert.Equal("quoted22", Assert.Single(store.FindByIdPrefixOrName(text)).Id);
        Assert.Single(store.List());
    }

    [Theory]
    [InlineData("%")]
    [InlineData("_")]
    [InlineData("q%")]
    public void Id_prefixes_are_not_wildcards(string pattern)
    {
        var store = new SessionStore(Database.Open(DatabasePath));
        store.Insert(SampleSession("quoted22"));

        Assert.Empty(store.FindByIdPrefixOrName(pattern));
        Assert.Single(store.FindByIdPrefixOrName("quo"));
    }

    [Fact]
    public void A_read_only_database_file_is_refused_up_front()
    {
        Database.Open(DatabasePath);
        FileModes.MakeReadOnly(DatabasePath);

        var ex = Assert.Throws<AmpSessionsException>(() => AmpContext.Open(temp.Path));

        Assert.Equal("AmpDatabaseReadOnly", ex.ErrorId);
        Assert.Equal(ErrorKind.PermissionDenied, ex.Kind);
        Assert.Contains(DatabasePath, ex.Message);
        Assert.Contains("writable", ex.Message);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(0)]
    public async Task A_database_locked_by_another_connection_fails_after_the_busy_timeout(int milliseconds)
    {
        var store = new SessionStore(Database.Open(DatabasePath, TimeSpan.FromMilliseconds(milliseconds)));
        using var other = RawConnection();
        Scalar(other, "BEGIN EXCLUSIVE");
        Scalar(other, "INSERT INTO templates (name, prompt, created_at) VALUES ('held', 'p', 'now')");

        var clock = Stopwatch.StartNew();
        // Run on the pool so a wait that never ends fails the test instead of hanging it.
        var ex = await Assert.ThrowsAsync<AmpSessionsException>(() => Task.Run(() => store.Insert(SampleSession("blocked2"))).WaitAsync(TimeSpan.FromSeconds(30)));
        var waited = clock.Elapsed;

        Assert.Equal("AmpDatabaseLocked", ex.ErrorId);
        Assert.Equal(ErrorKind.ResourceBusy, ex.Kind);
        Assert.Contains("locked by another process", ex.Message);
        Assert.True(waited >= TimeSpan.FromMilliseconds(milliseconds * 0.8), $"gave up after {waited}, before the busy timeout");
        Assert.True(waited < TimeSpan.FromMilliseconds(milliseconds) + TimeSpan.FromSeconds(5), $"waited {waited} for a {milliseconds} ms busy timeout");

        Scalar(other, "ROLLBACK");
        store.Insert(SampleSession("blocked2"));
        Assert.NotNull(store.Get("blocked2"));
    }

    [Fact]
    public void A_database_whose_schema_does_not_match_its_version_is_one_clear_error_and_is_left_unchanged()
    {
        // A file another build wrote: fully migrated, but numbered as if only step 1 had run (step 2 adds a column
        // the file already has), as a pre-release build with differently numbered steps leaves it.
        Database.Open(DatabasePath);
        SqliteConnection.ClearAllPools();
        using (var raw = RawConnection())
        {
            Scalar(raw, "PRAGMA user_version = 1");
        }
        var before = File.ReadAllBytes(DatabasePath);

        var ex = Assert.Throws<AmpSessionsException>(() => AmpContext.Open(temp.Path));

        Assert.Equal("AmpDatabaseSchemaMismatch", ex.ErrorId);
        Assert.Equal(ErrorKind.InvalidOperation, ex.Kind);
        Assert.Contains(DatabasePath, ex.Message);
        Assert.Contains("does not match its schema version 1", ex.Message);
        Assert.Contains("duplicate column", ex.Message);
        Assert.Contains("--data-dir", ex.Message);
        SqliteConnection.ClearAllPools();
        using (var raw = RawConnection())
        {
            Assert.Equal(1L, Scalar(raw, "PRAGMA user_version"));
        }
        Assert.Equal(before, File.ReadAllBytes(DatabasePath));
    }

    [Fact]
    public void A_data_directory_that_cannot_be_created_is_a_clear_error()
    {
        var file = temp.Combine("a-regular-file");
        File.WriteAllText(file, "not a folder");
        var wanted = Path.Combine(file, "data");

        var ex = Assert.Throws<AmpSessionsException>(() => AmpContext.Open(wanted));

        Assert.Equal("AmpDataDirectoryUnavailable", ex.ErrorId);
        Assert.Contains(wanted, ex.Message);
        Assert.Contains("--data-dir", ex.Message);
        Assert.False(Directory.Exists(wanted));
    }

    [Fact]
    public void The_data_directory_holds_the_database_logs_and_locks()
    {
        var root = temp.Combine("nested", "data dir ü");

        var context = AmpContext.Open(root);

        Assert.Equal(root, context.Data.Root);
        Assert.True(File.Exists(Path.Combine(root, DataDirectory.DatabaseFileName)));
        Assert.True(Directory.Exists(context.Data.LogsRoot));
        Assert.True(Directory.Exists(context.Data.LocksRoot));
    }
}
