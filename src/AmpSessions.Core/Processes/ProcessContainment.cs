using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace AmpSessions.Core.Processes;

/// <summary>
/// A name for every process started on behalf of one piece of work (an agent turn, a test script
/// run): the marker goes into the started process's environment as
/// <see cref="ProcessContainment.VariableName"/>, and every descendant inherits it, including ones
/// that detach (<c>setsid</c>, a double fork, a background <c>&amp;</c>). Markers of one session
/// share the prefix <c>&lt;session id&gt;/</c>, so a session's processes can be found and killed even
/// when the process that started them is gone (see <see cref="ProcessContainment.ReapSessionAsync"/>).
/// </summary>
public sealed record ContainmentScope
{
    private ContainmentScope(string marker) => Marker = marker;

    /// <summary>The environment value shared by the scope's processes: <c>&lt;session&gt;/&lt;purpose&gt;/&lt;random&gt;</c>.</summary>
    public string Marker { get; }

    /// <summary>A new scope for work of one session (<paramref name="purpose"/>: "agent", "script", "pull-request").</summary>
    public static ContainmentScope ForSession(string? sessionId, string purpose)
    {
        var owner = string.IsNullOrWhiteSpace(sessionId) ? "-" : sessionId.Trim();
        return new ContainmentScope($"{SessionPrefix(owner)}{purpose}/{Guid.NewGuid():N}");
    }

    /// <summary>The prefix every marker of a session's work starts with.</summary>
    public static string SessionPrefix(string sessionId) => sessionId + "/";

    public override string ToString() => Marker;
}

/// <summary>
/// Containment: every process a turn starts is gone when the turn ends, and the processes of a turn
/// whose orchestrator died can be found and killed later. CliWrap kills a process tree, but a
/// process that detached (<c>setsid</c>, double fork) has left the tree, so this small extension
/// finds processes by the marker of their <see cref="ContainmentScope"/> instead:
/// <list type="bullet">
/// <item>Linux: the marker in <c>/proc/&lt;pid&gt;/environ</c> (no cgroups needed; a process of the
/// same user, or any process when running as root). A descendant that both clears its environment
/// and detaches from the tree is the one thing this cannot see.</item>
/// <item>macOS: the marker in the environment <c>ps -E</c> shows for the user's processes.</item>
/// <item>Windows: a Job object that kills every process in it when its handle closes, so the
/// turn's processes end with the turn and with the orchestrator, however it dies.</item>
/// </list>
/// </summary>
public static partial class ProcessContainment
{
    /// <summary>The environment variable that carries a scope's marker.</summary>
    public const string VariableName = "AMP_SESSIONS_SCOPE";

    private const int SigKill = 9;
    private const int MaxRounds = 20;

    /// <summary>Ids of the live processes whose marker starts with <paramref name="markerPrefix"/> (this process excluded).</summary>
    public static Task<IReadOnlyList<int>> FindAsync(string markerPrefix, CancellationToken cancellationToken = default) =>
        FindAsync(markerPrefix, window: null, cancellationToken);

