using System.Text;

namespace AmpSessions.Core.Agents;

/// <summary>
/// The private files of one agent turn (its settings file with permission rules, its MCP
/// configuration with resolved secrets, its toolbox folder): a folder readable by the user only
/// (0700, files 0600) under the data directory's <c>runs/</c>, deleted when the turn ends, so
/// secrets reach the agent through a file no one else can read and never through its command line.
/// </summary>
public sealed class RunFiles : IDisposable
{
    /// <summary>The folder under the data directory that holds the turns' private folders.</summary>
    public const string FolderName = "runs";

    private RunFiles(string directory) => Directory = directory;

    public string Directory { get; }

    /// <summary>Makes a fresh private folder under <paramref name="root"/> (the data directory's runs/; else the temp folder).</summary>
    public static RunFiles Create(string? root)
    {
        var parent = root ?? Path.Combine(Path.GetTempPath(), "amp-sessions-" + FolderName);
        CreatePrivateDirectory(parent);
        // Named with this process id, so a later start removes the folder of a process killed mid-turn.
        var directory = Path.Combine(parent, Storage.DataDirectory.RunFileName("turn", ""));
        CreatePrivateDirectory(directory);
        return new RunFiles(directory);
    }

    /// <summary>Writes a file only the user can read and returns its path.</summary>
    public string Write(string name, string content)
    {
        var path = Path.Combine(Directory, name);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream, new UTF8Encoding(false));
        writer.Write(content);
        return path;
    }

    /// <summary>A private sub-folder (the toolbox fan-in).</summary>
    public string Folder(string name)
    {
        var path = Path.Combine(Directory, name);
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
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Something still holds a file (Windows); the folder is private and holds nothing once the agent is gone.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
