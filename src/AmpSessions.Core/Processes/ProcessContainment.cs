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
        ArgumentException.ThrowIfNullOrEmpty(markerPrefix);
        if (OperatingSystem.IsLinux())
        {
            return FindOnLinux(markerPrefix, window?.Since());
        }
        if (OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD())
        {
            return await FindWithPsAsync(markerPrefix, cancellationToken).ConfigureAwait(false);
        }
        // Windows: processes live in the turn's Job object, which dies with its handle; there is no marker to read.
        return [];
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
        for (var round = 0; round < MaxRounds; round++)
        {
            var found = await FindAsync(markerPrefix, window, cancellationToken).ConfigureAwait(false);
            if (found.Count == 0)
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
            // A killed process stays visible until the kernel has torn it down; give it a moment.
            await Task.Delay(TimeSpan.FromMilliseconds(round < 3 ? 5 : 50), CancellationToken.None).ConfigureAwait(false);
        }
        return (killed.Count, false);
    }

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

    private static List<int> FindOnLinux(string markerPrefix, Func<int, bool>? startedSince)
    {
        var needle = Encoding.UTF8.GetBytes(VariableName + "=" + markerPrefix);
        var self = Environment.ProcessId;
        var found = new List<int>();
        var examined = 0;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == self
                || (startedSince is not null && !startedSince(pid)))
            {
                continue;
            }
            examined++;
            byte[] environment;
            try
            {
                environment = File.ReadAllBytes(Path.Combine(directory, "environ"));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or another user's process (which ours cannot have started).
                continue;
            }
            if (HasEntry(environment, needle))
            {
                found.Add(pid);
            }
        }
        Examined.Add(examined);
        return found;
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
