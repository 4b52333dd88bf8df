using System.Globalization;
using AmpSessions.Core.Agents;
using AmpSessions.Core.Batches;
using AmpSessions.Core.Iterations;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Core.Budgets;

/// <summary>What a budget limits; the first one reached stops the work.</summary>
public enum BudgetLimit
{
    Tokens,
    Cost,
    Iterations,
    Time,
}

/// <summary>Limits on what a session (or a batch) may spend; a null field has no limit.</summary>
public sealed record Budget
{
    /// <summary>Tokens of every kind (input, output, cache creation, cache read), summed.</summary>
    public long? Tokens { get; init; }
    /// <summary>US dollars, priced by the configuration's prices (a batch file's for its items); see <see cref="SessionPricing"/>.</summary>
    public decimal? CostUsd { get; init; }
    public int? Iterations { get; init; }
    /// <summary>Wall time of the agent turns and test scripts, summed over iterations.</summary>
    public TimeSpan? Time { get; init; }

    public static Budget None { get; } = new();

    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsEmpty => Tokens is null && CostUsd is null && Iterations is null && Time is null;

    /// <summary>The first limit <paramref name="spent"/> has reached, or null.</summary>
    public BudgetLimit? ReachedBy(BudgetSpending spent) =>
        Tokens is { } tokens && spent.Tokens >= tokens ? BudgetLimit.Tokens
        : CostUsd is { } cost && spent.CostUsd >= cost ? BudgetLimit.Cost
        : Iterations is { } iterations && spent.Iterations >= iterations ? BudgetLimit.Iterations
        : Time is { } time && spent.Time >= time ? BudgetLimit.Time
        : null;

    /// <summary>"tokens 12,000 of 10,000" for the limit, as people read it.</summary>
    public string Describe(BudgetLimit limit, BudgetSpending spent) => limit switch
    {
        BudgetLimit.Tokens => $"tokens {spent.Tokens.ToString("N0", CultureInfo.InvariantCulture)} of {Tokens!.Value.ToString("N0", CultureInfo.InvariantCulture)}",
        BudgetLimit.Cost => $"cost ${(spent.CostUsd ?? 0).ToString("0.00", CultureInfo.InvariantCulture)} of ${CostUsd!.Value.ToString("0.00", CultureInfo.InvariantCulture)}",
        BudgetLimit.Iterations => $"iterations {spent.Iterations} of {Iterations}",
        _ => $"time {Minutes(spent.Time)} of {Minutes(Time!.Value)}",
    };

    /// <summary>The budget's limits in one line ("10,000 tokens, 3 iterations"), or "none".</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        if (Tokens is { } tokens) parts.Add($"{tokens.ToString("N0", CultureInfo.InvariantCulture)} tokens");
        if (CostUsd is { } cost) parts.Add($"${cost.ToString("0.00", CultureInfo.InvariantCulture)}");
        if (Iterations is { } iterations) parts.Add($"{iterations} iteration{(iterations == 1 ? "" : "s")}");
        if (Time is { } time) parts.Add(Minutes(time));
        return parts.Count == 0 ? "none" : string.Join(", ", parts);
    }

    private static string Minutes(TimeSpan time) => time.TotalMinutes >= 1 ? $"{time.TotalMinutes:0.#} min" : $"{time.TotalSeconds:0.#} s";
}

/// <summary>What a session (or a batch) has spent.</summary>
public sealed record BudgetSpending
{
    public long Tokens { get; init; }
    /// <summary>Null when no price applies.</summary>
    public decimal? CostUsd { get; init; }
    public int Iterations { get; init; }
    public TimeSpan Time { get; init; }

    /// <summary>What a session's recorded iterations spent, priced at <paramref name="price"/> (see <see cref="SessionPricing"/>).</summary>
    public static BudgetSpending Of(Session session, IReadOnlyList<IterationRecord> iterations, ModelPrice? price) => new()
    {
        Tokens = iterations.Sum(i => i.Tokens.Total),
        CostUsd = price?.Cost(iterations.Aggregate(TokenUsage.Zero, (sum, i) => sum + i.Tokens)),
        Iterations = iterations.Count,
        Time = iterations.Aggregate(TimeSpan.Zero, (sum, i) => sum + (i.Duration ?? TimeSpan.Zero)),
    };

    /// <summary>This spending plus a running turn's tokens (and their price).</summary>
    public BudgetSpending With(TokenUsage turn, ModelPrice? price) => this with
    {
        Tokens = Tokens + turn.Total,
        CostUsd = price is null ? CostUsd : (CostUsd ?? 0) + price.Cost(turn),
    };
}

/// <summary>Checking and changing budgets as people give them (0 removes a limit when changing one).</summary>
public static class BudgetRules
{
    public static Budget Checked(Budget budget)
    {
        ArgumentNullException.ThrowIfNull(budget);
        if (budget.Tokens is <= 0 || budget.CostUsd is <= 0 || budget.Iterations is <= 0 || budget.Time is { } time && time <= TimeSpan.Zero)
        {
            var (parameter, value) = budget.Tokens is <= 0 ? (Errors.Parameter.BudgetTokens, (object?)budget.Tokens)
                : budget.CostUsd is <= 0 ? (Errors.Parameter.BudgetCost, budget.CostUsd)
                : budget.Iterations is <= 0 ? (Errors.Parameter.BudgetIterations, budget.Iterations)
                : (Errors.Parameter.BudgetTime, budget.Time);
            throw new Errors.AmpSessionsException("AmpBudgetInvalid", Errors.ErrorKind.InvalidArgument, $"A budget must be positive, not {value}", value,
                remedy: $"give {parameter} a positive value, or leave it out for no limit");
        }
        return budget;
    }

    /// <summary>The budget with the given limits changed: null keeps a limit, 0 (or a zero time) removes it.</summary>
    public static Budget Change(Budget current, long? tokens, decimal? cost, int? iterations, TimeSpan? time)
    {
        ArgumentNullException.ThrowIfNull(current);
        var changed = current with
        {
            Tokens = tokens is null ? current.Tokens : tokens == 0 ? null : tokens,
            CostUsd = cost is null ? current.CostUsd : cost == 0 ? null : cost,
            Iterations = iterations is null ? current.Iterations : iterations == 0 ? null : iterations,
            Time = time is null ? current.Time : time == TimeSpan.Zero ? null : time,
        };
        return Checked(changed);
    }

    /// <summary>
    /// A session with its budget changed as <paramref name="update"/> says, and its status following:
    /// BudgetExceeded when what it spent reaches the new budget, Idle again when it no longer does.
    /// Cost is priced by the session's configuration.
    /// </summary>
    public static Session AfterChange(AmpContext context, Session session, SessionUpdate update)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(update);
        if (!update.ChangesBudget)
        {
            return session;
        }
        var budget = Change(session.Budget, update.BudgetTokens, update.BudgetCost, update.BudgetIterations, update.BudgetTime);
        var spent = BudgetSpending.Of(session, context.Iterations.List(session.Id), SessionPricing.For(context, session with { Budget = budget }).Price);
        var reached = budget.ReachedBy(spent);
        return session with
        {
            Budget = budget,
            Status = reached is { } limit && session.Status == SessionStatus.Idle ? SessionStatus.BudgetExceeded
                : reached is null && session.Status == SessionStatus.BudgetExceeded ? SessionStatus.Idle
                : session.Status,
            StatusMessage = reached is { } spentLimit ? $"the session's budget is spent ({budget.Describe(spentLimit, spent)})"
                : session.Status == SessionStatus.BudgetExceeded ? $"budget raised to {budget}" : session.StatusMessage,
        };
    }
}
