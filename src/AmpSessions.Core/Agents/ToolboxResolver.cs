namespace AmpSessions.Core.Agents;

/// <summary>One executable a toolbox offers, or one that was left out and why.</summary>
public sealed record ToolboxTool(string Name, string Path, string Folder);

/// <summary>What the fan-in folder holds: the tools, and what was left out with the reason.</summary>
public sealed record ResolvedToolbox
{
    /// <summary>The folder AMP_TOOLBOX points at; null when nothing was linked (a dry run, or no folders).</summary>
    public string? Directory { get; init; }
    public IReadOnlyList<ToolboxTool> Tools { get; init; } = [];
    public IReadOnlyList<string> Skipped { get; init; } = [];
}

/// <summary>
/// The legacy toolbox system (seed 000 §2.6) for agents that still read AMP_TOOLBOX, a single
/// folder of executables: several toolbox folders are fanned into one runtime folder of the turn,
/// by symbolic link (a copy where links cannot be made, as on Windows without developer mode).
/// Security: only regular, executable files directly inside the folders the user listed; a link
/// that leads outside those folders is left out; at most 1000 tools of at most 10 MB each; the
/// first folder listed wins a name.
/// </summary>
public static class ToolboxResolver
{
    public const int MaxTools = 1000;
    public const long MaxToolBytes = 10 * 1024 * 1024;

    /// <summary>The tools the folders offer (nothing is created): for display.</summary>
    public static ResolvedToolbox Describe(IReadOnlyList<string> folders) => Resolve(folders, target: null);

    /// <summary>Fans the folders' tools into <paramref name="target"/> (an empty private folder of the turn).</summary>
    public static ResolvedToolbox Resolve(IReadOnlyList<string> folders, string? target)
    {
        var tools = new List<ToolboxTool>();
        var skipped = new List<string>();
        var roots = folders.Select(f => Path.TrimEndingDirectorySeparator(Path.GetFullPath(f))).ToList();
        foreach (var folder in roots)
        {
            if (!Directory.Exists(folder))
            {
                skipped.Add($"{folder}: the folder does not exist");
                continue;
            }
            foreach (var file in Directory.EnumerateFileSystemEntries(folder).Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileName(file);
                if (Check(file, roots) is { } reason)
                {
                    skipped.Add($"{file}: {reason}");
                    continue;
                }
                if (tools.Any(t => string.Equals(t.Name, name, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal)))
                {
                    skipped.Add($"{file}: '{name}' is already offered by an earlier folder");
                    continue;
                }
                if (tools.Count >= MaxTools)
                {
                    skipped.Add($"{file}: more than {MaxTools} tools");
                    continue;
                }
                tools.Add(new ToolboxTool(name, file, folder));
            }
        }
        if (target is null || tools.Count == 0)
        {
            return new ResolvedToolbox { Tools = tools, Skipped = skipped };
        }
        foreach (var tool in tools)
        {
            var link = Path.Combine(target, tool.Name);
            try
            {
                File.CreateSymbolicLink(link, tool.Path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
            {
                // Windows without the privilege to make links: a copy serves the same turn.
                File.Copy(tool.Path, link);
            }
        }
        return new ResolvedToolbox { Directory = target, Tools = tools, Skipped = skipped };
    }

    /// <summary>Why an entry is no tool, or null when it is one.</summary>
    private static string? Check(string path, IReadOnlyList<string> roots)
    {
        var info = new FileInfo(path);
        if ((info.Attributes & FileAttributes.Directory) != 0)
        {
            return "a folder, not an executable";
        }
        if (info.LinkTarget is not null)
        {
            var resolved = info.ResolveLinkTarget(returnFinalTarget: true);
            if (resolved is null || !resolved.Exists)
            {
                return "a link to nothing";
            }
            var inside = roots.Any(root => resolved.FullName.StartsWith(root + Path.DirectorySeparatorChar, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal));
            if (!inside)
            {
                return $"a link to {resolved.FullName}, outside the listed toolbox folders";
            }
            info = new FileInfo(resolved.FullName);
        }
        if (info.Length > MaxToolBytes)
        {
            return $"larger than {MaxToolBytes / 1024 / 1024} MB";
        }
        if (OperatingSystem.IsWindows())
        {
            var extensions = (Environment.GetEnvironmentVariable("PATHEXT") ?? ".COM;.EXE;.BAT;.CMD").Split(';', StringSplitOptions.RemoveEmptyEntries);
            return extensions.Any(e => info.Extension.Equals(e, StringComparison.OrdinalIgnoreCase)) ? null : "not an executable (its extension is not in PATHEXT)";
        }
        const UnixFileMode executable = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        return (File.GetUnixFileMode(info.FullName) & executable) == 0 ? "not executable (no x permission)" : null;
    }
}
