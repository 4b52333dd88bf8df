namespace AmpSessions.Core.Sessions;

/// <summary>
/// Statuses that claim a live process (Initializing: `new` is making the branch and worktree;
/// Running: an agent turn; Evaluating: the test script) are only true while that process holds the
/// session lock. Every read checks: a live status whose lock nobody holds reads as
/// <see cref="SessionStatus.Interrupted"/>. The row itself is left as it was, so repair still knows
/// what was interrupted and mends it (see <see cref="SessionManager.RepairAsync"/>).
/// </summary>
internal static class SessionLiveness
{
    public static bool ClaimsLiveProcess(SessionStatus status) =>
        status is SessionStatus.Initializing or SessionStatus.Running or SessionStatus.Evaluating;

    /// <summary>The session as it really is: a live status without a live holder becomes Interrupted.</summary>
    public static Session Observe(AmpContext context, Session session)
    {
        if (!ClaimsLiveProcess(session.Status))
        {
            return session;
        }
        using var probe = SessionLock.TryAcquire(context, session.Id, operation: null);
        if (probe is null)
        {
            return session;
        }
        // Under the probe nobody can start or finish an operation: the row read now is settled.
        var current = context.Sessions.Get(session.Id) ?? session;
        return ClaimsLiveProcess(current.Status) ? AsInterrupted(current, probe.Abandoned) : current;
    }

    public static IReadOnlyList<Session> Observe(AmpContext context, IReadOnlyList<Session> sessions) =>
        sessions.Any(s => ClaimsLiveProcess(s.Status)) ? sessions.Select(s => Observe(context, s)).ToArray() : sessions;

    /// <summary>What a user sees for a session whose live status outlived its process.</summary>
    public static Session AsInterrupted(Session session, SessionLockRecord? holder)
    {
        var who = holder is null ? "the process running it" : $"process {holder.ProcessId} ({holder.Operation})";
        var what = session.Status switch
        {
            SessionStatus.Initializing => "creating the session",
            SessionStatus.Evaluating => "running the test script",
            _ => "running an agent turn",
        };
        return session with
        {
            Status = SessionStatus.Interrupted,
            StatusMessage = $"{what} was interrupted: {who} ended without finishing; repair mends it",
        };
    }
}
