namespace AmpSessions.Testing;

/// <summary>Small shell scripts tests run as programs (a recording notify-send, an agent wrapper).</summary>
public static class ExecutableScript
{
    /// <summary>Writes <paramref name="body"/> after a /bin/sh shebang and makes the file executable.</summary>
    public static string Write(string path, string body)
    {
        File.WriteAllText(path, "#!/bin/sh\n" + body);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        }
        return path;
    }
}
