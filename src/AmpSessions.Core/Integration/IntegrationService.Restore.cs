using AmpSessions.Core.Backups;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Git;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Core.Integration;

public sealed partial class IntegrationService
{
    /// <summary>
    /// Puts the session back to a backup (by name or full ref; the latest when none is named): the
    /// branch to the backup's commit, and the worktree and index to the backup's snapshot when it has
    /// one, else clean at that commit. The current state is backed up first, so a restore can itself
    /// be restored. Refused while a rebase is in progress (abort it first). The base branch is not touched.
    /// </summary>
    public async Task<RestoreResult> RestoreAsync(string reference, string? backupName = null, CancellationToken cancellationToken = default)
    {
        if (backupName is not null && string.IsNullOrWhiteSpace(backupName))
        {
            throw new AmpSessionsException("AmpBackupNameEmpty", ErrorKind.InvalidArgument,
                "The backup name is empty", backupName,
                remedy: $"pass {Parameter.Backup} a name from {Invocation.Of(Operation.ListBackups, "<session>")}, or leave it out for the latest");
        }
        using var w = await OpenAsync(reference, cancellationToken, "restore").ConfigureAwait(false);
        using (await LockAsync(w, "restore", cancellationToken).ConfigureAwait(false))
        {
            if (GitRebaseState.Find(w.GitDir) is not null)
            {
                throw new AmpSessionsException("AmpRebaseInProgress", ErrorKind.InvalidOperation,
                    $"A rebase is in progress in session {w.Session.Id}", w.Session.Id,
                    remedy: $"run {Invocation.Of(Operation.Rebase, w.Session.Id, Parameter.Abort)} first (it puts the branch back as it was before the rebase), then restore");
            }
            var backup = await ChooseBackupAsync(w.Session, backupName?.Trim(), cancellationToken).ConfigureAwait(false);
            var oldHead = await BranchTipAsync(w, cancellationToken).ConfigureAwait(false);
            var safety = await BackupAsync(w, "restore", cancellationToken).ConfigureAwait(false);

            // Announced first: a crash between moving the branch and the files leaves the way back on record.
            Save(Current(w) with { StatusMessage = $"restoring backup {backup.Name}; if interrupted, restore backup {safety.Name}" });
            // The branch first (checked against the tip just backed up), then the files: everything
            // they held is in the safety backup, untracked files included.
            await w.Worktree.UpdateRefAsync(w.BranchRef, backup.BranchCommit, oldHead, $"amp-sessions: restore {backup.Name}", cancellationToken).ConfigureAwait(false);
            await w.Worktree.RunAsync(["reset", "--hard", "--quiet", "HEAD"], cancellationToken: cancellationToken).ConfigureAwait(false);
            await w.Worktree.RunAsync(["clean", "-d", "--force", "--quiet"], cancellationToken: cancellationToken).ConfigureAwait(false);
            if (backup.WorktreeSnapshot is { } snapshot)
            {
                await WorkingTreeSnapshot.RestoreSnapshotAsync(w.Worktree, snapshot, cancellationToken).ConfigureAwait(false);
            }

            var session = Current(w);
            var baseTip = await w.Repo.ResolveCommitAsync("refs/heads/" + session.BaseBranch, cancellationToken).ConfigureAwait(false);
            var baseCommit = baseTip is null ? null : await w.Repo.MergeBaseAsync(baseTip, backup.BranchCommit, cancellationToken).ConfigureAwait(false);
            session = Save(session with
            {
                Status = SessionStatus.Idle,
                StatusMessage = $"restored from backup {backup.Name} (the state before is in {safety.Ref})",
                BaseCommit = baseCommit ?? session.BaseCommit,
            });
            return new RestoreResult
            {
                Session = session, Backup = backup, SafetyBackupRef = safety.Ref, OldHead = oldHead, NewHead = backup.BranchCommit,
                WorktreeFromSnapshot = backup.WorktreeSnapshot is not null,
            };
        }
    }

    private static async Task<SessionBackup> ChooseBackupAsync(Session session, string? name, CancellationToken cancellationToken)
    {
        var backups = await BackupService.ListAsync(session, cancellationToken).ConfigureAwait(false);
        if (backups.Count == 0)
        {
            throw new AmpSessionsException("AmpNoBackups", ErrorKind.NotFound,
                $"Session {session.Id} has no backups yet: they are taken before squash, rebase, merge, restore and forced cleanup.", session.Id);
        }
        if (name is null)
        {
            return backups[^1];
        }
        return backups.FirstOrDefault(b => b.Name == name || b.Ref == name)
            ?? throw new AmpSessionsException("AmpBackupNotFound", ErrorKind.NotFound,
                $"Session {session.Id} has no backup '{name}'", name,
                remedy: $"choose one of {Describe(backups.Select(b => b.Name).Reverse().ToArray())} (see {Invocation.Of(Operation.ListBackups, session.Id)})");
    }
}
