namespace AmpSessions.Core.Processes;

/// <summary>Finds a program the way a shell would: a path as given, else the first match on PATH.</summary>
public static class ExecutableLocator
{
    /// <summary>The full path of <paramref name="fileName"/>, or null when it cannot be found.</summary>
    public static string? Find(string fileName, string? pathVariable = null)
    {
        if (string.IsNullOrWhiteSpace(fileName))
        {
            return null;
        }
        var candidates = OperatingSystem.IsWindows() ? WithWindowsExtensions(fileName) : [fileName];
        if (fileName.Contains(Path.DirectorySeparatorChar) || fileName.Contains(Path.AltDirectorySeparatorChar))
        {
            return candidates.Select(Path.GetFullPath).FirstOrDefault(IsExecutableFile);
        }
        var path = pathVariable ?? Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var directory in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var candidate in candidates)
            {
                var full = Path.Combine(directory, candidate);
                if (IsExecutableFile(full))
                {
                    return full;
                }
            }
        }
        return null;
    }

    private static IEnumerable<string> WithWindowsExtensions(string fileName)
    {
        if (Path.HasExtension(fileName))
        {
            yield return fileName;
        }
        var extensions = (Environment.GetEnvironmentVariable("PATHEXT") ?? ".COM;.EXE;.BAT;.CMD")
            .Split(';', StringSplitOptions.RemoveEmptyEntries);
        foreach (var extension in extensions)
        {
            yield return fileName + extension.ToLowerInvariant();
        }
    }

    private static bool IsExecutableFile(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }
        if (OperatingSystem.IsWindows())
        {
            return true;
        }
        var mode = File.GetUnixFileMode(path);
        return (mode & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
    }
}
