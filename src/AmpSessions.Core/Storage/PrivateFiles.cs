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

    /// <summary>
    /// Opens a private file to write from its start: created, or emptied when it holds something. Unlike
    /// <see cref="System.IO.FileMode.Create"/> it does not truncate an empty or new file: .NET truncates with ftruncate(0),
    /// and ext4 (auto_da_alloc) then starts writing the file's data back to disk when it is closed, which made each small
    /// file written this way cost 0.15 to 1 ms instead of 15 to 50 µs (a session lock's record, a transcript, a log).
    /// </summary>
    public static FileStream Create(string path, FileShare share = FileShare.Read, int bufferSize = 4096)
    {
        var stream = new FileStream(path, CreateOptions(System.IO.FileMode.OpenOrCreate, share, bufferSize));
        try
        {
            if (stream.Length > 0)
            {
                stream.SetLength(0);
            }
            return stream;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>A UTF-8 text writer on a new (or emptied) private file.</summary>
    public static StreamWriter CreateText(string path) =>
        new(Create(path), new UTF8Encoding(false));

    /// <summary>Writes the whole file, private.</summary>
    /// <remarks>
    /// The text is written over what the file held and the file then cut to its length, never emptied first (see
    /// <see cref="Create"/>); a reader meanwhile sees the old text, the new one, or the new one's start over the old
    /// one's end, as it saw a part of the new one before.
    /// </remarks>
    public static void WriteAllText(string path, string text) => WriteAllText(path, text, FileMode);

    /// <summary>As <see cref="WriteAllText(string, string)"/>, a new file made with <paramref name="createMode"/> (Unix).</summary>
    public static void WriteAllText(string path, string text, UnixFileMode createMode)
    {
        var bytes = new UTF8Encoding(false).GetBytes(text);
        var options = CreateOptions(System.IO.FileMode.OpenOrCreate, FileShare.Read, bufferSize: 0);
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = createMode;
        }
        using var stream = new FileStream(path, options);
        stream.Write(bytes);
        if (stream.Length != bytes.Length)
        {
            stream.SetLength(bytes.Length);
        }
    }
}
