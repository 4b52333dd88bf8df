using System.CommandLine;
using System.Globalization;
using AmpSessions.Core.Budgets;

namespace AmpSessions.Cli.Commands;

/// <summary>--budget-tokens, --budget-cost, --budget-iterations, --budget-time: the same words on new, set and batch run.</summary>
internal sealed class BudgetOptions
{
    private readonly bool changing;

    /// <summary><paramref name="changing"/>: for `set`, where 0 removes a limit; <paramref name="iterations"/>: whether the command has an iteration limit.</summary>
    public BudgetOptions(bool changing, bool iterations = true)
    {
        this.changing = changing;
        var none = changing ? " 0 removes the limit." : "";
        Tokens = new("--budget-tokens") { Description = "Stop when the agent has used this many tokens (all kinds, summed)." + none, HelpName = "n" };
        Cost = new("--budget-cost")
        {
            Description = "Stop when the tokens cost this many US dollars (priced by the configuration's prices: docs/CONFIGURATION.md)." + none,
            HelpName = "usd",
            CustomParser = result => decimal.TryParse(result.Tokens.Single().Value, NumberStyles.Number, CultureInfo.InvariantCulture, out var value) ? value
                : Fail(result, $"'{result.Tokens.Single().Value}' is not an amount of US dollars: write for example 2.50."),
        };
        Iterations = iterations ? new("--budget-iterations") { Description = "Stop after this many iterations." + none, HelpName = "n" } : null;
        Time = new("--budget-time")
        {
            Description = "Stop when the agent turns and test scripts have run this long in all. Examples: 90s, 10m, 1h." + none,
            HelpName = "duration",
            CustomParser = result => changing && result.Tokens.Single().Value == "0" ? TimeSpan.Zero : Durations.Parse(result.Tokens.Single().Value, result),
        };
    }

    public Option<long?> Tokens { get; }
    public Option<decimal?> Cost { get; }
    public Option<int?>? Iterations { get; }
    public Option<TimeSpan?> Time { get; }

    public Option[] All => Iterations is null ? [Tokens, Cost, Time] : [Tokens, Cost, Iterations, Time];

    /// <summary>The budget given (null fields: not given).</summary>
    public Budget Read(ParseResult p) => new()
    {
        Tokens = p.GetValue(Tokens),
        CostUsd = p.GetValue(Cost),
        Iterations = Iterations is null ? null : p.GetValue(Iterations),
        Time = p.GetValue(Time),
    };

    private static decimal? Fail(System.CommandLine.Parsing.ArgumentResult result, string message)
    {
        result.AddError(message);
        return null;
    }

    /// <summary>"10,000 tokens, 3 iterations (spent: 4,300 tokens, 1 iteration, 12 s)".</summary>
    public static string Describe(Budget budget, BudgetSpending? spent) =>
        budget.IsEmpty ? "none"
            : spent is null ? budget.ToString()
            : $"{budget} (spent: {spent.Tokens.ToString("N0", CultureInfo.InvariantCulture)} tokens, {spent.Iterations} iteration{(spent.Iterations == 1 ? "" : "s")}, " +
              $"{spent.Time.TotalMinutes.ToString("0.#", CultureInfo.InvariantCulture)} min{(spent.CostUsd is { } cost ? ", " + Core.Display.DisplayFormat.Cost(cost) : "")})";
}
