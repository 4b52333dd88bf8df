using AmpSessions.Core.Errors;
using AmpSessions.Core.Events;
using AmpSessions.Core.Iterations;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Core.Containment;

/// <summary>What `ack` did.</summary>
public sealed record AcknowledgeResult
{
    public required Session Session { get; init; }

    /// <summary>The iterations whose main-checkout changes were acknowledged now.</summary>
    public required IReadOnlyList<IterationRecord> Iterations { get; init; }
}

/// <summary>
/// A person's word that they have looked at what an agent changed in the main checkout: the
/// iterations that touched it are marked acknowledged and the Blocked session becomes Idle again.
/// </summary>
public sealed class Acknowledgement
{
    private readonly AmpContext context;

    public Acknowledgement(AmpContext context) => this.context = context;

    public Task<AcknowledgeResult> AcknowledgeAsync(string reference, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var sessions = new SessionManager(context);
        var session = sessions.Resolve(reference);
        if (session.Status != SessionStatus.Blocked)
        {
            throw new AmpSessionsException("AmpSessionNotBlocked", ErrorKind.InvalidOperation,
                $"Session {session.Id} is {session.Status}, not Blocked: there is no main-checkout change to acknowledge", session.Id);
        }
        var now = context.Now;
        var acknowledged = context.Iterations.List(session.Id)
            .Where(i => i.MainCheckoutTouched is { Count: > 0 } && i.MainCheckoutAcknowledgedAt is null)
            .Select(i => i with { MainCheckoutAcknowledgedAt = now })
            .ToList();
        foreach (var iteration in acknowledged)
        {
            context.Iterations.Update(iteration);
        }
        var paths = acknowledged.SelectMany(i => i.MainCheckoutTouched!).Distinct(StringComparer.Ordinal).ToList();
        session = session with
        {
            Status = SessionStatus.Idle,
            StatusMessage = $"main-checkout change acknowledged ({string.Join(", ", paths.Take(3))}{(paths.Count > 3 ? ", ..." : "")})",
            UpdatedAt = now,
        };
        context.Sessions.Update(session);
        context.Events.Publish(AmpEventTypes.Acknowledged, $"The main-checkout change of session {session.Id} was acknowledged; it is Idle again.", session.Id, session.BatchId,
            EventLog.Data(("iterations", acknowledged.Select(i => i.Number.ToString(System.Globalization.CultureInfo.InvariantCulture))), ("paths", paths)));
        return Task.FromResult(new AcknowledgeResult { Session = session, Iterations = acknowledged });
    }

    /// <summary>The refusal of an operation on a Blocked session.</summary>
    public static AmpSessionsException BlockedError(Session session, string operation) => new("AmpSessionBlocked", ErrorKind.InvalidOperation,
        $"Session {session.Id} is Blocked: {session.StatusMessage ?? "its agent changed the main checkout"}, so it cannot {operation}", session.Id,
        remedy: $"look at {session.RepoRoot} (git status there), undo what should not be there, then acknowledge with {Invocation.Of(Operation.Acknowledge, session.Id)}");
}
