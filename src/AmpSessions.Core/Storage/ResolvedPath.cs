namespace AmpSessions.Core.Storage;

/// <summary>
/// A path with every symbolic link in it resolved, as git records worktree paths (a symlinked
/// .worktrees folder, macOS's /tmp → /private/tmp). The part of the path that does not exist yet is
/// kept as written. .NET has no realpath; this walks the components with ResolveLinkTarget.
/// </summary>
public static class ResolvedPath
{
    private const int MaxLinks = 40;

    public static string Of(string path) => Resolve(Path.GetFullPath(path), 0);

    /// <summary>Whether two paths name the same place once links are resolved (case-insensitively where the platform's file systems are).</summary>
    public static bool Same(string a, string b) =>
        string.Equals(Path.TrimEndingDirectorySeparator(Of(a)), Path.TrimEndingDirectorySeparator(Of(b)), Comparison);

    /// <summary>Whether <paramref name="path"/> is inside <paramref name="folder"/> once links are resolved.</summary>
    public static bool IsUnder(string path, string folder) =>
        Of(path).StartsWith(Path.TrimEndingDirectorySeparator(Of(folder)) + Path.DirectorySeparatorChar, Comparison);

    /// <summary>How paths compare on this platform (Windows and macOS file systems ignore case by default).</summary>
    public static StringComparison Comparison =>
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    private static string Resolve(string full, int depth)
    {
        var root = Path.GetPathRoot(full) ?? "";
        var parts = full[root.Length..].Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        var current = root;
        for (var i = 0; i < parts.Length; i++)
        {
            var next = Path.Combine(current, parts[i]);
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            if (!info.Exists && info.LinkTarget is null)
            {
                // Nothing further exists: keep the rest as written.
                return Path.Combine([next, .. parts[(i + 1)..]]);
            }
            if (info.LinkTarget is not null && depth < MaxLinks)
            {
                var target = info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? next;
                // The target may itself pass through links in its folders.
                next = Resolve(Path.GetFullPath(target), depth + 1);
            }
            current = next;
        }
        return current;
    }
}
