using AmpSessions.Core.Agents;
using AmpSessions.Core.Batches;
using AmpSessions.Core.Configuration;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Iterations;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Core.Budgets;

/// <summary>
/// The price a session's tokens are charged at, and the agent and model it was looked up by (the
/// agent the session runs, as its configuration names it; the session's model, else its profile's).
/// </summary>
public sealed record SessionPrice(string Agent, string? Model, ModelPrice? Price)
{
    /// <summary>What <paramref name="usage"/> costs; null when no price applies (unknown, not zero).</summary>
    public decimal? Cost(TokenUsage usage) => Price?.Cost(usage);

    /// <summary>What the iterations' tokens cost; null when no price applies.</summary>
    public decimal? Cost(IEnumerable<IterationRecord> iterations) => Cost(iterations.Aggregate(TokenUsage.Zero, (sum, i) => sum + i.Tokens));
}

/// <summary>
/// Prices a session by its repository's configuration (the user's config.yaml, then the repository's
/// .amp-sessions.yaml: <c>prices.&lt;agent | model | default&gt;</c>); a batch's items by the batch file's
/// prices first, then that configuration. The one place new, set, status, turns and attempts ask.
/// </summary>
public static class SessionPricing
{
    /// <summary>
    /// The session's price: <paramref name="own"/> (a batch file's table) first, then its configuration's.
    /// A configuration that cannot be read prices nothing here; what runs or changes the session
    /// reads it too and reports its problems with file, line and column.
    /// </summary>
    public static SessionPrice For(AmpContext context, Session session, PriceTable? own = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(session);
        EffectiveConfiguration? configuration = null;
        try
        {
            configuration = new ConfigurationService(context).ForSession(session);
        }
        catch (AmpSessionsException)
        {
            // Unreadable files: priced by the batch's own table alone.
        }
        return For(configuration, session, own);
    }

    /// <summary>The session's price from a configuration already loaded for it (its layer on top).</summary>
    public static SessionPrice For(EffectiveConfiguration? configuration, Session session, PriceTable? own = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        var agent = configuration?.AgentName ?? session.Agent ?? "amp";
        var model = session.ModelOverride is { Length: > 0 } sessionModel ? sessionModel
            : configuration is not null && configuration.Agents.TryGetValue(agent, out var profile) ? profile.ModelOverride
            : null;
        var table = (own ?? PriceTable.Empty).Then(configuration?.Prices ?? PriceTable.Empty);
        // An agent given as a program (amp:/path/to/build, claude:<command>) is also priced as its kind.
        var kind = Kind(agent);
        return new SessionPrice(agent, model, table.Find(agent, model, kind));
    }

    /// <summary>The kind of an agent given as a program (amp:/path: amp); null for a name (amp, a profile).</summary>
    private static string? Kind(string agent) => agent.IndexOf(':', StringComparison.Ordinal) is > 0 and var colon ? agent[..colon] : null;

    /// <summary>The key a person would price this agent or model by: the model, else the agent's name or kind.</summary>
    private static string SuggestedKey(SessionPrice price) => price.Model ?? Kind(price.Agent) ?? price.Agent;

    /// <summary>What the session has spent, priced by its configuration.</summary>
    public static BudgetSpending Spending(AmpContext context, Session session)
    {
        ArgumentNullException.ThrowIfNull(context);
        return BudgetSpending.Of(session, context.Iterations.List(session.Id), For(context, session).Price);
    }

    /// <summary>
    /// Refuses a cost budget that nothing would enforce: the session has one, and no price applies to its
    /// agent or model. Called before a session is created or changed, so nothing is left half-done.
    /// </summary>
    public static void RequirePriceForCostBudget(EffectiveConfiguration configuration, Session session)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(session);
        if (session.Budget.CostUsd is null)
        {
            return;
        }
        var price = For(configuration, session);
        if (price.Price is not null)
        {
            return;
        }
        var what = price.Model is null ? $"agent '{price.Agent}'" : $"agent '{price.Agent}' or model '{price.Model}'";
        var key = $"{ConfigurationKeys.Prices}.{SuggestedKey(price)}";
        throw new AmpSessionsException("AmpBudgetCostUnpriced", ErrorKind.InvalidArgument,
            $"A cost budget needs a price, and the configuration has none for {what} (nor a default), so the budget could never be enforced", session.Budget.CostUsd,
            remedy: $"add {key} ({string.Join(", ", ConfigurationKeys.PriceKeys)}: US dollars per million tokens) to your {ConfigurationKeys.UserFileName} or the repository's {ConfigurationKeys.RepositoryFileName}, for example {Invocation.Of(Operation.SetConfig, null, new Argument(Parameter.ConfigKey, key + ".input"), new Argument(Parameter.ConfigValue, "3"))}; or limit tokens with {Parameter.BudgetTokens} instead");
    }
}
