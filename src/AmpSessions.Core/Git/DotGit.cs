namespace AmpSessions.Core.Git;

/// <summary>
/// What a folder's own <c>.git</c> is at one moment, so that a scope can tell whether libgit2's discovery from that folder
/// would still answer as it did (<see cref="RepositoryHandleScope"/>): a <c>.git</c> file names the git directory by its
/// content, compared whole (any rewrite that points elsewhere is seen, whatever its time or length); a <c>.git</c> directory
/// is the answer itself. A symlink, a missing or unreadable <c>.git</c> gives nothing to remember by: the read discovers as
/// without a scope. Whether the git directory found is still one libgit2 takes for a repository is <see cref="IsRepository"/>.
/// </summary>
internal sealed class DotGit
{
    // A .git file is one line (gitdir: PATH); anything much larger is not one git wrote, and is left to discovery.
    private const int MaxFileLength = 4096;

    private static readonly DotGit Directory = new(null);

    // The .git file's content; null for a .git directory.
    private readonly string? content;

    private DotGit(string? content) => this.content = content;

    /// <summary><paramref name="folder"/>'s <c>.git</c> now (a full path), or null when there is none to remember by.</summary>
    public static DotGit? Look(string folder)
    {
        try
        {
            var info = new FileInfo(Path.Combine(folder, ".git"));
            // One lstat: the link bit is the entry's own, not its target's.
            var attributes = info.Attributes;
            if ((int)attributes == -1 || (attributes & FileAttributes.ReparsePoint) != 0)
            {
                return null;
            }
            if ((attributes & FileAttributes.Directory) != 0)
            {
                return Directory;
            }
            if (info.Length > MaxFileLength)
            {
                return null;
            }
            return new DotGit(File.ReadAllText(info.FullName));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Whether <paramref name="now"/> is the same <c>.git</c> as this.</summary>
    public bool Same(DotGit now) => string.Equals(content, now.content, StringComparison.Ordinal);

    /// <summary>
    /// Whether libgit2's discovery takes <paramref name="gitDir"/> for a repository (is_valid_repository_path): a HEAD file
    /// in it, objects and refs folders in its common directory, which a <c>commondir</c> file names (a linked worktree's);
    /// <paramref name="commonDir"/> is what that file named when the answer was found. Looked at on every remembered read: a
    /// modification time would not do (git makes and removes <c>.git/worktrees</c> with every worktree, and a time changed
    /// within the file system's resolution can repeat).
    /// </summary>
    public static bool IsRepository(string gitDir, string commonDir) =>
        File.Exists(Path.Combine(gitDir, "HEAD"))
        && File.Exists(Path.Combine(gitDir, "commondir")) == !string.Equals(gitDir, commonDir, StringComparison.Ordinal)
        && System.IO.Directory.Exists(Path.Combine(commonDir, "objects"))
        && System.IO.Directory.Exists(Path.Combine(commonDir, "refs"));
}
