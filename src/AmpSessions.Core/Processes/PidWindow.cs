using System.Diagnostics;
using System.Globalization;

namespace AmpSessions.Core.Processes;

/// <summary>
/// The process ids Linux handed out since a moment: every process a contained run starts (and every
/// descendant, detached or not) gets its id after the run began, so a sweep for the run's marker
/// needs to read the environment of those processes only, not of every process on the machine
/// (reading /proc/&lt;pid&gt;/environ of hundreds of unrelated processes cost more than the rest of a
/// short turn's containment). Ids are handed out in increasing order and wrap at
/// <c>kernel.pid_max</c>; a window is trusted only while even <see cref="ClonesPerSecondPerCore"/>
/// new processes or threads a second on every core could not have gone half way round the id space
/// since it opened. Past that (a long turn), or where the kernel does not say its last id, the sweep
/// reads every process as before.
/// </summary>
internal sealed class PidWindow
{
    /// <summary>More process or thread creations a second than any core manages (a clone takes well over 4 µs).</summary>
    internal const long ClonesPerSecondPerCore = 250_000;

    private const string LastPidFile = "/proc/sys/kernel/ns_last_pid";
    private const string PidMaxFile = "/proc/sys/kernel/pid_max";

    private readonly int lastAtStart;
    private readonly int pidMax;
    private readonly long openedAt;
    private readonly TimeSpan trustedFor;

    internal PidWindow(int lastAtStart, int pidMax, long openedAt, TimeSpan trustedFor)
    {
        this.lastAtStart = lastAtStart;
        this.pidMax = pidMax;
        this.openedAt = openedAt;
        this.trustedFor = trustedFor;
    }

    /// <summary>How long a window over <paramref name="pidMax"/> ids stays trusted on <paramref name="cores"/> cores.</summary>
    internal static TimeSpan TrustFor(int pidMax, int cores) =>
        TimeSpan.FromSeconds(pidMax / 2.0 / (ClonesPerSecondPerCore * Math.Max(1, cores)));

    /// <summary>How long after opening the window still names every id handed out since.</summary>
    internal TimeSpan TrustedFor => trustedFor;

    /// <summary>A window opened now, or null where the kernel does not tell (not Linux, no such file).</summary>
    public static PidWindow? Open() => Open(trustedFor: null);

    /// <summary>As <see cref="Open()"/>, trusted for <paramref name="trustedFor"/> instead of what this machine's id space and cores allow (tests).</summary>
    internal static PidWindow? Open(TimeSpan? trustedFor)
    {
        if (!OperatingSystem.IsLinux() || ReadNumber(PidMaxFile) is not { } max || ReadNumber(LastPidFile) is not { } last)
        {
            return null;
        }
        return new PidWindow(last, max, Stopwatch.GetTimestamp(), trustedFor ?? TrustFor(max, Environment.ProcessorCount));
    }

    /// <summary>
    /// A test for "handed out since the window opened", valid for one scan starting now; null when the
    /// window can no longer be trusted (every process must be examined).
    /// </summary>
    public Func<int, bool>? Since() => Since(ReadNumber(LastPidFile), Stopwatch.GetTimestamp());

    internal Func<int, bool>? Since(int? lastNow, long now)
    {
        if (lastNow is not { } last || Stopwatch.GetElapsedTime(openedAt, now) > trustedFor)
        {
            return null;
        }
        var handedOut = Distance(last);
        if (handedOut > pidMax / 2)
        {
            return null;
        }
        // The kernel restarts above its reserved low ids after a wrap; those few are examined too, which costs nothing.
        return pid => Distance(pid) is var d && d > 0 && d <= handedOut;
    }

    private int Distance(int pid) => (int)(((long)pid - lastAtStart + pidMax) % pidMax);

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
