namespace AmpSessions.Core.Reports;

/// <summary>A range a proportion lies in with the stated confidence; 0 to 1.</summary>
public readonly record struct ConfidenceInterval(double Lower, double Upper);

/// <summary>
/// The Wilson score interval for a pass rate: unlike the plain p ± z·√(p(1−p)/n) it stays inside
/// [0, 1] and behaves at 0/n and n/n and for small n, which is what agent evaluations have.
/// </summary>
public static class WilsonInterval
{
    /// <summary>z for a two-sided 95% interval.</summary>
    public const double Z95 = 1.959963984540054;

    /// <summary>The interval for <paramref name="successes"/> out of <paramref name="trials"/>; with no trials nothing is known: [0, 1].</summary>
    public static ConfidenceInterval Compute(int successes, int trials, double z = Z95)
    {
        if (trials < 0 || successes < 0 || successes > trials)
        {
            throw new ArgumentOutOfRangeException(nameof(successes), $"{successes} successes out of {trials} trials is not a proportion.");
        }
        if (trials == 0)
        {
            return new ConfidenceInterval(0, 1);
        }
        double n = trials;
        var p = successes / n;
        var z2 = z * z;
        var denominator = 1 + z2 / n;
        var center = (p + z2 / (2 * n)) / denominator;
        var half = z * Math.Sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator;
        // At 0/n and n/n the bound is exactly 0 or 1; the formula leaves rounding noise there.
        return new ConfidenceInterval(successes == 0 ? 0 : Math.Max(0, center - half), successes == trials ? 1 : Math.Min(1, center + half));
    }
}
