using System.Diagnostics;
using AmpSessions.Core.Processes;

namespace AmpSessions.Core.Tests.Processes;

/// <summary>Which process ids a containment sweep reads: those handed out since its window opened, while the window can be trusted.</summary>
public sealed class PidWindowTests
{
    private static readonly long Opened = Stopwatch.GetTimestamp();

    private static PidWindow Window(int lastAtStart, int pidMax = 32768, double trustedSeconds = 60) =>
        new(lastAtStart, pidMax, Opened, TimeSpan.FromSeconds(trustedSeconds));

    [Theory]
    // 40 ids handed out since 5000: 5001..5040 are in the window, everything else existed before it or comes after this scan.
    [InlineData(5000, 5040, 5001, true)]
    [InlineData(5000, 5040, 5040, true)]
    [InlineData(5000, 5040, 5000, false)]
    [InlineData(5000, 5040, 4999, false)]
    [InlineData(5000, 5040, 5041, false)]
    [InlineData(5000, 5040, 1, false)]
    // After the ids wrap at pid_max (32768) the window goes on from the bottom.
    [InlineData(32700, 400, 32701, true)]
    [InlineData(32700, 400, 32767, true)]
    [InlineData(32700, 400, 300, true)]
    [InlineData(32700, 400, 400, true)]
    [InlineData(32700, 400, 401, false)]
    [InlineData(32700, 400, 32700, false)]
    [InlineData(32700, 400, 20000, false)]
    public void A_window_holds_the_ids_handed_out_since_it_opened(int lastAtStart, int lastNow, int pid, bool expected)
    {
        var since = Window(lastAtStart).Since(lastNow, Opened);

        Assert.NotNull(since);
        Assert.Equal(expected, since(pid));
    }

    [Fact]
    public void A_window_older_than_its_trust_or_half_way_round_the_ids_is_not_used()
    {
        var window = Window(lastAtStart: 5000, trustedSeconds: 1);
        Assert.Null(window.Since(lastNow: 5040, Opened + Stopwatch.Frequency * 2));
        Assert.NotNull(window.Since(lastNow: 5040, Opened + Stopwatch.Frequency / 2));
        Assert.Null(Window(lastAtStart: 5000).Since(lastNow: 5000 + 16385, Opened));
        Assert.Null(Window(lastAtStart: 5000).Since(lastNow: null, Opened));
    }

    [Fact]
    public void The_trust_shrinks_with_a_smaller_id_space_and_more_cores()
    {
        // 32,768 ids on 2 cores: 16,384 clones at 250,000 a second a core take 33 ms; 4,194,304 ids on 64 cores: 131 ms.
        Assert.Equal(32.768, PidWindow.TrustFor(32768, 2).TotalMilliseconds, 3);
        Assert.Equal(131.072, PidWindow.TrustFor(4194304, 64).TotalMilliseconds, 3);
        Assert.True(PidWindow.TrustFor(4194304, 2) > TimeSpan.FromSeconds(4));
    }
}