    /// <summary>
    /// As <see cref="FindAsync(string, CancellationToken)"/>; with a <paramref name="window"/> opened before the
    /// scope's first process started, Linux reads only the processes started since (all of them once the window is stale).
    /// </summary>
    internal static async Task<IReadOnlyList<int>> FindAsync(string markerPrefix, PidWindow? window, CancellationToken cancellationToken = default)
    {
        var lookedEmpty = new Dictionary<int, string>();
        for (var round = 0; ; round++)
        {
            var scan = await ScanAsync(markerPrefix, window, lookedEmpty, cancellationToken).ConfigureAwait(false);
            if (!scan.Unsettled || round == MaxRounds - 1)
            {
                return scan.Found;
            }
            await Task.Delay(PauseAfter(round), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// One look at the processes: those with the marker, and whether any process could not be read yet
    /// (in the middle of an exec, see <see cref="ReadEmpty"/>), so a scan that found none is not yet proof.
    /// <paramref name="lookedEmpty"/> carries, from one scan of a sweep to the next, the processes whose environment
    /// looked empty, and where it started.
    /// </summary>
    private static async Task<(IReadOnlyList<int> Found, bool Unsettled)> ScanAsync(string markerPrefix, PidWindow? window, Dictionary<int, string> lookedEmpty,
        CancellationToken cancellationToken)
    {
        // An empty prefix would match every process that carries any marker.
        ArgumentException.ThrowIfNullOrEmpty(markerPrefix);
        if (OperatingSystem.IsLinux())
        {
            return FindOnLinux(markerPrefix, window?.Since(), lookedEmpty);
        }
        if (OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD())
        {
            return (await FindWithPsAsync(markerPrefix, cancellationToken).ConfigureAwait(false), false);
        }
        // Windows: processes live in the turn's Job object, which dies with its handle; there is no marker to read.
        return ([], false);
    }

    /// <summary>
    /// Kills every live process whose marker starts with <paramref name="markerPrefix"/>, scanning
    /// again until none is left (a dying process may have forked). Returns how many were killed.
    /// </summary>
    public static Task<int> ReapAsync(string markerPrefix, CancellationToken cancellationToken = default) =>
        ReapAsync(markerPrefix, window: null, cancellationToken);

    /// <summary>As <see cref="ReapAsync(string, CancellationToken)"/>, each scan limited to the processes started since <paramref name="window"/> opened while it can be trusted.</summary>
    internal static async Task<int> ReapAsync(string markerPrefix, PidWindow? window, CancellationToken cancellationToken = default) =>
        (await ReapRoundsAsync(markerPrefix, window, cancellationToken).ConfigureAwait(false)).Killed;

    /// <summary>As <see cref="ReapAsync(string, PidWindow?, CancellationToken)"/>; true when its last scan found none (it did not give up after <see cref="MaxRounds"/>).</summary>
    internal static async Task<bool> ReapUntilCleanAsync(string markerPrefix, PidWindow? window, CancellationToken cancellationToken = default) =>
        (await ReapRoundsAsync(markerPrefix, window, cancellationToken).ConfigureAwait(false)).Clean;

    private static async Task<(int Killed, bool Clean)> ReapRoundsAsync(string markerPrefix, PidWindow? window, CancellationToken cancellationToken)
    {
        var killed = new HashSet<int>();
        var lookedEmpty = new Dictionary<int, string>();
        for (var round = 0; round < MaxRounds; round++)
        {
            var (found, unsettled) = await ScanAsync(markerPrefix, window, lookedEmpty, cancellationToken).ConfigureAwait(false);
            if (found.Count == 0 && !unsettled)
            {
                return (killed.Count, true);
            }
            foreach (var pid in found)
            {
                if (Kill(pid))
                {
                    killed.Add(pid);
                }
            }
            // A killed process stays visible until the kernel has torn it down, and an exec ends in well under a
            // millisecond; give either a moment.
            await Task.Delay(PauseAfter(round), CancellationToken.None).ConfigureAwait(false);
        }
        return (killed.Count, false);
    }

    private static TimeSpan PauseAfter(int round) => TimeSpan.FromMilliseconds(round < 3 ? 5 : 50);

    /// <summary>
    /// Kills every process started for any work of the session (agent turns, scripts), for a
    /// session whose orchestrating process died (kill -9 of the CLI or of pwsh): only call it when
    /// no live process holds the session's lock, or it stops a running turn.
    /// </summary>
    public static Task<int> ReapSessionAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sessionId);
        return ReapAsync(ContainmentScope.SessionPrefix(sessionId.Trim()), cancellationToken);
    }

    private static bool Kill(int pid)
    {
        if (OperatingSystem.IsWindows())
        {
            return false;
        }
        return NativeKill(pid, SigKill) == 0;
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int NativeKill(int pid, int signal);

    private static (IReadOnlyList<int> Found, bool Unsettled) FindOnLinux(string markerPrefix, Func<int, bool>? startedSince, Dictionary<int, string> lookedEmpty)
    {
        var needle = Encoding.UTF8.GetBytes(VariableName + "=" + markerPrefix);
        var self = Environment.ProcessId;
        var found = new List<int>();
        var unsettled = false;
        var examined = 0;
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(EnvironmentReadSize);
        try
        {
            foreach (var directory in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == self
                    || (startedSince is not null && !startedSince(pid)))
                {
                    continue;
                }
                examined++;
                try
                {
                    var environment = ReadInOneCall(Path.Combine(directory, "environ"), ref buffer);
                    if (environment.Length == 0)
                    {
                        // Empty: a zombie, a kernel thread, a process started with no environment at all, or one in the
                        // middle of an exec (which hides the environment it carries into the new program).
                        var empty = ReadEmpty(File.ReadAllText(Path.Combine(directory, "stat")), out var start);
                        // An environment that looks empty is believed when it still does, at the same place, at the sweep's
                        // next scan (a new exec puts the environment elsewhere: the stack's place is randomized).
                        if (empty == EmptyEnvironment.LooksEmpty && !(lookedEmpty.TryGetValue(pid, out var before) && before == start))
                        {
                            lookedEmpty[pid] = start;
                            unsettled = true;
                        }
                        unsettled |= empty == EmptyEnvironment.Settling;
                        continue;
                    }
                    if (HasEntry(environment, needle))
                    {
                        found.Add(pid);
                    }
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // Gone meanwhile, or another user's process (which ours cannot have started).
                }
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
        Examined.Add(examined);
        return (found, unsettled);
    }

    /// <summary>Enough for nearly every environment; a larger one is read again into a larger buffer.</summary>
    private const int EnvironmentReadSize = 64 * 1024;

    /// <summary>
    /// A /proc file's content from one read call. An open environ file reads the memory of the program it was
    /// opened on; read in pieces (File.ReadAllBytes starts with 512 bytes), an exec between two pieces drops
    /// that memory, the next piece reads as the end, and a marker past the first piece was missed (CI saw a
    /// detached process outlive its run this way). One call copies the environment whole.
    /// </summary>
    private static ReadOnlySpan<byte> ReadInOneCall(string path, ref byte[] buffer)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        while (true)
        {
            var read = RandomAccess.Read(handle, buffer, 0);
            if (read < buffer.Length)
            {
                return buffer.AsSpan(0, read);
            }
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
        }
    }

    /// <summary>What an empty read of a process's environment means.</summary>
    internal enum EmptyEnvironment
    {
        /// <summary>None to read: a zombie or a kernel thread (or a kernel too old to tell).</summary>
        Settled,

        /// <summary>An exec is under way, or ended after the read: scan again.</summary>
        Settling,

        /// <summary>Empty, as for a process started with no environment; an exec writing it looks the same for an instant.</summary>
        LooksEmpty,
    }

    /// <summary>
    /// What an empty read of a process's environment means, from its <c>/proc/&lt;pid&gt;/stat</c> line. An exec
    /// installs the new program's memory before it records where the environment lies in it (<c>env_start</c>
    /// and <c>env_end</c>, fields 50 and 51, still 0), and a read in between returns nothing although the
    /// environment, marker and all, is already there: about a tenth of the reads of a process that execs in a
    /// loop, and a sweep that took it for a stranger let it live. The exec then sets both to the environment's
    /// start and moves the end past each entry, so for an instant they are equal, as for a process started
    /// with an empty environment. An exiting process that has let go of its memory reads as settling for a
    /// moment; the next scan finds it a zombie.
    /// </summary>
    internal static EmptyEnvironment ReadEmpty(string stat, out string environmentStart)
    {
        environmentStart = "";
        const long kernelThread = 0x00200000; // PF_KTHREAD
        // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so fields are counted from the last ')'.
        var close = stat.LastIndexOf(')');
        if (close < 0)
        {
            return EmptyEnvironment.Settled;
        }
        // fields[0] is the state (field 3), fields[6] the flags (field 9), fields[47] and [48] env_start and
        // env_end (fields 50 and 51, Linux 3.5 and later).
        var fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 49 || fields[0] is "Z" or "X" or "x"
            || !long.TryParse(fields[6], NumberStyles.None, CultureInfo.InvariantCulture, out var flags) || (flags & kernelThread) != 0)
        {
            return EmptyEnvironment.Settled;
        }
        environmentStart = fields[47];
        return fields[48] == "0" || fields[47] != fields[48] ? EmptyEnvironment.Settling : EmptyEnvironment.LooksEmpty;
    }

    /// <summary>Processes whose environment a sweep read (bench/ reports it per batch item).</summary>
    private static readonly System.Diagnostics.Metrics.Counter<long> Examined =
        Telemetry.Meter.CreateCounter<long>("amp_sessions.containment.examined", unit: "{process}", description: "Processes whose environment a containment sweep read");

    /// <summary>Whether one NUL-separated entry of <paramref name="environment"/> starts with <paramref name="needle"/>.</summary>
    internal static bool HasEntry(ReadOnlySpan<byte> environment, ReadOnlySpan<byte> needle)
    {
        var offset = 0;
        while (offset < environment.Length)
        {
            var rest = environment[offset..];
            var end = rest.IndexOf((byte)0);
            var entry = end < 0 ? rest : rest[..end];
            if (entry.StartsWith(needle))
            {
                return true;
            }
            if (end < 0)
            {
                break;
            }
            offset += end + 1;
        }
        return false;
    }

    private static async Task<IReadOnlyList<int>> FindWithPsAsync(string markerPrefix, CancellationToken cancellationToken)
    {
        // -E appends each process's environment to its command; -ww keeps it whole.
        var result = await ProcessRunner.RunAsync(new ProcessSpec("ps", ["-axww", "-E", "-o", "pid=", "-o", "command="]),
            (Func<OutputLine, LineDecision>?)null, cancellationToken).ConfigureAwait(false);
        var needle = " " + VariableName + "=" + markerPrefix;
        var self = Environment.ProcessId;
        var found = new List<int>();
        foreach (var line in result.StandardOutput.Split('\n'))
        {
            var trimmed = line.TrimStart();
            var space = trimmed.IndexOf(' ');
            if (space > 0 && trimmed.Contains(needle, StringComparison.Ordinal)
                && int.TryParse(trimmed[..space], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid != self)
            {
                found.Add(pid);
            }
        }
        return found;
    }
}
