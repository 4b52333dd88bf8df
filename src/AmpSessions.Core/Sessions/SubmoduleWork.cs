using System.Globalization;
using AmpSessions.Core.Git;

namespace AmpSessions.Core.Sessions;

/// <summary>
/// Work inside a session worktree's submodules. A submodule's files belong to its own repository,
/// whose git directory lives under the session worktree's own git directory: `git add --all` in the
/// session does not commit an edit inside it, and removing the worktree deletes it. So iterations say
/// so, cleanup counts it as work it would lose, and a forced cleanup keeps it in a git bundle first.
/// </summary>
internal static class SubmoduleWork
{
    /// <summary>An initialized submodule: its path in the worktree, whether its files have changes, and its commits no remote has.</summary>
    public sealed record Submodule(string Path, string FullPath, bool Dirty, int UnpublishedCommits)
    {
        public bool HasWork => Dirty || UnpublishedCommits > 0;
    }

    /// <summary>The worktree's initialized submodules (recursively), with what work each holds.</summary>
    public static async Task<IReadOnlyList<Submodule>> InitializedAsync(GitClient worktree, string worktreePath, string gitExecutable, CancellationToken cancellationToken)
    {
        if (!File.Exists(Path.Combine(worktreePath, ".gitmodules")))
        {
            return [];
        }
        var output = await worktree.TryReadAsync(["submodule", "status", "--recursive"], cancellationToken).ConfigureAwait(false) ?? "";
        var found = new List<Submodule>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // "[ +-U]<sha> <path>[ (<describe>)]"; '-' is not initialized.
            if (line.Length < 42 || line[0] == '-')
            {
                continue;
            }
            var rest = line[42..];
            var describe = rest.LastIndexOf(" (", StringComparison.Ordinal);
            var path = describe > 0 && rest.EndsWith(')') ? rest[..describe] : rest;
            var full = System.IO.Path.Combine(worktreePath, path);
            var git = new GitClient(full, gitExecutable);
            var status = await git.TryReadAsync(["status", "--porcelain", "--untracked-files=all"], cancellationToken).ConfigureAwait(false);
            var unpublished = await git.TryReadAsync(["rev-list", "--count", "HEAD", "--not", "--remotes", "--tags"], cancellationToken).ConfigureAwait(false);
            found.Add(new Submodule(path, full, !string.IsNullOrEmpty(status),
                int.TryParse(unpublished, NumberStyles.None, CultureInfo.InvariantCulture, out var count) ? count : 0));
        }
        return found;
    }

    /// <summary>
    /// Keeps a submodule's work in a self-contained git bundle under <paramref name="folder"/>: a
    /// snapshot commit of its files on top of its HEAD (so unpublished commits come too). Fetch it
    /// back with <c>git fetch &lt;bundle&gt; refs/amp-sessions/kept</c>.
    /// </summary>
    public static async Task<string> KeepAsync(Submodule submodule, string folder, string gitExecutable, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var git = new GitClient(submodule.FullPath, gitExecutable);
        var head = await git.ReadAsync(["rev-parse", "HEAD"], cancellationToken).ConfigureAwait(false);
        var keep = submodule.Dirty
            ? await WorkingTreeSnapshot.CommitSnapshotAsync(git, head, $"amp-sessions: work in submodule {submodule.Path} kept by cleanup", cancellationToken).ConfigureAwait(false)
            : head;
        const string keptRef = "refs/amp-sessions/kept";
        await git.RunAsync(["update-ref", keptRef, keep], cancellationToken: cancellationToken).ConfigureAwait(false);
        Storage.PrivateFiles.Folder(folder);
        var name = $"{now.UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}-submodule-{submodule.Path.Replace('/', '_').Replace('\\', '_')}.bundle";
        var bundle = System.IO.Path.Combine(folder, name);
        await git.RunAsync(["bundle", "create", "--quiet", bundle, keptRef], cancellationToken: cancellationToken).ConfigureAwait(false);
        return bundle;
    }
}
