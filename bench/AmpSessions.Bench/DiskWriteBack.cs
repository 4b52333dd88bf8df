using System.Diagnostics;

namespace AmpSessions.Bench;

/// <summary>
/// Waits until the disk has written back what earlier runs left dirty in memory: `sync`, then Dirty + Writeback in
/// /proc/meminfo below 16 MB (others may write meanwhile; at most 60 s). A `new` makes a worktree of thousands of files
/// and its clean-up deletes them; timed while the kernel still writes back the run before, a side measures the disk's
/// flushing as much as itself (the tenth table run: p90 3.0 s against a 2.0 s minimum on every side). Elsewhere than
/// Linux it only syncs where it can.
/// </summary>
internal static class DiskWriteBack
{
    private const long QuietBytes = 16L * 1024 * 1024;

    public static async Task WaitAsync()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        using (var sync = Process.Start(new ProcessStartInfo("sync") { UseShellExecute = false }))
        {
            if (sync is not null)
            {
                await sync.WaitForExitAsync();
            }
        }
        var watch = Stopwatch.StartNew();
        while (OperatingSystem.IsLinux() && PendingBytes() > QuietBytes && watch.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(100);
        }
    }

    private static long PendingBytes()
    {
        long pending = 0;
        foreach (var line in File.ReadLines("/proc/meminfo"))
        {
            if (line.StartsWith("Dirty:", StringComparison.Ordinal) || line.StartsWith("Writeback:", StringComparison.Ordinal))
            {
                // "Dirty:      1234 kB"
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                pending += long.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }
        return pending;
    }
}
