using System.Globalization;

namespace AmpSessions.Core.Evaluation;

/// <summary>
/// How evaluation figures read, in the CLI's tables and the module's format views alike: rates as
/// whole percents, Wilson intervals as "lower-upper", costs in dollars, p-values to four places.
/// </summary>
public static class EvaluationText
{
    public static string Percent(double? rate) => rate is { } r ? (r * 100).ToString("0", CultureInfo.InvariantCulture) + "%" : "-";

    public static string Interval(AgentEvaluationSummary agent) =>
        agent.Attempts == 0 ? "-" : $"{Percent(agent.ResolvedInterval.Lower)}-{Percent(agent.ResolvedInterval.Upper)}";

    public static string Cost(decimal? dollars) => dollars is { } cost ? "$" + cost.ToString("0.####", CultureInfo.InvariantCulture) : "-";

    public static string PValue(double p) => p.ToString("0.####", CultureInfo.InvariantCulture);

    /// <summary>"pass@1 25%, pass@2 50%": the unbiased estimates, when every instance had several attempts; null otherwise.</summary>
    public static string? PassAtK(AgentEvaluationSummary agent) => agent.PassAtK.Count == 0 ? null
        : string.Join(", ", agent.PassAtK.OrderBy(p => p.Key).Select(p => string.Create(CultureInfo.InvariantCulture, $"pass@{p.Key} {Percent(p.Value)}")));

    public static string Resolved(AgentEvaluationSummary agent) => string.Create(CultureInfo.InvariantCulture, $"{agent.Resolved}/{agent.Attempts}");
}
