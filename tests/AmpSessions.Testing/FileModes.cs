namespace AmpSessions.Testing;

/// <summary>File permission changes tests need, on every platform.</summary>
public static class FileModes
{
    public static void MakeExecutable(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }
    }

    public static void MakeReadOnly(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            File.SetAttributes(path, File.GetAttributes(path) | FileAttributes.ReadOnly);
        }
        else
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }
    }

    /// <summary>A file's or folder's Unix permission bits in octal ("700"); Unix only (Windows has ACLs instead).</summary>
    public static string Octal(string path) => OperatingSystem.IsWindows()
        ? throw new PlatformNotSupportedException("Unix permission bits: Windows keeps files private with the profile's ACLs")
        : Convert.ToString((int)File.GetUnixFileMode(path), 8);
}
