using AmpSessions.Core.Configuration;
using AmpSessions.Core.Git;

namespace AmpSessions.Core.Workspace;

/// <summary>
/// `.worktreeinclude` at the repository root names, in gitignore syntax, the ignored files a new
/// worktree needs from the main checkout (`.env.local`, local certificates). Only files that match it
/// and that git ignores are copied: never tracked files, never the rest of the ignored tree.
/// </summary>
public static class WorktreeInclude
{
    /// <summary>The main checkout's files to copy, as paths relative to its root (none without a .worktreeinclude).</summary>
    public static async Task<IReadOnlyList<string>> FilesAsync(string repositoryRoot, string gitExecutable, CancellationToken cancellationToken)
    {
        var includeFile = Path.Combine(repositoryRoot, ConfigurationKeys.WorktreeIncludeFileName);
        if (!File.Exists(includeFile))
        {
            return [];
        }
        var git = new GitClient(repositoryRoot, gitExecutable);
        // Untracked files the include patterns match (the patterns act as the only "ignore" rules here)...
        var candidates = Split(await git.ReadAsync(["ls-files", "-z", "--others", "--ignored", "--exclude-from=" + includeFile], cancellationToken).ConfigureAwait(false));
        if (candidates.Count == 0)
        {
            return [];
        }
        // ...of which only those git itself ignores: a file the user merely has not added yet is not copied.
        var ignored = await git.RunAsync(["check-ignore", "-z", "--stdin"], allowFailure: true, standardInput: string.Join('\0', candidates) + "\0", cancellationToken: cancellationToken).ConfigureAwait(false);
        return Split(ignored.StandardOutput).Where(p => !p.StartsWith(SessionsFolderPrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
    }

    private const string SessionsFolderPrefix = Sessions.SessionManager.WorktreesFolder + "/";

    /// <summary>Copies the files into the worktree (links stay links), creating their folders; returns what was copied.</summary>
    public static IReadOnlyList<string> Copy(string repositoryRoot, string worktreePath, IReadOnlyList<string> files)
    {
        var copied = new List<string>();
        var root = Path.GetFullPath(repositoryRoot);
        foreach (var relative in files)
        {
            var source = Path.GetFullPath(Path.Combine(root, relative));
            var target = Path.GetFullPath(Path.Combine(worktreePath, relative));
            if (!source.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal) || File.Exists(target) || Directory.Exists(target))
            {
                continue;
            }
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            var info = new FileInfo(source);
            if (info.LinkTarget is { } link)
            {
                File.CreateSymbolicLink(target, link);
            }
            else if (info.Exists)
            {
                File.Copy(source, target);
            }
            else
            {
                continue;
            }
            copied.Add(relative);
        }
        return copied;
    }

    private static List<string> Split(string output) => output.Split('\0', StringSplitOptions.RemoveEmptyEntries).ToList();
}
