using System.Globalization;
using AmpSessions.Core.Errors;

namespace AmpSessions.Core.Sessions;

/// <summary>
/// One operation per session at a time, across processes: every operation that changes a session's
/// branch, worktree or status (new, iterate, run, commit, squash, rebase, merge, restore, cleanup,
/// repair) holds it for its whole duration. It is an OS file lock on
/// <c>&lt;data&gt;/locks/session-&lt;id&gt;.lock</c>, released when the holder ends, even by kill -9,
/// so a status that claims a live process can always be checked against it.
/// Beside the lock the holder keeps a record of what it is doing (<see cref="SessionLockRecord"/>):
/// removed when the operation ends normally, so a record whose lock nobody holds is the trace of an
/// interrupted operation that <see cref="SessionManager.RepairAsync"/> reconciles.
/// </summary>
public sealed class SessionLock : IDisposable
{
    /// <summary>How long an acquisition waits for a holder that is only probing (a status read) before saying busy.</summary>
    private static readonly TimeSpan ProbeGrace = TimeSpan.FromMilliseconds(750);

    private readonly FileStream stream;
    private readonly string recordPath;
    private readonly bool keepsRecord;
    private SessionLockRecord? record;
    private bool released;

    private SessionLock(FileStream stream, string recordPath, SessionLockRecord? record, SessionLockRecord? abandoned)
    {
        this.stream = stream;
        this.recordPath = recordPath;
        this.record = record;
        keepsRecord = record is not null;
        Abandoned = abandoned;
    }

    /// <summary>The record a previous holder left behind when it died (null: it ended normally, or there was none).</summary>
    public SessionLockRecord? Abandoned { get; }

    internal static string PathFor(AmpContext context, string sessionId) => Path.Combine(context.Data.LocksRoot, $"session-{sessionId}.lock");

    private static string RecordPathFor(string lockPath) => lockPath + ".holder";

    /// <summary>Takes the lock or fails at once (after a short grace for status probes), naming what holds it.</summary>
    public static SessionLock Acquire(AmpContext context, Session session, string operation) => Acquire(context, session.Id, operation);

    /// <inheritdoc cref="Acquire(AmpContext, Session, string)"/>
    public static SessionLock Acquire(AmpContext context, string sessionId, string operation)
    {
        var path = PathFor(context, sessionId);
        var deadline = DateTime.UtcNow + ProbeGrace;
        while (true)
        {
            if (TryAcquire(context, sessionId, operation) is { } acquired)
            {
                return acquired;
            }
            if (DateTime.UtcNow >= deadline)
            {
                var holder = ReadRecord(RecordPathFor(path));
                throw new AmpSessionsException("AmpSessionBusy", ErrorKind.ResourceBusy,
                    $"Session {sessionId} is busy{(holder is null ? "" : $" ({holder.Describe()})")}", sessionId,
                    remedy: $"wait for it to finish, or stop it, then try again");
            }
            Thread.Sleep(25);
        }
    }

    /// <summary>
    /// Takes the lock if nobody holds it, else null. With an <paramref name="operation"/> the holder
    /// writes its record; without one (a probe) it writes and removes nothing.
    /// </summary>
    public static SessionLock? TryAcquire(AmpContext context, string sessionId, string? operation)
    {
        var path = PathFor(context, sessionId);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
        try
        {
            var recordPath = RecordPathFor(path);
            var abandoned = ReadRecord(recordPath);
            if (operation is null)
            {
                return new SessionLock(stream, recordPath, null, abandoned);
            }
            // On Unix the locked file itself cannot be opened by others, even to read: the record goes beside it.
            var record = SessionLockRecord.ForThisProcess(operation, DateTimeOffset.UtcNow);
            Storage.PrivateFiles.WriteAllText(recordPath, record.Format());
            return new SessionLock(stream, recordPath, record, abandoned);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Whether some process holds the session's lock right now.</summary>
    public static bool IsHeld(AmpContext context, string sessionId)
    {
        var path = PathFor(context, sessionId);
        if (!File.Exists(path))
        {
            return false;
        }
        using var probe = TryAcquire(context, sessionId, operation: null);
        return probe is null;
    }

    /// <summary>The record of the operation the current holder (or a dead one) announced; null when there is none.</summary>
    public static SessionLockRecord? ReadHolder(AmpContext context, string sessionId) => ReadRecord(RecordPathFor(PathFor(context, sessionId)));

    /// <summary>Adds what the operation is about to do to its record (read by repair if the process dies before it ends).</summary>
    public void Announce(string key, string value)
    {
        if (record is null)
        {
            return;
        }
        record = record with { Details = new Dictionary<string, string>(record.Details) { [key] = value } };
        Storage.PrivateFiles.WriteAllText(recordPath, record.Format());
    }

    /// <summary>Removes the record (the operation ended), then releases the lock.</summary>
    public void Dispose()
    {
        if (released)
        {
            return;
        }
        released = true;
        if (keepsRecord)
        {
            TryDelete(recordPath);
        }
        stream.Dispose();
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // A record that cannot be removed only makes repair look at the session once more.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static SessionLockRecord? ReadRecord(string path)
    {
        try
        {
            using var reader = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var text = new StreamReader(reader);
            return SessionLockRecord.Parse(text.ReadToEnd());
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

/// <summary>What a session lock's holder is doing: its process, the operation, and the facts repair needs if it dies.</summary>
public sealed record SessionLockRecord(int ProcessId, string Operation, DateTimeOffset StartedAt, IReadOnlyDictionary<string, string> Details)
{
    internal static SessionLockRecord ForThisProcess(string operation, DateTimeOffset now) =>
        new(Environment.ProcessId, operation, now, new Dictionary<string, string>());

    /// <summary>The value of one announced detail, or null.</summary>
    public string? Detail(string key) => Details.TryGetValue(key, out var value) ? value : null;

    /// <summary>"process 123 merge".</summary>
    public string Describe() => $"process {ProcessId} {Operation}";

    // One key=value per line: readable by people, and needs no serializer (the CLI may be trimmed).
    internal string Format()
    {
        var lines = new List<string>
        {
            $"pid={ProcessId.ToString(CultureInfo.InvariantCulture)}",
            $"operation={OneLine(Operation)}",
            $"started={StartedAt.ToString("O", CultureInfo.InvariantCulture)}",
        };
        lines.AddRange(Details.Select(d => $"{OneLine(d.Key)}={OneLine(d.Value)}"));
        return string.Join('\n', lines) + "\n";
    }

    internal static SessionLockRecord? Parse(string text)
    {
        var values = new Dictionary<string, string>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = line.IndexOf('=');
            if (equals > 0)
            {
                values[line[..equals]] = line[(equals + 1)..];
            }
        }
        if (!values.Remove("pid", out var pidText) || !int.TryParse(pidText, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            return null;
        }
        values.Remove("operation", out var operation);
        values.Remove("started", out var startedText);
        var started = DateTimeOffset.TryParse(startedText, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at) ? at : DateTimeOffset.MinValue;
        return new SessionLockRecord(pid, operation ?? "unknown", started, values);
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");
}
