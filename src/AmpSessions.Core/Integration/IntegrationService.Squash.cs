namespace AmpSessions.Core.Integration;

public sealed partial class IntegrationService
{
    /// <summary>
    /// Makes all the session's commits since its merge-base with the base one commit with the
    /// message (or one composed from the commits' subjects). The tree stays identical; the branch
    /// moves like <c>git reset --soft</c> (a checked ref update in the session worktree), so the
    /// worktree and index, uncommitted changes included, are not touched. A backup is kept first.
    /// </summary>
    public async Task<SquashResult> SquashAsync(string reference, string? message = null, CancellationToken cancellationToken = default)
    {
        var checkedMessage = ValidateMessage(message, "AmpSquashMessageEmpty");
        using var w = await OpenAsync(reference, cancellationToken, "squash").ConfigureAwait(false);
        using (await LockAsync(w, "squash", cancellationToken).ConfigureAwait(false))
        {
            RequireNoRebase(w);
            return await SquashLockedAsync(w, checkedMessage, backupRef: null, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The squash itself; the caller holds the lock. <paramref name="backupRef"/>: a backup the caller already took.</summary>
    private async Task<SquashResult> SquashLockedAsync(Workspace w, string? message, string? backupRef, CancellationToken cancellationToken)
    {
        var (tip, basePoint, commits) = await RequireChangeAsync(w, "AmpNothingToSquash", "squash", allowMissingBase: false, cancellationToken).ConfigureAwait(false);
        var composed = await ComposeMessageAsync(w.Worktree, w.Session, commits, cancellationToken).ConfigureAwait(false);
        var finalMessage = message ?? composed;
        if (commits.Count == 1 && finalMessage == composed)
        {
            // One commit that already says this: rewriting it would only change its date.
            return new SquashResult
            {
                Session = Current(w), OldHead = tip, NewHead = tip, MergeBase = basePoint.ForkPoint, SquashedCommitCount = 1, Message = finalMessage, BackupRef = backupRef,
            };
        }
        backupRef ??= (await BackupAsync(w, "squash", cancellationToken).ConfigureAwait(false)).Ref;
        var tree = await w.Worktree.ReadAsync(["rev-parse", tip + "^{tree}"], cancellationToken).ConfigureAwait(false);
        var squashed = await CommitTreeAsync(w.Worktree, tree, basePoint.ForkPoint, finalMessage, cancellationToken).ConfigureAwait(false);
        // In the session worktree, so its HEAD reflog records the move too; the old value is checked.
        await w.Worktree.UpdateRefAsync(w.BranchRef, squashed, tip, $"amp-sessions: squash {commits.Count} commits", cancellationToken).ConfigureAwait(false);
        var session = Save(Current(w));
        return new SquashResult
        {
            Session = session, OldHead = tip, NewHead = squashed, MergeBase = basePoint.ForkPoint, SquashedCommitCount = commits.Count, Message = finalMessage, BackupRef = backupRef,
        };
    }
}
