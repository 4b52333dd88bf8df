using AmpSessions.Core.Reports;

namespace AmpSessions.Core.Tests.Reports;

public sealed class WilsonIntervalTests
{
    [Theory]
    [InlineData(8, 10, 0.4902, 0.9433)]
    [InlineData(50, 100, 0.4038, 0.5962)]
    [InlineData(0, 10, 0.0, 0.2775)]
    [InlineData(10, 10, 0.7225, 1.0)]
    [InlineData(1, 1, 0.2065, 1.0)]
    [InlineData(3, 12, 0.0889, 0.5323)]
    public void Matches_known_values(int successes, int trials, double lower, double upper)
    {
        var interval = WilsonInterval.Compute(successes, trials);
        Assert.Equal(lower, interval.Lower, 0.0005);
        Assert.Equal(upper, interval.Upper, 0.0005);
    }

    [Fact]
    public void No_trials_means_nothing_is_known()
    {
        Assert.Equal(new ConfidenceInterval(0, 1), WilsonInterval.Compute(0, 0));
    }

    [Fact]
    public void Ends_are_exact_and_the_interval_narrows_with_more_trials()
    {
        Assert.Equal(0, WilsonInterval.Compute(0, 7).Lower);
        Assert.Equal(1, WilsonInterval.Compute(7, 7).Upper);
        var small = WilsonInterval.Compute(4, 5);
        var large = WilsonInterval.Compute(400, 500);
        Assert.True(large.Upper - large.Lower < small.Upper - small.Lower);
        Assert.InRange(0.8, large.Lower, large.Upper);
    }

    [Theory]
    [InlineData(11, 10)]
    [InlineData(-1, 10)]
    [InlineData(0, -1)]
    public void Impossible_counts_are_refused(int successes, int trials) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => WilsonInterval.Compute(successes, trials));
}
