using System.Text;

namespace AmpSessions.Core.Agents;

/// <summary>
/// The private files of one agent turn (its settings file with permission rules, its MCP
/// configuration with resolved secrets, its toolbox folder): files readable by the user only (0600)
/// in the data directory's private <c>runs/</c> folder (0700), deleted when the turn ends, so
/// secrets reach the agent through a file no one else can read and never through its command line.
/// Each name starts with the turn's own <c>turn-&lt;pid&gt;-&lt;random&gt;-</c>, so a later start removes the
/// files of a process killed mid-turn. They sit in <c>runs/</c> itself, not in a folder of the turn:
/// removing that folder was the turn's costliest file operation (rmdir on ext4: 0.13 to 0.8 ms per turn).
/// </summary>
public sealed class RunFiles : IDisposable
{
    /// <summary>The folder under the data directory that holds the turns' private files.</summary>
    public const string FolderName = "runs";

    private readonly string prefix;
    private readonly List<string> made = [];

    private RunFiles(string directory, string prefix)
    {
        Directory = directory;
        this.prefix = prefix;
    }

    /// <summary>The private folder the turn's files are in (shared with the other turns, so it outlives this one).</summary>
    public string Directory { get; }

    /// <summary>Files and folders of this turn under <paramref name="root"/> (the data directory's runs/; else the temp folder).</summary>
    public static RunFiles Create(string? root)
    {
        var parent = root ?? Path.Combine(Path.GetTempPath(), "amp-sessions-" + FolderName);
        try
        {
            // The folder the files sit in is private too (the data directory's runs/ already is): only the user sees even their names.
            Storage.PrivateFiles.Folder(parent);
        }
        catch (UnauthorizedAccessException)
        {
            // The temp folder's runs/ of another user: the files themselves are still readable by this user only.
        }
        // Named with this process id, so a later start removes what a process killed mid-turn left.
        return new RunFiles(parent, Storage.DataDirectory.RunFileName("turn", ""));
    }

    /// <summary>Writes a file only the user can read and returns its path.</summary>
    public string Write(string name, string content)
    {
        var path = Path.Combine(Directory, prefix + "-" + name);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        made.Add(path);
        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream, new UTF8Encoding(false));
        writer.Write(content);
        return path;
    }

    /// <summary>A private sub-folder (the toolbox fan-in).</summary>
    public string Folder(string name)
    {
        var path = Path.Combine(Directory, prefix + "-" + name);
        made.Add(path);
        CreatePrivateDirectory(path);
        return path;
    }

    private static void CreatePrivateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            System.IO.Directory.CreateDirectory(path);
        }
        else
        {
            System.IO.Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    public void Dispose()
    {
        foreach (var path in made)
        {
            try
            {
                if (System.IO.Directory.Exists(path))
                {
                    System.IO.Directory.Delete(path, recursive: true);
                }
                else
                {
                    File.Delete(path);
                }
            }
            catch (IOException)
            {
                // Something still holds a file (Windows); it is private, and a later start removes it once this process is gone.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        made.Clear();
    }
}
