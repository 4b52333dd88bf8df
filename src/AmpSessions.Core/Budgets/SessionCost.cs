using AmpSessions.Core.Agents;
using AmpSessions.Core.Batches;
using AmpSessions.Core.Iterations;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Core.Budgets;

/// <summary>What a session's iterations cost, from a price table keyed by agent or model (as batch files price items).</summary>
public static class SessionCost
{
    /// <summary>US dollars for the iterations' tokens; null when no entry of the table prices this session.</summary>
    public static decimal? Of(PriceTable prices, Session session, IEnumerable<IterationRecord> iterations)
    {
        var price = prices.Find(session.Agent ?? "amp", session.ModelOverride);
        return price?.Cost(iterations.Aggregate(TokenUsage.Zero, (sum, i) => sum + i.Tokens));
    }
}
