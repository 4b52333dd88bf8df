using AmpSessions.Core.Events;
using AmpSessions.Core.Git;
using AmpSessions.Core.Iterations;
using AmpSessions.Core.Notifications;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Core.Containment;

/// <summary>
/// The detector, for any agent: the main checkout is fingerprinted before a turn and again after
/// it; what changed is recorded on the iteration (<see cref="IterationRecord.MainCheckoutTouched"/>),
/// reported as a MainCheckoutTouched event and a notification, and the session is Blocked until a
/// person acknowledges it. Moves of HEAD or the base that AmpSessions' own merges of other sessions
/// made meanwhile (their reflog entries say so) are not blamed on the agent; a person's own edits in
/// the main checkout during the turn cannot be told apart and are reported too.
/// </summary>
public sealed class MainCheckoutWatch
{
    private readonly AmpContext context;
    private readonly Session session;
    private readonly MainCheckoutFingerprint? before;

    private MainCheckoutWatch(AmpContext context, Session session, MainCheckoutFingerprint? before)
    {
        this.context = context;
        this.session = session;
        this.before = before;
    }

    /// <summary>Fingerprints the main checkout before the turn.</summary>
    public static async Task<MainCheckoutWatch> StartAsync(AmpContext context, Session session, CancellationToken cancellationToken) =>
        new(context, session, await MainCheckoutFingerprint.CaptureAsync(session.RepoRoot, session.BaseBranch, context.Options.GitExecutable, cancellationToken).ConfigureAwait(false));

    /// <summary>Compares after the turn; returns the iteration with what changed (or as it was), having reported a change.</summary>
    public async Task<IterationRecord> FinishAsync(IterationRecord iteration, INotifier notifier)
    {
        if (before is null)
        {
            return iteration;
        }
        // Not cancellable: a cancelled turn may have written to the main checkout too.
        var after = await MainCheckoutFingerprint.CaptureAsync(session.RepoRoot, session.BaseBranch, context.Options.GitExecutable, CancellationToken.None).ConfigureAwait(false);
        if (after is null)
        {
            return iteration;
        }
        var headExplained = before.HeadBranch == after.HeadBranch && await ExplainedAsync("HEAD", before.HeadCommit, after.HeadCommit).ConfigureAwait(false);
        var baseExplained = await ExplainedAsync("refs/heads/" + session.BaseBranch, before.BaseTip, after.BaseTip).ConfigureAwait(false);
        var touched = before.Differences(after, headExplained, baseExplained);
        if (touched.Count == 0)
        {
            return iteration;
        }
        var list = string.Join(", ", touched.Take(5)) + (touched.Count > 5 ? $" and {touched.Count - 5} more" : "");
        context.Events.Publish(AmpEventTypes.MainCheckoutTouched,
            $"Iteration {iteration.Number} of session {session.Id}: the main checkout {session.RepoRoot} changed while the agent ran ({list}); the session is Blocked until acknowledged.",
            session.Id, session.BatchId, EventLog.Data(("iteration", iteration.Number), ("paths", touched), ("repoRoot", session.RepoRoot),
                ("headBefore", before.HeadCommit), ("headAfter", after.HeadCommit)));
        if (session.NotificationsEnabled)
        {
            notifier.Notify(new Notification("main checkout changed",
                $"{session.Name} ({session.Id}): the agent changed {list} in {session.RepoRoot}. Check it, then acknowledge to unblock the session.",
                NotificationKind.MainCheckoutTouched, session.Id));
        }
        return iteration with { MainCheckoutTouched = touched };
    }

    /// <summary>The session status after a turn whose iteration touched the main checkout: Blocked, whatever the turn's own outcome.</summary>
    public static (SessionStatus Status, string? Message) Verdict(IterationRecord iteration, SessionStatus status, string? message) =>
        iteration.MainCheckoutTouched is { Count: > 0 } touched && iteration.MainCheckoutAcknowledgedAt is null
            ? (SessionStatus.Blocked, $"the agent changed the main checkout ({string.Join(", ", touched.Take(3))}{(touched.Count > 3 ? ", ..." : "")}); check it, then acknowledge")
            : (status, message);

    /// <summary>
    /// Whether a ref moved from <paramref name="from"/> to <paramref name="to"/> only by AmpSessions
    /// merges of this repository's sessions (fast-forwards in the checkout, or checked ref updates).
    /// </summary>
    private async Task<bool> ExplainedAsync(string refName, string? from, string? to)
    {
        if (from == to)
        {
            return true;
        }
        if (from is null || to is null)
        {
            return false;
        }
        var git = new GitClient(session.RepoRoot, context.Options.GitExecutable);
        var log = await git.RunAsync(["reflog", "show", "--format=%H%x00%gs", "-n", "100", refName, "--"], allowFailure: true).ConfigureAwait(false);
        if (log.ExitCode != 0)
        {
            return false;
        }
        var branches = context.Sessions.List(session.RepoRoot).Where(s => s.Id != session.Id).Select(s => s.BranchName).ToHashSet(StringComparer.Ordinal);
        var lines = log.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0 || !lines[0].StartsWith(to, StringComparison.Ordinal))
        {
            return false;
        }
        foreach (var line in lines)
        {
            var parts = line.Split('\0', 2);
            if (parts[0] == from)
            {
                return true;
            }
            var subject = parts.Length > 1 ? parts[1] : "";
            if (!IsSessionMerge(subject, branches))
            {
                return false;
            }
        }
        return false;
    }

    private static bool IsSessionMerge(string subject, IReadOnlySet<string> branches)
    {
        // `git merge --ff-only <branch>` in the checkout writes "merge <branch>: Fast-forward";
        // the checked ref update when the base is checked out nowhere writes "amp-sessions: merge <branch> (fast-forward)".
        const string InCheckout = "merge ", InCheckoutEnd = ": Fast-forward";
        const string ByRef = "amp-sessions: merge ", ByRefEnd = " (fast-forward)";
        if (subject.StartsWith(InCheckout, StringComparison.Ordinal) && subject.EndsWith(InCheckoutEnd, StringComparison.Ordinal))
        {
            return branches.Contains(subject[InCheckout.Length..^InCheckoutEnd.Length]);
        }
        if (subject.StartsWith(ByRef, StringComparison.Ordinal) && subject.EndsWith(ByRefEnd, StringComparison.Ordinal))
        {
            return branches.Contains(subject[ByRef.Length..^ByRefEnd.Length]);
        }
        return false;
    }
}
