using AmpSessions.Core.Sessions;
using AmpSessions.Core.Storage;

namespace AmpSessions.Core.Iterations;

/// <summary>
/// What a turn writes when it starts (the iteration's Running row and the session's Running status) and when it ends (the
/// iteration's outcome and the session's status after it), each pair in one transaction. Both or neither: a failure
/// between them can no longer leave a Running row beside a session that does not say it runs, or an ended iteration beside
/// a session still Running, and a turn pays two commits instead of four (8 iterations at once contend for the store's one writer).
/// </summary>
internal static class TurnRecords
{
    /// <summary>Inserts the numbered row (<paramref name="complete"/> fills what needs its number) and saves the session as running.</summary>
    public static IterationRecord Start(AmpContext context, IterationRecord iteration, Func<IterationRecord, IterationRecord> complete, Session running)
    {
        Events.AmpEvent? statusChanged = null;
        var inserted = context.Database.Transaction((connection, transaction) =>
        {
            var row = IterationStore.InsertNextWithin(connection, transaction, iteration, complete);
            statusChanged = context.Sessions.UpdateWithin(connection, transaction, running with { UpdatedAt = context.Now });
            return row;
        });
        context.Sessions.Announce(statusChanged);
        return inserted;
    }

    /// <summary>Writes the iteration's final row and the session's status after the turn.</summary>
    public static void Finish(AmpContext context, IterationRecord iteration, Session session)
    {
        Events.AmpEvent? statusChanged = null;
        context.Database.Transaction((connection, transaction) =>
        {
            IterationStore.UpdateWithin(connection, transaction, iteration);
            statusChanged = context.Sessions.UpdateWithin(connection, transaction, session with { UpdatedAt = context.Now });
            return 0;
        });
        context.Sessions.Announce(statusChanged);
    }
}
