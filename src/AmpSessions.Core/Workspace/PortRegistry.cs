using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using AmpSessions.Core.Configuration;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Core.Workspace;

/// <summary>
/// Hands each session a block of TCP ports that no other live session on this machine holds, so
/// parallel sessions can each run a dev server (AMP_SESSION_PORT is the block's first port). The
/// registry is one folder for the whole machine (every user and data directory): a claim file per
/// block, written under a lock, holding the session and its worktree. A claim whose worktree is gone
/// is stale (its session was cleaned up, or its process died while creating it) and is taken back. A
/// block with a port something else is listening on is skipped.
/// </summary>
public static class PortRegistry
{
    /// <summary>Overrides the registry folder (tests give each bed its own).</summary>
    public const string EnvironmentVariable = "AMP_SESSIONS_PORT_REGISTRY";
    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(30);
    private const UnixFileMode SharedClaimMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    internal sealed record PortClaim(string SessionId, string WorktreePath, string DataDirectory, int ProcessId, DateTimeOffset ClaimedAt);

    public static string Folder(Func<string, string?> variables) =>
        variables(EnvironmentVariable) is { Length: > 0 } configured ? Path.GetFullPath(configured) : Path.Combine(Path.GetTempPath(), "amp-sessions-ports");

    /// <summary>Claims the first free block of <paramref name="size"/> ports in <paramref name="range"/> for the session.</summary>
    public static async Task<PortBlock> ClaimAsync(string folder, Session session, string dataDirectory, int size, PortRange range, CancellationToken cancellationToken)
    {
        using var registryLock = await LockAsync(folder, cancellationToken).ConfigureAwait(false);
        for (var first = range.First; first + size - 1 <= range.Last; first += size)
        {
            var path = ClaimPath(folder, first);
            if (File.Exists(path))
            {
                if (!IsStale(path) || !TryDelete(path))
                {
                    continue;
                }
            }
            if (!AllFree(first, size))
            {
                continue;
            }
            var claim = new PortClaim(session.Id, session.WorktreePath, dataDirectory, Environment.ProcessId, DateTimeOffset.UtcNow);
            // Readable by every user (they judge each other's claims); written without emptying it first (see PrivateFiles.Create).
            Storage.PrivateFiles.WriteAllText(path, Serialization.JsonOutput.Serialize(claim, Serialization.JsonOutput.Compact), SharedClaimMode);
            return new PortBlock(first, size);
        }
        throw new AmpSessionsException("AmpPortsExhausted", ErrorKind.ResourceBusy,
            $"No block of {size} free ports is left in {range} (live sessions hold the others, or other programs listen on them)", range.ToString(),
            remedy: $"clean up sessions you no longer need, or widen port_range (or lower ports) in the configuration");
    }

    /// <summary>Gives the session's block back (its claim file), if the session still holds it.</summary>
    public static async Task ReleaseAsync(string folder, Session session, CancellationToken cancellationToken = default)
    {
        if (session.Ports is not { } ports || !Directory.Exists(folder))
        {
            return;
        }
        using var registryLock = await LockAsync(folder, cancellationToken).ConfigureAwait(false);
        var path = ClaimPath(folder, ports.First);
        if (Read(path) is { } claim && claim.SessionId == session.Id)
        {
            File.Delete(path);
        }
    }

    /// <summary>Whether the session holds its block's claim (tests, repair).</summary>
    public static bool Holds(string folder, Session session) =>
        session.Ports is { } ports && Read(ClaimPath(folder, ports.First)) is { } claim && claim.SessionId == session.Id;

    // Another user's stale claim in the shared (sticky) folder is theirs to delete: its block is skipped.
    private static bool TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            return true;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static string ClaimPath(string folder, int first) => Path.Combine(folder, first.ToString(CultureInfo.InvariantCulture) + ".json");

    private static bool IsStale(string path) => Read(path) is not { } claim || !Directory.Exists(claim.WorktreePath);

    private static PortClaim? Read(string path)
    {
        try
        {
            return File.Exists(path) ? Serialization.JsonOutput.Deserialize<PortClaim>(File.ReadAllText(path), Serialization.JsonOutput.Compact) : null;
        }
        catch (JsonException)
        {
            // A claim cut short (a crash while writing it) holds nothing.
            return null;
        }
    }

    // Something already listening on a port of the block (a dev server started by hand) makes it unusable.
    private static bool AllFree(int first, int size)
    {
        for (var port = first; port < first + size; port++)
        {
            try
            {
                var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                listener.Stop();
            }
            catch (SocketException)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The registry's lock: an OS file lock (released if the process dies), waited for like the repository lock.</summary>
    private static async Task<FileStream> LockAsync(string folder, CancellationToken cancellationToken)
    {
        CreateShared(folder);
        var path = Path.Combine(folder, ".lock");
        var deadline = DateTime.UtcNow + LockWait;
        var delay = TimeSpan.FromMilliseconds(5);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                if (!OperatingSystem.IsWindows())
                {
                    try
                    {
                        // Every user of the machine locks the same file.
                        File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32("666", 8));
                    }
                    catch (UnauthorizedAccessException)
                    {
                        // Made by another user, who made it shared.
                    }
                }
                return stream;
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 100));
            }
            catch (IOException ex)
            {
                throw new AmpSessionsException("AmpPortRegistryBusy", ErrorKind.ResourceBusy,
                    $"The port registry '{folder}' stayed locked for {LockWait.TotalSeconds:0} seconds", folder, ex,
                    remedy: $"try again; if it persists, look for a stuck amp-sessions process");
            }
            catch (UnauthorizedAccessException ex)
            {
                throw new AmpSessionsException("AmpPortRegistryDenied", ErrorKind.PermissionDenied,
                    $"Cannot use the port registry '{folder}' ({ex.Message})", folder, ex,
                    remedy: $"make the folder writable for every user (like /tmp: mode 1777), or point {EnvironmentVariable} at another");
            }
        }
    }

    // One registry for every user of the machine: world-writable with the sticky bit, like /tmp itself.
    private static void CreateShared(string folder)
    {
        if (Directory.Exists(folder))
        {
            return;
        }
        Directory.CreateDirectory(folder);
        if (!OperatingSystem.IsWindows())
        {
            try
            {
                File.SetUnixFileMode(folder, (UnixFileMode)Convert.ToInt32("1777", 8));
            }
            catch (UnauthorizedAccessException)
            {
                // Another user made it a moment ago: theirs is as good.
            }
        }
    }
}
