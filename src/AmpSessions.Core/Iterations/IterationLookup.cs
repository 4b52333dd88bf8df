using AmpSessions.Core.Errors;

namespace AmpSessions.Core.Iterations;

/// <summary>A session's iterations by number: every number asked for that the session does not have is an error, not silence.</summary>
public static class IterationLookup
{
    public static (IReadOnlyList<IterationRecord> Found, IReadOnlyList<AmpSessionsException> Missing) Select(
        IReadOnlyList<IterationRecord> iterations, string sessionId, IReadOnlyCollection<int>? numbers)
    {
        if (numbers is null)
        {
            return (iterations, []);
        }
        var found = iterations.Where(i => numbers.Contains(i.Number)).ToList();
        var last = iterations.Count == 0 ? 0 : iterations.Max(i => i.Number);
        var missing = numbers.Distinct().Where(n => found.All(i => i.Number != n))
            .Select(n => new AmpSessionsException("AmpIterationNotFound", ErrorKind.NotFound,
                last == 0 ? $"Session {sessionId} has no iterations yet, so there is no iteration {n}" : $"Session {sessionId} has no iteration {n} (its iterations are 1 to {last})",
                n, remedy: last == 0 ? null : (FormattableString)$"see them with {Invocation.Of(Operation.ListIterations, sessionId)}"))
            .ToList();
        return (found, missing);
    }
}
