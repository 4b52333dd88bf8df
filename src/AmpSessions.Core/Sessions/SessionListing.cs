using AmpSessions.Core.Errors;

namespace AmpSessions.Core.Sessions;

/// <summary>The newest sessions and how many more there are (what `list` shows by default).</summary>
public sealed record SessionPage(IReadOnlyList<Session> Sessions, int Total)
{
    /// <summary>The sessions not on this page.</summary>
    public int Rest => Total - Sessions.Count;
}

/// <summary>
/// Listing at any size: a page (the newest N and a count of the rest, two indexed queries) or every
/// session streamed row by row, each observed for liveness as it is read (see <see cref="SessionLiveness"/>).
/// </summary>
internal static class SessionListing
{
    public static SessionPage Page(AmpContext context, string? repoRoot, SessionStatus? status, int size)
    {
        if (size < 1)
        {
            throw new AmpSessionsException("AmpUsagePageSize", ErrorKind.InvalidArgument,
                $"A page of sessions holds at least 1 (it was {size}): give a page size of 1 or more, or list them all.", size);
        }
        if (status is not null && (status == SessionStatus.Interrupted || SessionLiveness.ClaimsLiveProcess(status.Value)))
        {
            // Whether a row is Interrupted or still live is known only by observing it: count as we read.
            // Such sessions are few (one per running process, or left by a crash).
            var page = new List<Session>();
            var total = 0;
            foreach (var session in Stream(context, repoRoot, status))
            {
                if (total++ < size)
                {
                    page.Add(session);
                }
            }
            return new SessionPage(page, total);
        }
        var (newest, matching) = context.Sessions.NewestPage(repoRoot, status, size);
        return new SessionPage(newest.Select(s => SessionLiveness.Observe(context, s)).ToArray(), matching);
    }

    public static IEnumerable<Session> Stream(AmpContext context, string? repoRoot, SessionStatus? status)
    {
        var rows = context.Sessions.Stream(repoRoot, status == SessionStatus.Interrupted ? null : status)
            .Select(s => SessionLiveness.Observe(context, s));
        return status is null ? rows : rows.Where(s => s.Status == status);
    }
}
