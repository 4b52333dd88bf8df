namespace AmpSessions.Core.Git;

/// <summary>
/// A large working tree split into parts that libgit2 can compare at the same time, as git's own status
/// compares a large index on several threads (preload-index): each part is a list of literal paths (files and
/// folders) for a status with pathspec matching off, and between them the parts name every entry of the
/// working tree and every index entry exactly once. Folders are split from the top down (their entries read
/// from disk and from the index, so a deleted file has its place too) until no single folder holds most of
/// the index. Written here because libgit2 compares on one thread and has no such split of its own.
/// </summary>
internal sealed class WorkingTreeParts
{
    // A folder holding more than this share of the index is split into its entries (when it is a real, tracked folder).
    private const double LargestShare = 0.6;
    private const int MaxSplitFolders = 8;
    // The largest share of the work one part may hold for the split to be worth a second open repository.
    private const double LargestPart = 0.75;

    private readonly string top;
    private readonly List<(string Folder, HashSet<string> Names)> listed;

    private WorkingTreeParts(string top, IReadOnlyList<string>[] paths, List<(string, HashSet<string>)> listed)
    {
        this.top = top;
        Paths = paths;
        this.listed = listed;
    }

    /// <summary>The parts, each a list of paths relative to the top of the working tree ('/'-separated).</summary>
    public IReadOnlyList<string>[] Paths { get; }

    /// <summary>
    /// The working tree at <paramref name="top"/> with the index's <paramref name="indexPaths"/> split into
    /// <paramref name="count"/> parts of about equal numbers of index entries; null when it cannot be split
    /// safely or evenly (a folder unreadable or holding a .git, a name that is not valid UTF-8, one file or
    /// folder holding most of the index).
    /// </summary>
    public static WorkingTreeParts? Split(string top, IReadOnlyList<string> indexPaths, int count = 2)
    {
        if (count < 2 || indexPaths.Count < count)
        {
            return null;
        }
        var listed = new List<(string, HashSet<string>)>();
        var nodes = Entries("", indexPaths, top, listed);
        if (nodes is null)
        {
            return null;
        }
        var total = indexPaths.Count;
        for (var splits = 0; splits < MaxSplitFolders; splits++)
        {
            var largest = nodes.MaxBy(n => n.Weight);
            if (largest.Weight <= total * LargestShare || !largest.IsTrackedFolder || !IsRealFolder(Path.Combine(top, largest.Path)))
            {
                break;
            }
            if (Entries(largest.Path, indexPaths, top, listed) is not { } inside)
            {
                return null;
            }
            nodes.Remove(largest);
            nodes.AddRange(inside);
        }
        // Largest first, each into the lightest part so far.
        var parts = Enumerable.Range(0, count).Select(_ => (Paths: new List<string>(), Weight: 0)).ToArray();
        foreach (var node in nodes.OrderByDescending(n => n.Weight).ThenBy(n => n.Path, StringComparer.Ordinal))
        {
            var lightest = Array.IndexOf(parts, parts.MinBy(p => p.Weight));
            parts[lightest] = (parts[lightest].Paths, parts[lightest].Weight + node.Weight);
            parts[lightest].Paths.Add(node.Path);
        }
        // Worth it only when no part holds most of the work (untracked entries count one each).
        if (parts.Any(p => p.Paths.Count == 0) || parts.Max(p => p.Weight) > nodes.Sum(n => n.Weight) * LargestPart)
        {
            return null;
        }
        return new WorkingTreeParts(top, parts.Select(p => (IReadOnlyList<string>)p.Paths).ToArray(), listed);
    }

    /// <summary>
    /// Whether every folder the split read still holds the same entries: a file created in one of them after it was read
    /// would be in no part, so a status read in parts counts only when this holds afterwards.
    /// </summary>
    public bool StillCurrent() =>
        listed.All(folder => ReadNames(Path.Combine(top, folder.Folder), folder.Folder.Length == 0) is { } names && names.SetEquals(folder.Names));

    private readonly record struct Node(string Path, int Weight, bool IsTrackedFolder);

    /// <summary>The entries of <paramref name="folder"/>: on disk and in the index, weighted by how many index entries each holds.</summary>
    private static List<Node>? Entries(string folder, IReadOnlyList<string> indexPaths, string top, List<(string, HashSet<string>)> listed)
    {
        var onDisk = ReadNames(Path.Combine(top, folder), folder.Length == 0);
        if (onDisk is null)
        {
            return null;
        }
        listed.Add((folder, onDisk));
        var prefix = folder.Length == 0 ? "" : folder + "/";
        var weights = new Dictionary<string, (int Count, bool Folder)>(StringComparer.Ordinal);
        foreach (var path in indexPaths)
        {
            if (!path.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }
            var slash = path.IndexOf('/', prefix.Length);
            var name = slash < 0 ? path[prefix.Length..] : path[prefix.Length..slash];
            var (count, isFolder) = weights.GetValueOrDefault(name);
            weights[name] = (count + 1, isFolder || slash >= 0);
        }
        var nodes = new List<Node>();
        foreach (var name in onDisk.Union(weights.Keys))
        {
            var (count, isFolder) = weights.GetValueOrDefault(name);
            nodes.Add(new Node(prefix + name, Math.Max(1, count), isFolder));
        }
        return nodes;
    }

    /// <summary>The names in a folder (the repository's own .git left out at the top); null when it cannot be read, holds a .git (a repository of its own) or a name that is not valid UTF-8.</summary>
    private static HashSet<string>? ReadNames(string folder, bool isTop)
    {
        try
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var entry in Directory.EnumerateFileSystemEntries(folder))
            {
                var name = Path.GetFileName(entry);
                if (name == ".git" && isTop)
                {
                    continue;
                }
                if (name == ".git" || name.Contains('\uFFFD', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal))
                {
                    return null;
                }
                names.Add(name);
            }
            return names;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>A folder that is not reached through a symbolic link or junction (libgit2 does not follow those).</summary>
    private static bool IsRealFolder(string path)
    {
        var info = new DirectoryInfo(path);
        return info.Exists && (info.Attributes & FileAttributes.ReparsePoint) == 0;
    }
}
