using AmpSessions.Core.Sessions;
using AmpSessions.Core.Storage;

namespace AmpSessions.Core.Iterations;

/// <summary>
/// What a turn writes before its agent starts: the iteration's Running row and the session's Running status, in one
/// transaction. Both or neither: a failure between them can no longer leave a Running row beside a session that does not
/// say it runs, and the turn pays one commit instead of two (8 iterations at once contend for the store's one writer).
/// </summary>
internal static class TurnStartRecords
{
    /// <summary>Inserts the numbered row (<paramref name="complete"/> fills what needs its number) and saves the session as running.</summary>
    public static IterationRecord Write(AmpContext context, IterationRecord iteration, Func<IterationRecord, IterationRecord> complete, Session running)
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
}
