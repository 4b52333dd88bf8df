using System.Diagnostics;
using AmpSessions.Core.Processes;

namespace AmpSessions.Core.Tests.Processes;

/// <summary>Which process ids a containment sweep reads: those handed out since its window opened, while the allocator's moves are known.</summary>
public sealed class PidWindowTests
{
    [Theory]
    // 40 ids handed out since 5000: 5001..5040 are in the window, everything else existed before it or comes after this scan.
    [InlineData(5000, 40, 5001, true)]
    [InlineData(5000, 40, 5040, true)]
    [InlineData(5000, 40, 5000, false)]
    [InlineData(5000, 40, 4999, false)]
    [InlineData(5000, 40, 5041, false)]
    [InlineData(5000, 40, 1, false)]
    // After the ids wrap at pid_max (32768) the window goes on from the bottom.
    [InlineData(32700, 468, 32701, true)]
    [InlineData(32700, 468, 32767, true)]
    [InlineData(32700, 468, 300, true)]
    [InlineData(32700, 468, 400, true)]
    [InlineData(32700, 468, 401, false)]
    [InlineData(32700, 468, 32700, false)]
    [InlineData(32700, 468, 20000, false)]
    public void A_window_holds_the_ids_handed_out_since_it_opened(int lastAtStart, long handedOut, int pid, bool expected)
    {
        Assert.Equal(expected, PidWindow.Contains(lastAtStart, 32768, handedOut)(pid));
    }

    /// <summary>A cursor fed by hand: the kernel's last id and the clock are whatever the test says.</summary>
    private sealed class Feed
    {
        public int? LastPid = 5000;
        public long Now = Stopwatch.GetTimestamp();
        public PidCursor Cursor(TimeSpan trust) => new(32768, trust, () => LastPid, () => Now, sampleInBackground: false);
        public void Advance(int to, TimeSpan after)
        {
            LastPid = to;
            Now += (long)(after.TotalSeconds * Stopwatch.Frequency);
        }
    }

    [Fact]
    public void Moves_sampled_in_time_add_up_across_a_wrap()
    {
        var feed = new Feed();
        var cursor = feed.Cursor(TimeSpan.FromSeconds(1));
        using var window = cursor.Open();
        feed.Advance(20000, TimeSpan.FromMilliseconds(500));
        cursor.Sample();
        feed.Advance(32000, TimeSpan.FromMilliseconds(500));
        cursor.Sample();
        feed.Advance(4000, TimeSpan.FromMilliseconds(500));

        // 5000 -> 20000 -> 32000 -> (wrap) 4000: 31,768 ids handed out, so 32001..32767 and 300..4000 are in the window.
        var since = window.Since();
        Assert.NotNull(since);
        Assert.True(since(32767));
        Assert.True(since(4000));
        Assert.True(since(5001));
        Assert.False(since(4001));
        Assert.False(since(5000));

        // On to 4800: the allocator came round to ids it handed out after the window opened; the ids no longer tell.
        feed.Advance(4800, TimeSpan.FromMilliseconds(500));
        Assert.Null(window.Since());
    }

    [Fact]
    public void A_sample_that_comes_too_late_ends_what_the_windows_opened_before_it_know()
    {
        var feed = new Feed();
        var cursor = feed.Cursor(TimeSpan.FromSeconds(1));
        using var window = cursor.Open();
        feed.Advance(5040, TimeSpan.FromMilliseconds(900));
        var since = window.Since();
        Assert.NotNull(since);
        Assert.True(since(5040));
        Assert.False(since(5000));

        feed.Advance(5050, TimeSpan.FromSeconds(2));
        Assert.Null(window.Since());
        // A window opened after the late sample is good again.
        using var fresh = cursor.Open();
        feed.Advance(5060, TimeSpan.FromMilliseconds(10));
        Assert.NotNull(fresh.Since());
    }

    [Fact]
    public void Without_the_kernel_s_last_id_every_process_is_read()
    {
        var feed = new Feed();
        var cursor = feed.Cursor(TimeSpan.FromSeconds(1));
        using var window = cursor.Open();
        feed.LastPid = null;
        Assert.Null(window.Since());
    }

    [Fact]
    public void The_trust_shrinks_with_a_smaller_id_space_and_more_cores()
    {
        // 32,768 ids on 2 cores: 16,384 clones at 250,000 a second a core take 33 ms; 4,194,304 ids on 64 cores: 131 ms.
        Assert.Equal(32.768, PidCursor.TrustFor(32768, 2).TotalMilliseconds, 3);
        Assert.Equal(131.072, PidCursor.TrustFor(4194304, 64).TotalMilliseconds, 3);
        Assert.True(PidCursor.TrustFor(4194304, 2) > TimeSpan.FromSeconds(4));
    }

