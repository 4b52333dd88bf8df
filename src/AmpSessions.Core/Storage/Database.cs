using AmpSessions.Core.Errors;
using Microsoft.Data.Sqlite;

namespace AmpSessions.Core.Storage;

/// <summary>
/// The SQLite database: WAL journal, a busy timeout so concurrent processes wait rather than fail,
/// foreign keys on, and the schema brought up to date with numbered migrations (PRAGMA user_version).
/// </summary>
public sealed class Database
{
    /// <summary>How long a write waits for another process's transaction; AMP_SESSIONS_DB_BUSY_TIMEOUT_MS overrides it.</summary>
    public static readonly TimeSpan DefaultBusyTimeout = TimeSpan.FromSeconds(30);

    private readonly string connectionString;

    private Database(string path, TimeSpan busyTimeout)
    {
        Path = path;
        BusyTimeout = busyTimeout;
        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            // Microsoft.Data.Sqlite retries a busy statement itself until this command timeout, and 0
            // there means "forever": SQLite's busy_timeout does the waiting, this only bounds the retries.
            DefaultTimeout = Math.Max(1, (int)Math.Ceiling(busyTimeout.TotalSeconds)),
        }.ToString();
    }

    public string Path { get; }

    public TimeSpan BusyTimeout { get; }

    private long connectionsOpened;

    /// <summary>Connections this instance opened so far (diagnostics: tests prove reuse with it).</summary>
    public long ConnectionsOpened => Interlocked.Read(ref connectionsOpened);

    /// <summary>
    /// Opens (creating if needed) and migrates the database at <paramref name="path"/>. With
    /// <paramref name="shareConnections"/>, connections are shared (<see cref="ShareConnection"/>) from the migration on,
    /// until <see cref="EndSharedConnections"/>: the connection that migrated is the one the command then uses.
    /// </summary>
    public static Database Open(string path, TimeSpan? busyTimeout = null, bool shareConnections = false)
    {
        var timeout = busyTimeout ?? BusyTimeoutFromEnvironment() ?? DefaultBusyTimeout;
        RefuseReadOnlyFile(path);
        RefuseEmptyFile(path);
        if (!File.Exists(path))
        {
            CreateAtomically(path, timeout);
        }
        PrivateFiles.Restrict(path);
        var database = new Database(path, timeout);
        if (shareConnections)
        {
            database.sharedSinceOpen = database.ShareConnection();
        }
        database.Execute(connection =>
        {
            Migrations.Apply(connection);
            return 0;
        });
        return database;
    }

    private static TimeSpan? BusyTimeoutFromEnvironment() =>
        int.TryParse(Environment.GetEnvironmentVariable("AMP_SESSIONS_DB_BUSY_TIMEOUT_MS"), out var ms) && ms >= 0
            ? TimeSpan.FromMilliseconds(ms)
            : null;

    // Only a missing file means a new store. SQLite takes an empty file for an empty database and
    // would migrate it: every session would vanish and their worktrees become orphans.
    private static void RefuseEmptyFile(string path)
    {
        if (File.Exists(path) && new FileInfo(path).Length == 0)
        {
            throw new AmpSessionsException("AmpDatabaseEmpty", ErrorKind.InvalidOperation,
                $"The database '{path}' is empty (0 bytes): the sessions it held cannot be read, and it was left as it is", path,
                remedy: $"restore it from a backup, or move it aside to start a new store (the sessions' branches and worktrees stay in their repositories; {Invocation.Of(Operation.Repair)} lists the worktrees no session owns)");
        }
    }

    /// <summary>
    /// A new database is made under a temporary name, migrated, and only then renamed into place, so
    /// a crash while creating it never leaves an empty file (which <see cref="RefuseEmptyFile"/> refuses).
    /// </summary>
    private static void CreateAtomically(string path, TimeSpan timeout)
    {
        var temporary = $"{path}.{Guid.NewGuid():N}.new";
        try
        {
            var creating = new Database(temporary, timeout);
            creating.Execute(connection =>
            {
                Migrations.Apply(connection);
                return 0;
            });
            // Closed before the rename: nothing may keep the temporary file (or its -wal) open.
            creating.CloseIdleConnections();
            PrivateFiles.Restrict(temporary);
            try
            {
                File.Move(temporary, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process created it first: use theirs.
            }
        }
        finally
        {
            foreach (var leftover in new[] { temporary, temporary + "-wal", temporary + "-shm" })
            {
                File.Delete(leftover);
            }
        }
    }

    // SQLite would open a read-only file and fail only at the first write, half-way through an
    // operation; refuse up front instead (file permissions are checked even for root).
    private static void RefuseReadOnlyFile(string path)
    {
        if (!File.Exists(path))
        {
            return;
        }
        var readOnly = OperatingSystem.IsWindows()
            ? File.GetAttributes(path).HasFlag(FileAttributes.ReadOnly)
            : (File.GetUnixFileMode(path) & UnixFileMode.UserWrite) == 0;
        if (readOnly)
        {
            throw new AmpSessionsException("AmpDatabaseReadOnly", ErrorKind.PermissionDenied,
                $"The database '{path}' is read-only", path,
                remedy: $"make it writable (chmod u+w) or use another {Parameter.DataDirectory}");
        }
    }

    /// <summary>
    /// Runs work on an open connection with the session pragmas set; SQLite errors become clear
    /// messages. Inside <see cref="ShareConnection"/> connections are reused: opening one (the file, the schema,
    /// the pragmas) and closing it cost more than most of the statements run here, and a batch or a
    /// pipeline runs thousands. Outside one, each call has a fresh connection, closed after it.
    /// </summary>
    public T Execute<T>(Func<SqliteConnection, T> work)
    {
        SqliteConnection? connection = null;
        var reusable = false;
        try
        {
            connection = Rent();
            var result = work(connection);
            reusable = true;
            return result;
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
        finally
        {
            if (connection is not null)
            {
                // After a failure the connection may hold a half-done transaction: it is closed, not kept.
                Return(connection, reusable);
            }
        }
    }

    // Why by hand: Microsoft.Data.Sqlite's own pool is keyed by the connection string for the whole
    // process, so it would keep serving a file that was replaced or deleted (a database created
    // under a temporary name, a store moved aside) to every later Database of that path. These idle
    // connections belong to this instance alone: a new store (AmpContext) opens the file afresh.
    private const int MaxIdleConnections = 4;
    private readonly System.Collections.Concurrent.ConcurrentBag<SqliteConnection> idle = [];

    private SqliteConnection Rent() => idle.TryTake(out var kept) ? kept : OpenConnection();

    private SqliteConnection OpenConnection()
    {
        var connection = new SqliteConnection(connectionString);
        Interlocked.Increment(ref connectionsOpened);
        try
        {
            connection.Open();
            using (var pragma = connection.CreateCommand())
            {
                pragma.CommandText = $"PRAGMA busy_timeout = {(int)BusyTimeout.TotalMilliseconds}; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;";
                pragma.ExecuteNonQuery();
            }
            EnsureWal(connection);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Rows as they are read: one connection (pragmas set as in <see cref="Execute{T}"/>) stays open until the
    /// enumeration ends or is disposed, and each row is materialized only when asked for, so a caller that writes
    /// rows out as it goes holds one row in memory, not the table.
    /// </summary>
    public IEnumerable<T> Stream<T>(Action<SqliteCommand> prepare, Func<SqliteDataReader, T> read)
    {
        using var connection = Translated(OpenConnection);
        using var command = connection.CreateCommand();
        prepare(command);
        using var reader = Translated(command.ExecuteReader);
        while (Translated(reader.Read))
        {
            yield return read(reader);
        }
    }

    /// <summary>Runs one step of a streamed read with SQLite errors made clear (a yield cannot sit inside a try with a catch).</summary>
    private TResult Translated<TResult>(Func<TResult> step)
    {
        try
        {
            return step();
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }

    private int sharers;

    // The sharing Open began (shareConnections), until EndSharedConnections.
    private IDisposable? sharedSinceOpen;

    /// <summary>
    /// Ends the sharing <see cref="Open"/> began: unless another scope is still open, the kept connections close, and the
    /// last to close checkpoints the WAL into the database file, so between commands the store is one file.
    /// </summary>
    public void EndSharedConnections() => Interlocked.Exchange(ref sharedSinceOpen, null)?.Dispose();

    /// <summary>
    /// Keeps connections open for reuse until the returned scope is disposed: a PowerShell pipeline
    /// holds one scope for its whole run and a batch run another, so 200 piped sessions or thousands of
    /// items pay for opening the database (the file, its schema, the pragmas) a few times, not on every
    /// query. Work on other threads at the same time gets connections of its own (at most
    /// <see cref="MaxIdleConnections"/> are kept); nested scopes are counted, and the last one to end
    /// closes what was kept, so nothing holds the file once no command runs.
    /// </summary>
    public IDisposable ShareConnection()
    {
        Interlocked.Increment(ref sharers);
        return new SharedConnectionScope(this);
    }

    private sealed class SharedConnectionScope(Database database) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0 && Interlocked.Decrement(ref database.sharers) == 0)
            {
                database.CloseIdleConnections();
            }
        }
    }

    private void Return(SqliteConnection connection, bool reusable)
    {
        // After a failure the connection may hold a half-done transaction: it is closed, not kept.
        if (reusable && Volatile.Read(ref sharers) > 0 && connection.State == System.Data.ConnectionState.Open && idle.Count < MaxIdleConnections)
        {
            idle.Add(connection);
            // The last scope may have ended meanwhile: then nobody would close what was just kept.
            if (Volatile.Read(ref sharers) == 0)
            {
                CloseIdleConnections();
            }
            return;
        }
        connection.Dispose();
    }

    /// <summary>Closes the connections kept for reuse (the next call opens a new one).</summary>
    public void CloseIdleConnections()
    {
        while (idle.TryTake(out var connection))
        {
            connection.Dispose();
        }
    }

    /// <summary>
    /// Keeps one connection open until disposed. SQLite checkpoints the WAL when the last
    /// connection closes, so a long run of short connections (a batch writing two rows per item)
    /// would pay a checkpoint on every write; with this held, they do not.
    /// </summary>
    public IDisposable KeepOpen()
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
        }
        catch (SqliteException ex)
        {
            connection.Dispose();
            throw Translate(ex);
        }
        return connection;
    }

    /// <summary>Runs work inside one write transaction (BEGIN IMMEDIATE: the write lock is taken up front).</summary>
    public T Transaction<T>(Func<SqliteConnection, SqliteTransaction, T> work) => Execute(connection =>
    {
        var transaction = connection.BeginTransaction(deferred: false);
        T result;
        try
        {
            result = work(connection, transaction);
            transaction.Commit();
        }
        catch
        {
            RollBackAfterFailure(connection, transaction);
            throw;
        }
        transaction.Dispose();
        return result;
    });

    /// <summary>
    /// Rolls back what a failed transaction wrote. SQLite may have rolled it back itself (a full disk, an I/O error): the
    /// wrapper's ROLLBACK then fails with "cannot rollback - no transaction is active", and would again when the connection
    /// closes, hiding the error that mattered. It is given an empty transaction to roll back instead, so the first error is
    /// the one reported and the connection closes cleanly.
    /// </summary>
    private static void RollBackAfterFailure(SqliteConnection connection, SqliteTransaction transaction)
    {
        try
        {
            transaction.Dispose();
        }
        catch (SqliteException)
        {
            try
            {
                using var begin = connection.CreateCommand();
                begin.Transaction = transaction;
                begin.CommandText = "BEGIN";
                begin.ExecuteNonQuery();
                transaction.Dispose();
            }
            catch (SqliteException)
            {
                // Nothing more to undo here: the connection is closed after a failure, not kept.
            }
        }
    }

    private static void EnsureWal(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        if (string.Equals(command.ExecuteScalar() as string, "wal", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }
        command.CommandText = "PRAGMA journal_mode = WAL";
        command.ExecuteScalar();
    }

    /// <summary>
    /// Whether the database's disk has (almost) no room left: SQLite reports a full disk as an I/O
    /// error when it is its shared-memory index that cannot grow (tmpfs, WAL mode).
    /// </summary>
    private bool DiskIsFull()
    {
        try
        {
            return new DriveInfo(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!).AvailableFreeSpace < 64 * 1024;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return false;
        }
    }

    private Exception Translate(SqliteException ex) => ex.SqliteErrorCode switch
    {
        5 or 6 => new AmpSessionsException("AmpDatabaseLocked", ErrorKind.ResourceBusy,
            $"The database '{Path}' is locked by another process (waited {BusyTimeout.TotalSeconds:0.#} s): close the other program or try again.", Path, ex),
        8 => new AmpSessionsException("AmpDatabaseReadOnly", ErrorKind.PermissionDenied,
            $"The database '{Path}' is read-only", Path, ex, remedy: $"make it and its folder writable or use another {Parameter.DataDirectory}"),
        14 => new AmpSessionsException("AmpDatabaseUnavailable", ErrorKind.PermissionDenied,
            $"Cannot open the database '{Path}'", Path, ex, remedy: $"check that its folder exists and is writable, or use another {Parameter.DataDirectory}"),
        13 or 10 when ex.SqliteErrorCode == 13 || DiskIsFull() => new AmpSessionsException("AmpDiskFull", ErrorKind.PermissionDenied,
            $"The disk holding the database '{Path}' is full", Path, ex,
            remedy: $"free space on that disk, then run {Invocation.Of(Operation.Repair)} (a session that was running reads Interrupted until then)"),
        11 or 26 => new AmpSessionsException("AmpDatabaseCorrupt", ErrorKind.InvalidOperation,
            $"The database '{Path}' is damaged or not a database: move it aside and run again to start a new one.", Path, ex),
        _ => new AmpSessionsException("AmpDatabaseError", ErrorKind.InvalidOperation, $"Database error in '{Path}': {ex.Message}", Path, ex),
    };
}
