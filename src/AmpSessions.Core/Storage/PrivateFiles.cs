using System.Text;

namespace AmpSessions.Core.Storage;

/// <summary>
/// The data directory holds prompts, transcripts, test output and per-run settings (which carry the
/// user's Amp settings, tokens included): on Unix its folders are 0700 and its files 0600 whatever
/// the umask. Windows folders under the user's profile are private already.
/// </summary>
public static class PrivateFiles
{
    public const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Creates the folder (and its parents) and makes the folder itself private.</summary>
    public static string Folder(string path)
    {
        Directory.CreateDirectory(path);
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & ~FolderMode) != 0)
        {
            File.SetUnixFileMode(path, FolderMode);
        }
        return path;
    }

    /// <summary>Makes an existing file private (a database SQLite created with the umask's mode).</summary>
    public static void Restrict(string path)
    {
        if (!OperatingSystem.IsWindows() && File.Exists(path) && (File.GetUnixFileMode(path) & ~FileMode) != 0)
        {
            File.SetUnixFileMode(path, FileMode);
        }
    }

    /// <summary>Options that create (or truncate) a file readable and writable by its owner only.</summary>
    public static FileStreamOptions CreateOptions(FileMode mode = System.IO.FileMode.Create, FileShare share = FileShare.Read, int bufferSize = 4096)
    {
        var options = new FileStreamOptions { Mode = mode, Access = FileAccess.Write, Share = share, BufferSize = bufferSize };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = FileMode;
        }
        return options;
    }

    /// <summary>A UTF-8 text writer on a new private file.</summary>
    public static StreamWriter CreateText(string path) =>
        new(new FileStream(path, CreateOptions()), new UTF8Encoding(false));

    /// <summary>Writes the whole file, private.</summary>
    public static void WriteAllText(string path, string text)
    {
        using var writer = CreateText(path);
        writer.Write(text);
    }
}
