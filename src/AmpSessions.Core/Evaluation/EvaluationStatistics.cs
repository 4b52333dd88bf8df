using System.Numerics;
using AmpSessions.Core.Batches;
using AmpSessions.Core.Reports;

namespace AmpSessions.Core.Evaluation;

/// <summary>The exact McNemar test for two agents graded on the same cases.</summary>
public static class McNemar
{
    /// <summary>
    /// The two-sided exact p-value for <paramref name="onlyA"/> cases only A resolved and
    /// <paramref name="onlyB"/> only B resolved: under "no difference" each of the n = b + c discordant
    /// cases is a fair coin, so p = min(1, 2 · Σ_{i=0}^{min(b,c)} C(n, i) / 2^n). Cases both or neither
    /// resolved say nothing about which agent is better and do not enter. Exact (big integers), so it
    /// holds for the small counts agent evaluations have, where the χ² approximation does not.
    /// </summary>
    public static double ExactPValue(int onlyA, int onlyB)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(onlyA);
        ArgumentOutOfRangeException.ThrowIfNegative(onlyB);
        var n = onlyA + onlyB;
        if (n == 0)
        {
            return 1;
        }
        var k = Math.Min(onlyA, onlyB);
        BigInteger tail = 0;
        BigInteger binomial = 1; // C(n, 0)
        for (var i = 0; i <= k; i++)
        {
            tail += binomial;
            binomial = binomial * (n - i) / (i + 1);
        }
        // 2 · tail / 2^n, computed in logarithms so large n cannot overflow a double.
        var p = Math.Exp(BigInteger.Log(tail) + Math.Log(2) - n * Math.Log(2));
        return Math.Min(1, p);
    }
}

/// <summary>The unbiased pass@k estimator (Chen et al., 2021).</summary>
public static class PassAtK
{
    /// <summary>
    /// The probability that at least one of k attempts drawn from n (of which c resolved) resolves:
    /// 1 − C(n−c, k) / C(n, k), computed as 1 − Π_{i=n−c+1}^{n} (1 − k/i) for numerical stability.
    /// </summary>
    public static double Estimate(int n, int c, int k)
    {
        if (n <= 0 || k <= 0 || k > n || c < 0 || c > n)
        {
            throw new ArgumentOutOfRangeException(nameof(k), $"pass@k needs 0 < k ≤ n and 0 ≤ c ≤ n (n={n}, c={c}, k={k}).");
        }
        if (n - c < k)
        {
            return 1;
        }
        var product = 1.0;
        for (var i = n - c + 1; i <= n; i++)
        {
            product *= 1 - (double)k / i;
        }
        return 1 - product;
    }
}

/// <summary>One agent's evaluation figures.</summary>
public sealed record AgentEvaluationSummary
{
    public required string AgentId { get; init; }

    /// <summary>Distinct instances with at least one finished attempt.</summary>
    public required int Instances { get; init; }

    /// <summary>Finished attempts (resolved, partial, unresolved or error): the trials of the resolved rate.</summary>
    public required int Attempts { get; init; }

    public required int Resolved { get; init; }
    public required int Partial { get; init; }
    public required int Unresolved { get; init; }
    public required int Errors { get; init; }

    /// <summary>Attempts not finished (cancelled, not run yet).</summary>
    public int NotFinished { get; init; }

    /// <summary>Resolved ÷ attempts; null when nothing finished.</summary>
    public double? ResolvedRate => Attempts == 0 ? null : (double)Resolved / Attempts;

    public ConfidenceInterval ResolvedInterval => WilsonInterval.Compute(Resolved, Attempts);

    /// <summary>pass@k for k = 1.. the smallest number of attempts any instance has, when instances have several.</summary>
    public IReadOnlyDictionary<int, double> PassAtK { get; init; } = new Dictionary<int, double>();

    public long Tokens { get; init; }

    /// <summary>Null when no attempt had a price.</summary>
    public decimal? CostUsd { get; init; }

    /// <summary>All the agent's cost ÷ resolved attempts: what one resolution costs, failures included.</summary>
    public decimal? CostPerResolved => CostUsd is { } cost && Resolved > 0 ? cost / Resolved : null;

    public double? TokensPerResolved => Resolved > 0 ? (double)Tokens / Resolved : null;

    public double? MeanIterations { get; init; }

    /// <summary>Mean duration of the resolved attempts.</summary>
    public TimeSpan? MeanTimeToResolution { get; init; }

    public TimeSpan TotalDuration { get; init; }
}

/// <summary>Two agents on the same instances: who resolved what, and whether the difference is more than chance.</summary>
public sealed record PairedComparison
{
    public required string AgentA { get; init; }
    public required string AgentB { get; init; }

    /// <summary>The runs the two agents' results came from (the same run for a matrix).</summary>
    public string? RunA { get; init; }
    public string? RunB { get; init; }

    /// <summary>Instances both agents finished: the pairs compared.</summary>
    public required int Pairs { get; init; }

    public required int BothResolved { get; init; }
    public required int OnlyA { get; init; }
    public required int OnlyB { get; init; }
    public required int NeitherResolved { get; init; }

    public double? RateA => Pairs == 0 ? null : (double)(BothResolved + OnlyA) / Pairs;
    public double? RateB => Pairs == 0 ? null : (double)(BothResolved + OnlyB) / Pairs;

    /// <summary>Exact two-sided McNemar p-value over the discordant pairs.</summary>
    public required double PValue { get; init; }

    /// <summary>Instances only A resolved.</summary>
    public required IReadOnlyList<string> OnlyAInstances { get; init; }

