namespace AmpSessions.Testing;

/// <summary>
/// What a repository looks like from the outside, read with git: the main checkout (HEAD, index,
/// status) and the shared state a session operation may touch (branches, amp-sessions refs,
/// registered worktrees, folders under .worktrees/). Records compare by value, so a test captures
/// one before an operation and asserts equality after it.
/// </summary>
public sealed record MainCheckoutState(string Head, string HeadRef, string Index, string Status)
{
    public static MainCheckoutState Capture(string root) => new(
        TestRepository.GitIn(root, "rev-parse", "HEAD"),
        TestRepository.GitIn(root, "symbolic-ref", "--quiet", "HEAD"),
        TestRepository.GitIn(root, "ls-files", "--stage"),
        // --no-optional-locks: reading the status must not rewrite the index we compare.
        TestRepository.GitIn(root, "--no-optional-locks", "status", "--porcelain", "--untracked-files=all"));
}

/// <summary>The main checkout plus everything shared that a failed operation must leave as it was.</summary>
public sealed record RepositoryState(MainCheckoutState MainCheckout, string Branches, string AmpRefs, string Worktrees, string WorktreeFolders)
{
    public static RepositoryState Capture(string root)
    {
        var folder = Path.Combine(root, ".worktrees");
        var folders = Directory.Exists(folder)
            ? string.Join("\n", Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal))
            : "";
        return new RepositoryState(
            MainCheckoutState.Capture(root),
            TestRepository.GitIn(root, "for-each-ref", "--format=%(refname) %(objectname)", "refs/heads/"),
            TestRepository.GitIn(root, "for-each-ref", "--format=%(refname) %(objectname)", "refs/amp-sessions/"),
            TestRepository.GitIn(root, "worktree", "list", "--porcelain"),
            folders);
    }
}
