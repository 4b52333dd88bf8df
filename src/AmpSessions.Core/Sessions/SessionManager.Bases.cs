using AmpSessions.Core.Errors;

namespace AmpSessions.Core.Sessions;

public sealed partial class SessionManager
{
    /// <summary>
    /// The base when none is given: the branch checked out in the repository; on a detached HEAD the
    /// remote's default branch (origin/HEAD) when a local branch of that name exists; else a clear
    /// error saying what to pass (never a guessed "main").
    /// </summary>
    private static async Task<string> DefaultBaseAsync(RepositoryHandle repo, CancellationToken cancellationToken)
    {
        if (await repo.Git.GetCurrentBranchAsync(cancellationToken).ConfigureAwait(false) is { Length: > 0 } current)
        {
            return current;
        }
        var head = await repo.Git.ResolveCommitAsync("HEAD", cancellationToken).ConfigureAwait(false);
        var detached = $"HEAD in '{repo.Root}' is detached{(head is null ? "" : $" at {head[..7]}")}, so there is no current branch to base the session on";
        if (await repo.Git.TryReadAsync(["symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD"], cancellationToken).ConfigureAwait(false) is { Length: > 0 } remoteDefault)
        {
            var name = remoteDefault.StartsWith("origin/", StringComparison.Ordinal) ? remoteDefault["origin/".Length..] : remoteDefault;
            if (await repo.Git.BranchExistsAsync(name, cancellationToken).ConfigureAwait(false))
            {
                return name;
            }
            throw new AmpSessionsException("AmpBaseBranchNeeded", ErrorKind.InvalidArgument,
                $"{detached}, and the remote's default branch {remoteDefault} has no local branch", repo.Root,
                remedy: $"create it with git branch {name} {remoteDefault}, or pass {Parameter.Base} <branch>");
        }
        throw new AmpSessionsException("AmpBaseBranchNeeded", ErrorKind.InvalidArgument, detached, repo.Root,
            remedy: $"pass {Parameter.Base} <branch>{await KnownBranchesAsync(repo, cancellationToken).ConfigureAwait(false)}");
    }

    private static async Task<string> KnownBranchesAsync(RepositoryHandle repo, CancellationToken cancellationToken)
    {
        var branches = await repo.Git.ReadAsync(["for-each-ref", "--format=%(refname:short)", "--count=10", "refs/heads/"], cancellationToken).ConfigureAwait(false);
        var known = branches.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return known.Length == 0 ? "" : $" (one of: {string.Join(", ", known)})";
    }

    /// <summary>The error for a base that is no local branch: when a remote has a branch of that name, it says how to base on it.</summary>
    private static async Task<AmpSessionsException> BaseNotFoundAsync(RepositoryHandle repo, string baseBranch, CancellationToken cancellationToken)
    {
        var remote = await repo.Git.TryReadAsync(["for-each-ref", "--format=%(refname:short)", "--count=1", $"refs/remotes/*/{baseBranch}"], cancellationToken).ConfigureAwait(false);
        if (remote is { Length: > 0 })
        {
            return new AmpSessionsException("AmpBaseBranchOnlyRemote", ErrorKind.NotFound,
                $"There is no local branch '{baseBranch}' in '{repo.Root}', but the remote branch {remote} exists", baseBranch,
                remedy: $"base the session on it by creating the local branch first (git branch {baseBranch} {remote}), then pass {Parameter.Base} {baseBranch} again");
        }
        return new AmpSessionsException("AmpBaseBranchNotFound", ErrorKind.NotFound,
            $"The base branch '{baseBranch}' does not exist in '{repo.Root}'", baseBranch,
            remedy: $"pass {Parameter.Base} <branch>{await KnownBranchesAsync(repo, cancellationToken).ConfigureAwait(false)}");
    }

    /// <summary>A file (tracked or not) where the sessions' folder goes makes every worktree fail; say so before git does.</summary>
    private static void RequireWorktreesFolderFree(RepositoryHandle repo)
    {
        var folder = Path.Combine(repo.Root, WorktreesFolder);
        if (File.Exists(folder))
        {
            throw new AmpSessionsException("AmpWorktreesFolderIsAFile", ErrorKind.InvalidOperation,
                $"'{folder}' is a file, where the sessions' worktrees go (a folder named {WorktreesFolder})", folder,
                remedy: $"rename or remove that file in the repository (git mv {WorktreesFolder} <new name>, then commit), then create the session again");
        }
    }
}