    /// <summary>Instances only B resolved.</summary>
    public required IReadOnlyList<string> OnlyBInstances { get; init; }

    /// <summary>Instances only one side has a finished result for (left out).</summary>
    public IReadOnlyList<string> Unpaired { get; init; } = [];

    /// <summary>One sentence for people.</summary>
    public string Verdict => Pairs == 0 ? "no instance was finished by both agents"
        : OnlyA + OnlyB == 0 ? "the agents resolved exactly the same instances"
        : PValue < 0.05 ? $"{(OnlyA > OnlyB ? AgentA : AgentB)} is better (p = {PValue:0.####} < 0.05)"
        : $"no significant difference (p = {PValue:0.####}; {OnlyA + OnlyB} discordant instance{(OnlyA + OnlyB == 1 ? "" : "s")})";

    public static PairedComparison Of(string agentA, IReadOnlyDictionary<string, bool> a, string agentB, IReadOnlyDictionary<string, bool> b, string? runA = null, string? runB = null)
    {
        var paired = a.Keys.Where(b.ContainsKey).Order(StringComparer.Ordinal).ToList();
        var onlyA = paired.Where(i => a[i] && !b[i]).ToList();
        var onlyB = paired.Where(i => !a[i] && b[i]).ToList();
        return new PairedComparison
        {
            AgentA = agentA,
            AgentB = agentB,
            RunA = runA,
            RunB = runB,
            Pairs = paired.Count,
            BothResolved = paired.Count(i => a[i] && b[i]),
            OnlyA = onlyA.Count,
            OnlyB = onlyB.Count,
            NeitherResolved = paired.Count(i => !a[i] && !b[i]),
            PValue = McNemar.ExactPValue(onlyA.Count, onlyB.Count),
            OnlyAInstances = onlyA,
            OnlyBInstances = onlyB,
            Unpaired = a.Keys.Concat(b.Keys).Where(i => !(a.ContainsKey(i) && b.ContainsKey(i))).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList(),
        };
    }
}

/// <summary>Evaluation figures over batch results (any batch with evaluation items: a run, a validation, a merged journal).</summary>
public static class EvaluationStatistics
{
    /// <summary>The resolution of a finished item: its grade's, else its status's (case.yaml items, crashed runs); null when it did not finish.</summary>
    public static Resolution? ResolutionOf(BatchItemResult item) => item.Status switch
    {
        BatchItemStatus.Pending or BatchItemStatus.Running or BatchItemStatus.Cancelled => null,
        BatchItemStatus.TimedOut => Resolution.Error,
        _ when item.Grade is { } grade => grade.Resolution,
        BatchItemStatus.Passed => Resolution.Resolved,
        BatchItemStatus.Failed => Resolution.Unresolved,
        _ => Resolution.Error,
    };

    public static IReadOnlyList<AgentEvaluationSummary> ByAgent(IReadOnlyList<BatchItemResult> items) =>
        items.Where(i => i.TaskType == BatchTaskType.Evaluation).GroupBy(i => i.AgentId).Select(g => Summarize(g.Key, g.ToList())).ToList();

    public static AgentEvaluationSummary Summarize(string agentId, IReadOnlyList<BatchItemResult> items)
    {
        var finished = items.Select(i => (Item: i, Resolution: ResolutionOf(i))).Where(x => x.Resolution is not null).ToList();
        var resolved = finished.Where(x => x.Resolution == Resolution.Resolved).Select(x => x.Item).ToList();
        var priced = finished.Where(x => x.Item.CostUsd is not null).ToList();
        var perInstance = finished.GroupBy(x => x.Item.CaseId ?? x.Item.ItemId)
            .Select(g => (N: g.Count(), C: g.Count(x => x.Resolution == Resolution.Resolved))).ToList();
        var passAtK = new Dictionary<int, double>();
        if (perInstance.Count > 0 && perInstance.Min(p => p.N) > 1)
        {
            for (var k = 1; k <= perInstance.Min(p => p.N); k++)
            {
                passAtK[k] = perInstance.Average(p => PassAtK.Estimate(p.N, p.C, k));
            }
        }
        return new AgentEvaluationSummary
        {
            AgentId = agentId,
            Instances = perInstance.Count,
            Attempts = finished.Count,
            Resolved = resolved.Count,
            Partial = finished.Count(x => x.Resolution == Resolution.Partial),
            Unresolved = finished.Count(x => x.Resolution == Resolution.Unresolved),
            Errors = finished.Count(x => x.Resolution == Resolution.Error),
            NotFinished = items.Count - finished.Count,
            PassAtK = passAtK,
            Tokens = items.Sum(i => i.Tokens.Total),
            CostUsd = priced.Count == 0 ? null : priced.Sum(x => x.Item.CostUsd!.Value),
            MeanIterations = finished.Count == 0 ? null : finished.Average(x => x.Item.Iterations),
            MeanTimeToResolution = resolved.Count == 0 ? null : TimeSpan.FromTicks((long)resolved.Average(i => i.Duration.Ticks)),
            TotalDuration = TimeSpan.FromTicks(items.Sum(i => i.Duration.Ticks)),
        };
    }

    /// <summary>Whether each instance's first attempt by the agent resolved it (finished attempts only).</summary>
    public static IReadOnlyDictionary<string, bool> FirstAttempts(IEnumerable<BatchItemResult> items, string agentId) => items
        .Where(i => i.AgentId == agentId && i.CaseId is not null && (i.PromptIndex ?? 0) == 0 && ResolutionOf(i) is not null)
        .GroupBy(i => i.CaseId!, StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => ResolutionOf(g.First()) == Resolution.Resolved, StringComparer.Ordinal);
}
