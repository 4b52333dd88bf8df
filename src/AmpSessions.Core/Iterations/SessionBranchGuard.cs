using AmpSessions.Core.Backups;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Git;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Core.Iterations;

/// <summary>
/// The agent is untrusted: it may leave the worktree on a detached HEAD or on a branch of its own
/// (`git checkout -b other`), where its commits would be recorded as the iteration's but reach no
/// session ref. After every turn this puts the worktree back on the session branch without touching
/// a file: when the agent's HEAD builds on the branch, the branch moves forward to it (its commits
/// join the session); otherwise the agent's HEAD is kept under a backup ref and its final files stay
/// in the worktree, to be committed on the session branch as this iteration's change.
/// </summary>
internal static class SessionBranchGuard
{
    /// <summary>What was done, for the iteration's record; null when HEAD was still on the session branch.</summary>
    public static async Task<string?> ReturnToSessionBranchAsync(AmpContext context, Session session, GitClient worktree, CancellationToken cancellationToken)
    {
        var branchRef = "refs/heads/" + session.BranchName;
        // The usual answer (still on the session branch) in process; anything else is looked at with git itself.
        if (await worktree.GetCurrentBranchAsync(cancellationToken).ConfigureAwait(false) == session.BranchName)
        {
            return null;
        }
        var symbolic = await worktree.TryReadAsync(["symbolic-ref", "--quiet", "HEAD"], cancellationToken).ConfigureAwait(false);
        if (symbolic == branchRef)
        {
            return null;
        }
        var gitDir = await worktree.GetGitDirAsync(cancellationToken).ConfigureAwait(false);
        if (Integration.GitRebaseState.Find(gitDir) is not null || File.Exists(Path.Combine(gitDir, "MERGE_HEAD")))
        {
            throw new AmpSessionsException("AmpAgentLeftGitOperation", ErrorKind.InvalidOperation,
                $"The agent left a rebase or merge in progress in session {session.Id}'s worktree, off the session branch", session.WorktreePath,
                remedy: $"finish or abort it there (git -C \"{session.WorktreePath}\" rebase --abort, or merge --abort), then {Invocation.Of(Operation.Iterate, session.Id)} again");
        }
        var head = await worktree.ResolveCommitAsync("HEAD", cancellationToken).ConfigureAwait(false);
        var where = symbolic is null ? $"a detached HEAD at {Short(head)}" : $"the branch '{symbolic["refs/heads/".Length..]}'";
        var commonDir = await worktree.GetCommonDirAsync(cancellationToken).ConfigureAwait(false);
        using (await RepositoryLock.AcquireAsync(commonDir, "return to the session branch " + session.Id, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var tip = await worktree.ResolveCommitAsync(branchRef, cancellationToken).ConfigureAwait(false);
            string note;
            if (head is null || head == tip)
            {
                note = $"the agent left the worktree on {where}; it is back on {session.BranchName}";
            }
            else if (tip is not null && await worktree.IsAncestorAsync(tip, head, cancellationToken).ConfigureAwait(false))
            {
                await worktree.UpdateRefAsync(branchRef, head, tip, "amp-sessions: the agent's commits made off the session branch", cancellationToken).ConfigureAwait(false);
                note = $"the agent left the worktree on {where}; {session.BranchName} moved forward to its commits";
            }
            else
            {
                var backup = await BackupService.CreateAsync(session, "agent-head", context.Now, cancellationToken, commit: head).ConfigureAwait(false);
                note = $"the agent left the worktree on {where}, which does not build on {session.BranchName}; that HEAD is kept at {backup.Ref} and its files are this iteration's change";
            }
            // Only HEAD moves: the index and files stay as the agent left them.
            await worktree.RunAsync(["symbolic-ref", "-m", "amp-sessions: back to the session branch", "HEAD", branchRef], cancellationToken: cancellationToken).ConfigureAwait(false);
            return note;
        }
    }

    private static string Short(string? sha) => sha is { Length: > 7 } ? sha[..7] : sha ?? "(none)";
}
