using System.Diagnostics;
using System.Globalization;

namespace AmpSessions.Core.Processes;

/// <summary>
/// The process ids Linux handed out since a moment: every process a contained run starts (and every
/// descendant, detached or not) gets its id after the run began, so a sweep for the run's marker
/// needs to read the environment of those processes only, not of every process on the machine
/// (reading /proc/&lt;pid&gt;/environ of hundreds of unrelated processes cost more than the rest of a
/// short turn's containment). Ids are handed out in increasing order and wrap at
/// <c>kernel.pid_max</c>; how far the allocator moved since the window opened is followed by
/// <see cref="PidCursor"/>. Where it is not followed (no <c>ns_last_pid</c>, a sample came too late, the
/// allocator went almost all the way round, or the window outlived <see cref="PidCursor.FollowedFor"/>),
/// the sweep reads every process.
/// </summary>
internal sealed class PidWindow : IDisposable
{
    private readonly PidCursor? cursor;
    private readonly PidCursor.Mark mark;
    private int disposed;

    internal PidWindow(PidCursor? cursor, PidCursor.Mark mark)
    {
        this.cursor = cursor;
        this.mark = mark;
    }

    /// <summary>A window opened now, or null where the kernel does not tell (not Linux, no such file).</summary>
    public static PidWindow? Open() => PidCursor.Shared?.Open();

    /// <summary>
    /// A test for "handed out since the window opened", valid for one scan starting now; null when
    /// that cannot be known (every process must be examined).
    /// </summary>
    public Func<int, bool>? Since() => cursor?.HandedOutSince(mark) is { } handedOut ? Contains(mark.LastPid, mark.PidMax, handedOut) : null;

    /// <summary>Where the allocator stands now, to ask <see cref="NoneHandedOutSince"/> later; null where the kernel does not tell.</summary>
    public PidCursor.Mark? Now() => cursor?.Sample();

    /// <summary>Whether no process or thread was created (on the whole machine) since <paramref name="point"/>; false when that cannot be known.</summary>
    public bool NoneHandedOutSince(PidCursor.Mark point) => cursor?.HandedOutSince(point) == 0;

    /// <summary>Ids after <paramref name="lastAtStart"/>, <paramref name="handedOut"/> places on in the allocator's cycle.</summary>
    internal static Func<int, bool> Contains(int lastAtStart, int pidMax, long handedOut) =>
        // The kernel restarts above its reserved low ids after a wrap; those few are examined too, which costs nothing.
        pid => ((long)pid - lastAtStart + pidMax) % pidMax is var distance && distance > 0 && distance <= handedOut;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0)
        {
            cursor?.Close();
        }
    }
}

/// <summary>
/// Follows the kernel's last handed-out process id (<c>/proc/sys/kernel/ns_last_pid</c>) while a
/// window is young, sampling it often enough that it cannot have gone half way round <c>pid_max</c>
/// between two samples even at <see cref="ClonesPerSecondPerCore"/> new processes or threads a second
/// on every core; so the sum of the moves between samples is exact, and a window knows how many ids
/// were handed out since it opened. A sample that came too late (a stalled machine) ends what is known:
/// windows opened before it read every process.
/// <para>
/// A window is followed for <see cref="SamplesPerWindow"/> samples, not for its whole life: where
/// <c>pid_max</c> is small (32768, as in many containers) the period is 16 ms on 2 cores and each
/// sample's wake-up costs ~0.1 ms, so following a 10-minute agent turn cost ~4 s of CPU, while the
/// one sweep it saves at the turn's end reads every process's environment in ~13 µs each (measured
/// on a 2-core VM: 1 ms for 68 processes). Short turns, the many items of a batch, stay followed;
/// a long turn's window goes stale and its sweeps read every process, as where the kernel does not tell.
/// </para>
/// </summary>
internal sealed class PidCursor
{
    /// <summary>More process or thread creations a second than any core manages (a clone takes well over 4 µs).</summary>
    internal const long ClonesPerSecondPerCore = 250_000;

    /// <summary>
    /// How many samples a window is followed for: ~7 ms of CPU on a 2-core VM (about one sweep of every process's
    /// environment on a desktop with 500 processes); 1 s at a 16 ms period, minutes where <c>pid_max</c> is 4194304.
    /// </summary>
    internal const int SamplesPerWindow = 64;

    /// <summary>Ids below this are never handed out again after a wrap (the kernel's RESERVED_PIDS).</summary>
    private const int ReservedIds = 300;

    private const string LastPidFile = "/proc/sys/kernel/ns_last_pid";
    private const string PidMaxFile = "/proc/sys/kernel/pid_max";

    private static readonly Lazy<PidCursor?> shared = new(Create);

    private readonly object gate = new();
    private readonly Func<int?> readLastPid;
    private readonly Func<long> clock;
    private readonly bool sampleInBackground;
    private readonly int samplesPerWindow;
    private Thread? sampler;
    private int last;
    private long lastSampleAt;
    private long moved;
    private int epoch;
    private int open;

    // When the youngest window opened: the sampler rests once it is older than FollowedFor.
    private long lastOpenedAt;

    internal PidCursor(int pidMax, TimeSpan trustedFor, Func<int?> readLastPid, Func<long> clock, bool sampleInBackground,
        int samplesPerWindow = SamplesPerWindow)
    {
        PidMax = pidMax;
        TrustedFor = trustedFor;
        this.readLastPid = readLastPid;
        this.clock = clock;
        this.sampleInBackground = sampleInBackground;
        this.samplesPerWindow = samplesPerWindow;
        last = readLastPid() ?? 0;
        lastSampleAt = clock();
    }

