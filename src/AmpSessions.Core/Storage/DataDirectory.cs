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
            Directory.CreateDirectory(root);
            Directory.CreateDirectory(Path.Combine(root, "logs"));
            Directory.CreateDirectory(Path.Combine(root, "locks"));
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
