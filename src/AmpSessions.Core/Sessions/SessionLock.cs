using AmpSessions.Core.Errors;

namespace AmpSessions.Core.Sessions;

/// <summary>
/// One agent turn or script run per session at a time, across processes: an OS file lock on
/// <c>&lt;data&gt;/locks/session-&lt;id&gt;.lock</c>, released when the holder ends (even by a crash), so
/// repair can tell a Running session whose process is gone.
/// </summary>
public sealed class SessionLock : IDisposable
{
    private readonly FileStream stream;

    private SessionLock(FileStream stream) => this.stream = stream;

    private static string PathFor(AmpContext context, string sessionId) => Path.Combine(context.Data.LocksRoot, $"session-{sessionId}.lock");

    private static string HolderPath(string lockPath) => lockPath + ".holder";

    /// <summary>Takes the lock or fails at once, naming what holds it.</summary>
    public static SessionLock Acquire(AmpContext context, Session session, string operation)
    {
        var path = PathFor(context, session.Id);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex)
        {
            var holder = TryRead(HolderPath(path));
            throw new AmpSessionsException("AmpSessionBusy", ErrorKind.ResourceBusy,
                $"Session {session.Id} is busy{(holder is null ? "" : $" ({holder})")}: wait for it to finish, or stop it, then try again.", session.Id, ex);
        }
        // Who holds it goes beside the lock: on Unix the locked file itself cannot be opened, even to read.
        try
        {
            File.WriteAllText(HolderPath(path), $"{Environment.ProcessId} {operation}\n");
        }
        catch
        {
            stream.Dispose();
            throw;
        }
        return new SessionLock(stream);
    }

    /// <summary>Whether some process holds the session's lock right now.</summary>
    public static bool IsHeld(AmpContext context, string sessionId)
    {
        var path = PathFor(context, sessionId);
        if (!File.Exists(path))
        {
            return false;
        }
        try
        {
            using var probe = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    private static string? TryRead(string path)
    {
        try
        {
            using var reader = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var text = new StreamReader(reader);
            var line = text.ReadLine()?.Trim();
            return string.IsNullOrEmpty(line) ? null : $"process {line}";
        }
        catch (IOException)
        {
            return null;
        }
    }

    public void Dispose() => stream.Dispose();
}