    [Fact]
    public async Task A_cursor_samples_on_its_own_thread_while_a_window_is_open_and_rests_when_none_is()
    {
        // A real clock: the samples must come by themselves, at least once per trusted gap, or the window goes stale.
        // The trust is 1 s (a sample every 500 ms), so only a thread held off for a whole second by a loaded machine fails it.
        var reads = 0;
        var cursor = new PidCursor(32768, TimeSpan.FromSeconds(1), () => { Interlocked.Increment(ref reads); return 5000; }, Stopwatch.GetTimestamp, sampleInBackground: true);
        var window = cursor.Open();
        await Task.Delay(TimeSpan.FromMilliseconds(2200));
        // Twice the trusted gap has passed: only samples in between keep the window's ids known.
        Assert.NotNull(window.Since());
        Assert.InRange(Volatile.Read(ref reads), 4, 40);

        window.Dispose();
        var atClose = Volatile.Read(ref reads);
        await Task.Delay(TimeSpan.FromMilliseconds(1200));
        // At most the one sample that was already under way when the window closed.
        Assert.InRange(Volatile.Read(ref reads), atClose, atClose + 1);

        using var again = cursor.Open();
        var atReopen = Volatile.Read(ref reads);
        // After Open's own read, the sampler's: it woke again.
        await ReadsReach(() => Volatile.Read(ref reads), atReopen + 1);
    }

    [Fact]
    public async Task A_window_is_followed_for_its_first_samples_then_goes_stale_and_a_new_window_is_followed_again()
    {
        // A real sampler thread on a clock that moves 100 ms with every read of the kernel's number: each sample comes
        // in time by construction, however late a loaded machine wakes the thread, and the window's age is counted in
        // samples. 200 ms trust: a sample every 100 ms, 4 of them per window, so a window is followed for 400 ms.
        var step = Stopwatch.Frequency / 10;
        var now = 0L;
        var reads = 0;
        var cursor = new PidCursor(32768, TimeSpan.FromMilliseconds(200),
            () => { Interlocked.Increment(ref reads); Interlocked.Add(ref now, step); return 5000; },
            () => Volatile.Read(ref now), sampleInBackground: true, samplesPerWindow: 4);
        Assert.Equal(TimeSpan.FromMilliseconds(400), cursor.FollowedFor);

        using var old = cursor.Open();
        // The constructor's read and Open's, then the window's 4 samples; then the sampler rests.
        await ReadsReach(() => Volatile.Read(ref reads), 6);
        await Task.Delay(TimeSpan.FromMilliseconds(600));
        Assert.Equal(6, Volatile.Read(ref reads));

        // A second with no sample, longer than the trust: the old window no longer knows which ids are its own.
        Interlocked.Add(ref now, 10 * step);
        Assert.Null(old.Since());

        // A window opened while the old one is still open wakes the sampler, which follows it, and its ids are known.
        using var young = cursor.Open();
        var atOpen = Volatile.Read(ref reads);
        await ReadsReach(() => Volatile.Read(ref reads), atOpen + 2);
        Assert.NotNull(young.Since());
    }

    /// <summary>Waits until the sampler has read at least <paramref name="count"/> times; fails after 20 s of real time.</summary>
    private static async Task ReadsReach(Func<int> reads, int count)
    {
        var deadline = Stopwatch.StartNew();
        while (reads() < count)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(20), $"the sampler read {reads()} times, not {count}");
            await Task.Delay(20);
        }
    }

    [Fact]
    public void The_kernel_s_last_id_read_through_one_handle_follows_new_processes()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        var lastPid = new KernelNumber("/proc/sys/kernel/ns_last_pid");
        var pidMax = int.Parse(File.ReadAllText("/proc/sys/kernel/pid_max").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        for (var i = 0; i < 3; i++)
        {
            using var started = Process.Start(new ProcessStartInfo("true"))!;
            var read = lastPid.Read();
            Assert.NotNull(read);
            // The id just handed out, or one a little later (other processes and threads start meanwhile).
            Assert.InRange(((long)read.Value - started.Id + pidMax) % pidMax, 0, 5000);
            started.WaitForExit();
        }
        Assert.Null(new KernelNumber("/proc/sys/kernel/no_such_number").Read());
    }
}
