namespace AmpSessions.Core.Git;

/// <summary>
/// Trees and commits of a working tree's current state (tracked, modified and untracked files) made
/// without touching its index or files: git works on a copy of the index (GIT_INDEX_FILE).
/// </summary>
public static class WorkingTreeSnapshot
{
    /// <summary>The tree of every file in the working tree as it is now, untracked ones included, ignored ones not.</summary>
    public static Task<string> WriteWorkingTreeAsync(GitClient git, CancellationToken cancellationToken = default) =>
        WithIndexCopyAsync(git, async environment =>
        {
            await git.RunAsync(GitClient.StageAllArguments, extraEnvironment: environment, cancellationToken: cancellationToken).ConfigureAwait(false);
            return (await git.RunAsync(["write-tree"], extraEnvironment: environment, cancellationToken: cancellationToken).ConfigureAwait(false)).StandardOutput.Trim();
        }, cancellationToken);

    /// <summary>The tree of what is staged now.</summary>
    public static Task<string> WriteIndexTreeAsync(GitClient git, CancellationToken cancellationToken = default) =>
        WithIndexCopyAsync(git, async environment =>
            (await git.RunAsync(["write-tree"], extraEnvironment: environment, cancellationToken: cancellationToken).ConfigureAwait(false)).StandardOutput.Trim(),
            cancellationToken);

    /// <summary>
    /// A commit recording the working tree and index (like git stash: parents are HEAD and a commit of
    /// the index), for backups. Nothing in the working tree, index or refs changes.
    /// </summary>
    public static async Task<string> CommitSnapshotAsync(GitClient git, string head, string message, CancellationToken cancellationToken = default)
    {
        var identity = await git.GetIdentityFallbackAsync(cancellationToken).ConfigureAwait(false);
        var indexTree = await WriteIndexTreeAsync(git, cancellationToken).ConfigureAwait(false);
        var workTree = await WriteWorkingTreeAsync(git, cancellationToken).ConfigureAwait(false);
        var indexCommit = (await git.RunAsync(["commit-tree", indexTree, "-p", head, "-m", "index of " + message],
            extraEnvironment: identity, cancellationToken: cancellationToken).ConfigureAwait(false)).StandardOutput.Trim();
        return (await git.RunAsync(["commit-tree", workTree, "-p", head, "-p", indexCommit, "-m", message],
            extraEnvironment: identity, cancellationToken: cancellationToken).ConfigureAwait(false)).StandardOutput.Trim();
    }

    /// <summary>
    /// Puts the working tree and index back to a snapshot made by <see cref="CommitSnapshotAsync"/>:
    /// its files (untracked ones come back untracked) and what was staged. Expects the working tree
    /// clean at the snapshot's HEAD; files the snapshot does not have are removed.
    /// </summary>
    public static async Task RestoreSnapshotAsync(GitClient git, string snapshot, CancellationToken cancellationToken = default)
    {
        var workTree = await git.ReadAsync(["rev-parse", "--verify", snapshot + "^{tree}"], cancellationToken).ConfigureAwait(false);
        var indexTree = await git.ReadAsync(["rev-parse", "--verify", snapshot + "^2^{tree}"], cancellationToken).ConfigureAwait(false);
        // Every file of the snapshot into the working tree (through the index), then the index as it was staged:
        // files in the first tree but not the second stay on disk as untracked files.
        await git.RunAsync(["read-tree", "--reset", "-u", workTree], cancellationToken: cancellationToken).ConfigureAwait(false);
        await git.RunAsync(["read-tree", indexTree], cancellationToken: cancellationToken).ConfigureAwait(false);
        // read-tree leaves no file stamps; refresh them (exit 1 just means some files differ from the index, as they should).
        await git.RunAsync(["update-index", "-q", "--refresh"], allowFailure: true, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    private static async Task<string> WithIndexCopyAsync(GitClient git, Func<IReadOnlyDictionary<string, string?>, Task<string>> work, CancellationToken cancellationToken)
    {
        var gitDir = await git.GetGitDirAsync(cancellationToken).ConfigureAwait(false);
        var realIndex = Path.Combine(gitDir, "index");
        var copy = Path.Combine(Path.GetTempPath(), $"amp-sessions-index-{Guid.NewGuid():N}");
        try
        {
            if (File.Exists(realIndex))
            {
                File.Copy(realIndex, copy);
            }
            return await work(new Dictionary<string, string?> { ["GIT_INDEX_FILE"] = copy }).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(copy);
        }
    }
}
