using AmpSessions.Core.Errors;
using AmpSessions.Core.Git;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Core.Iterations;

/// <summary>What must hold in a session's worktree before an agent turn is spent on it.</summary>
internal static class WorktreeChecks
{
    /// <summary>The path of git's index lock in the worktree, if one is there.</summary>
    public static async Task<string?> FindIndexLockAsync(GitClient worktree, CancellationToken cancellationToken)
    {
        var gitDir = await worktree.GetGitDirAsync(cancellationToken).ConfigureAwait(false);
        var indexLock = Path.Combine(gitDir, "index.lock");
        return File.Exists(indexLock) ? indexLock : null;
    }

    /// <summary>
    /// Refuses to start a turn that could not be committed: a leftover index.lock (a git process that
    /// was killed) or a Git LFS filter that is required but not installed makes the commit after the
    /// turn fail, once the tokens are spent.
    /// </summary>
    public static async Task RequireCommittableAsync(Session session, GitClient worktree, CancellationToken cancellationToken)
    {
        if (await FindIndexLockAsync(worktree, cancellationToken).ConfigureAwait(false) is { } indexLock)
        {
            throw new AmpSessionsException("AmpIndexLocked", ErrorKind.InvalidOperation,
                $"Git's index lock '{indexLock}' is in session {session.Id}'s worktree, so the agent's work could not be committed after its turn; no turn was started", indexLock,
                remedy: $"if no git command is running in '{session.WorktreePath}', delete that file (a git process that was killed left it), then {Invocation.Of(Operation.Iterate, session.Id)} again");
        }
        if (await GitLfs.WouldFailAsync(worktree, session.WorktreePath, cancellationToken).ConfigureAwait(false))
        {
            throw GitLfs.MissingError(session.Id, $"session {session.Id}'s turn could not be committed, so none was started");
        }
    }
}
