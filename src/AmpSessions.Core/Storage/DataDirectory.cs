using AmpSessions.Core.Errors;

namespace AmpSessions.Core.Storage;

/// <summary>
/// The per-user folder that holds the database, logs and configuration:
/// an explicit override, else <c>$AMP_SESSIONS_HOME</c>, else the platform's app-data folder.
/// </summary>
public sealed class DataDirectory
{
    public const string EnvironmentVariable = "AMP_SESSIONS_HOME";
    public const string DatabaseFileName = "amp-sessions.db";

    private DataDirectory(string root) => Root = root;

    public string Root { get; }

    public string DatabasePath => Path.Combine(Root, DatabaseFileName);

    public string LogsRoot => Path.Combine(Root, "logs");

    public string LocksRoot => Path.Combine(Root, "locks");

    /// <summary>Files (and toolbox folders) that live only as long as one agent turn (see <see cref="Agents.RunFiles"/>), named with the owning process id.</summary>
    public string RunsRoot => Path.Combine(Root, "runs");

    /// <summary>A per-run file's name: <c>&lt;kind&gt;-&lt;pid&gt;-&lt;random&gt;&lt;extension&gt;</c>, so a later start can tell whose it was.</summary>
    public static string RunFileName(string kind, string extension) => $"{kind}-{Environment.ProcessId}-{Guid.NewGuid():N}{extension}";

    /// <summary>Removes per-run files and turn folders whose process is gone (it was killed before it could remove them).</summary>
    private static void RemoveOrphanedRunFiles(string folder)
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(folder))
        {
            var parts = Path.GetFileName(entry).Split('-');
            if (parts.Length >= 3 && int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid) && !IsAlive(pid))
            {
                try
                {
                    if (Directory.Exists(entry))
                    {
                        Directory.Delete(entry, recursive: true);
                    }
                    else
                    {
                        File.Delete(entry);
                    }
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // Another process is cleaning up the same entry.
                }
            }
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>What a forced cleanup keeps outside git refs (the work in a worktree's submodules, as bundles), per session.</summary>
    public string SessionBackups(string sessionId) => Path.Combine(Root, "backups", sessionId);

    /// <summary>The folder for one session's transcripts and script output.</summary>
    public string SessionLogs(string sessionId) => Path.Combine(LogsRoot, sessionId);

    /// <summary>Where the data lives when nothing overrides it, per platform.</summary>
    public static string DefaultRoot()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return Path.GetFullPath(fromEnvironment);
        }
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (OperatingSystem.IsWindows())
        {
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "amp-sessions");
        }
        if (OperatingSystem.IsMacOS())
        {
            return Path.Combine(home, "Library", "Application Support", "amp-sessions");
        }
        var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        return Path.Combine(string.IsNullOrWhiteSpace(xdg) ? Path.Combine(home, ".local", "share") : xdg, "amp-sessions");
    }

    /// <summary>Resolves the folder (override first) and creates it, with a clear error when that is impossible.</summary>
    public static DataDirectory Open(string? overridePath = null)
    {
        var root = Path.GetFullPath(string.IsNullOrWhiteSpace(overridePath) ? DefaultRoot() : overridePath);
        try
        {
            PrivateFiles.Folder(root);
            PrivateFiles.Folder(Path.Combine(root, "logs"));
            PrivateFiles.Folder(Path.Combine(root, "locks"));
            PrivateFiles.Folder(Path.Combine(root, "runs"));
            RemoveOrphanedRunFiles(Path.Combine(root, "runs"));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new AmpSessionsException("AmpDataDirectoryUnavailable", ErrorKind.PermissionDenied,
                $"Cannot create the data directory '{root}' ({ex.Message})", root, ex,
                remedy: $"choose a writable folder with {Parameter.DataDirectory} or {EnvironmentVariable}");
        }
        return new DataDirectory(root);
    }
}