    /// <summary>The cursor of this process's pid namespace, or null where the kernel does not tell.</summary>
    public static PidCursor? Shared => shared.Value;

    public int PidMax { get; }

    /// <summary>The longest gap between two samples after which the moves between them are still exact.</summary>
    public TimeSpan TrustedFor { get; }

    /// <summary>How long after a window opens the cursor is sampled for it.</summary>
    public TimeSpan FollowedFor => SamplePeriod * samplesPerWindow;

    /// <summary>How long the allocator's cycle may be followed with <paramref name="cores"/> cores: half of it at the highest clone rate.</summary>
    internal static TimeSpan TrustFor(int pidMax, int cores) =>
        TimeSpan.FromSeconds(pidMax / 2.0 / (ClonesPerSecondPerCore * Math.Max(1, cores)));

    /// <summary>Where the allocator stood, and what was known, when a window opened.</summary>
    internal readonly record struct Mark(int LastPid, int PidMax, long Moved, int Epoch);

    public PidWindow Open()
    {
        lock (gate)
        {
            if (open++ == 0)
            {
                // Nothing was followed while no window was open: start afresh.
                epoch++;
                if (sampleInBackground && sampler is null)
                {
                    sampler = new Thread(SampleWhileFollowed) { IsBackground = true, Name = "AmpSessions pid cursor" };
                    sampler.Start();
                }
            }
            lastOpenedAt = clock();
            // Wakes a sampler that rests because no window was open, or none was young enough to follow.
            Monitor.PulseAll(gate);
        }
        var mark = Sample();
        return new PidWindow(this, mark);
    }

    internal void Close()
    {
        lock (gate)
        {
            --open;
        }
    }

    /// <summary>
    /// The sampling loop, on a thread of its own that sleeps between samples, and while no open window is young
    /// enough to be followed. A thread-pool timer cost far more than the read itself: every tick woke the timer
    /// thread and a pool worker, which then spun before sleeping again (125 ticks in a 2 s turn at a 16 ms period:
    /// ~60 ms of CPU per turn on a 2-core machine, more than the rest of the iteration).
    /// </summary>
    private void SampleWhileFollowed()
    {
        lock (gate)
        {
            while (true)
            {
                if (!Following())
                {
                    Monitor.Wait(gate);
                    continue;
                }
                // Sleeps without holding the lock; a window opening meanwhile wakes it early, which only adds a sample.
                Monitor.Wait(gate, SamplePeriod);
                if (Following())
                {
                    Sample();
                }
            }
        }
    }

    private bool Following() => open > 0 && Stopwatch.GetElapsedTime(lastOpenedAt, clock()) <= FollowedFor;

    /// <summary>Ids handed out since <paramref name="mark"/>, or null when that is not known.</summary>
    public long? HandedOutSince(Mark mark)
    {
        var now = Sample();
        var handedOut = now.Moved - mark.Moved;
        return now.Epoch == mark.Epoch && handedOut < PidMax - ReservedIds ? handedOut : null;
    }

    /// <summary>Reads the last handed-out id now and adds the move since the previous sample.</summary>
    internal Mark Sample()
    {
        lock (gate)
        {
            // Read under the lock: two samples must add their moves in the order they were read.
            var current = readLastPid();
            var now = clock();
            if (current is not { } value || Stopwatch.GetElapsedTime(lastSampleAt, now) > TrustedFor)
            {
                // Too late (or unreadable): the allocator may have gone round since the last sample.
                epoch++;
            }
            else
            {
                moved += ((long)value - last + PidMax) % PidMax;
            }
            if (current is { } known)
            {
                last = known;
            }
            lastSampleAt = now;
            return new Mark(last, PidMax, moved, epoch);
        }
    }

    // Twice per trusted gap, so a sample delayed by up to half of it still counts.
    private TimeSpan SamplePeriod => TrustedFor / 2;

    private static PidCursor? Create()
    {
        if (!OperatingSystem.IsLinux() || ReadNumber(PidMaxFile) is not { } pidMax || ReadNumber(LastPidFile) is null)
        {
            return null;
        }
        var trust = TrustFor(pidMax, Environment.ProcessorCount);
        // A machine with so few ids per core that the cursor would have to be read every few milliseconds: not worth it.
        if (trust < TimeSpan.FromMilliseconds(10))
        {
            return null;
        }
        var lastPid = new KernelNumber(LastPidFile);
        return new PidCursor(pidMax, trust, lastPid.Read, Stopwatch.GetTimestamp, sampleInBackground: true);
    }

    private static int? ReadNumber(string path)
    {
        try
        {
            return int.TryParse(File.ReadAllText(path).AsSpan().Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

/// <summary>
/// A kernel number read again and again through one open handle: a read at offset 0 of a sysctl
/// file renders its current value, so each sample is a single pread instead of open, read and close.
/// </summary>
internal sealed class KernelNumber(string path)
{
    private readonly byte[] buffer = new byte[32];
    private Microsoft.Win32.SafeHandles.SafeFileHandle? handle;

    /// <summary>The current value; null when it cannot be read. Callers serialize (the cursor reads under its lock).</summary>
    public int? Read()
    {
        try
        {
            handle ??= File.OpenHandle(path, FileMode.Open, FileAccess.Read);
            var read = RandomAccess.Read(handle, buffer, 0);
            var text = buffer.AsSpan(0, read).Trim((byte)'\n');
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
