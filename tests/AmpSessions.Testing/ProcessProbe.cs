namespace AmpSessions.Testing;

/// <summary>What /proc says about processes: whether one still runs, and which run a given executable.</summary>
public static class ProcessProbe
{
    /// <summary>True while the process exists and is not a zombie (a killed child waiting to be reaped counts as gone).</summary>
    public static bool IsRunning(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
        // "pid (comm) S ...": the state follows the last ')', since comm may contain spaces or parentheses.
        var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
        return state is not ("Z" or "X" or "x");
    }

    /// <summary>Waits up to <paramref name="within"/> for the process to be gone; true if it is.</summary>
    public static async Task<bool> WaitUntilGoneAsync(int pid, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (IsRunning(pid))
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }
            await Task.Delay(50);
        }
        return true;
    }

    /// <summary>
    /// Live processes whose executable is the given file and whose environment holds <paramref name="entry"/>
    /// (such as <c>HOME=</c> a test's own folder): the ones a test started, not those of a test running beside it.
    /// </summary>
    public static IReadOnlyList<int> Running(string executable, string entry)
    {
        return Running(executable).Where(pid =>
        {
            try
            {
                return File.ReadAllText($"/proc/{pid}/environ").Split('\0').Contains(entry);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return false;
            }
        }).ToList();
    }

    /// <summary>Live processes whose executable is the given file.</summary>
    public static IReadOnlyList<int> Running(string executable)
    {
        var target = Path.GetFullPath(executable);
        var found = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }
            try
            {
                if (new FileInfo(Path.Combine(directory, "exe")).LinkTarget is { } exe
                    && (exe == target || exe == target + " (deleted)") && IsRunning(pid))
                {
                    found.Add(pid);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked, or is not ours to inspect.
            }
        }
        return found;
    }

    /// <summary>
    /// Kills a process a test left behind on purpose, by its id, and only while that id still runs
    /// <paramref name="executable"/> (an id can be reused once its process is gone).
    /// </summary>
    public static void Kill(int pid, string executable)
    {
        if (!Running(executable).Contains(pid))
        {
            return;
        }
        try
        {
            System.Diagnostics.Process.GetProcessById(pid).Kill(entireProcessTree: true);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }
    }
}
