using AmpSessions.Core.Git;
using AmpSessions.Core.Notifications;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Core.Iterations;

/// <summary>What is checked after a turn's commit and recorded on the iteration.</summary>
internal static class IterationAftermath
{
    /// <summary>
    /// An edit inside a submodule is not part of the session's commit (the submodule is its own
    /// repository): say so on the iteration instead of reporting "nothing changed" in silence.
    /// </summary>
    public static async Task<IterationRecord> NoteSubmoduleWorkAsync(AmpContext context, Session session, GitClient worktree, IterationRecord iteration)
    {
        var submodules = await SubmoduleWork.InitializedAsync(worktree, session.WorktreePath, context.Options.GitExecutable, CancellationToken.None).ConfigureAwait(false);
        var dirty = submodules.Where(s => s.Dirty).Select(s => s.Path).ToArray();
        if (dirty.Length == 0)
        {
            return iteration;
        }
        var note = $"the agent changed files inside the submodule{(dirty.Length == 1 ? "" : "s")} {string.Join(", ", dirty)}, which are not part of the session's commit " +
            "(a submodule is its own repository): they stay in the worktree; commit them in the submodule, then commit the new submodule pointer in the session";
        return iteration with { Warnings = [.. iteration.Warnings, note] };
    }

    private const string HeldBackPrefix = "not committed: ";

    /// <summary>
    /// Checks what is staged and the message for secrets; on a hit nothing is committed (the change
    /// stays staged in the worktree), the iteration records why, and a notification says so.
    /// Null when the commit may go ahead.
    /// </summary>
    public static async Task<IterationRecord?> HoldBackSecretsAsync(Session session, GitClient worktree, IterationRecord iteration, string message, INotifier notifier, CancellationToken cancellationToken)
    {
        var hits = await StagedSecretScan.ScanAsync(session, worktree, message, cancellationToken).ConfigureAwait(false);
        if (hits.Count == 0)
        {
            return null;
        }
        var found = string.Join("; ", hits.Take(5)) + (hits.Count > 5 ? $"; and {hits.Count - 5} more" : "");
        var note = $"{HeldBackPrefix}the change holds a secret ({found}); it is left staged in the worktree: remove the secret, then commit";
        if (session.NotificationsEnabled)
        {
            notifier.Notify(new Notification("commit held back: a secret", $"{session.Name} ({session.Id}): {found}", NotificationKind.IterationFailed, session.Id));
        }
        return iteration with { Warnings = [.. iteration.Warnings, note] };
    }

    /// <summary>The session's status message when the iteration's commit was held back, else null.</summary>
    public static string? HeldBack(IterationRecord iteration) =>
        iteration.Warnings.FirstOrDefault(w => w.StartsWith(HeldBackPrefix, StringComparison.Ordinal)) is { } note
            ? "commit held back: the change holds a secret; see the iteration's warnings"
            : null;
}
