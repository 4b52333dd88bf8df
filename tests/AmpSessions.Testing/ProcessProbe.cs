namespace AmpSessions.Testing;

/// <summary>Whether a process id still names a running process (a zombie waiting to be reaped counts as gone).</summary>
public static class ProcessProbe
{
    public static bool IsAlive(int pid)
    {
        var stat = $"/proc/{pid}/stat";
        if (Directory.Exists("/proc/self"))
        {
            try
            {
                var text = File.ReadAllText(stat);
                // pid (comm) S ...: the state letter follows the last ')'.
                var state = text[(text.LastIndexOf(')') + 2)..].Split(' ')[0];
                return state is not ("Z" or "X");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return false;
            }
        }
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Waits until the process is gone; false when it is still alive after the timeout.</summary>
    public static async Task<bool> WaitUntilGoneAsync(int pid, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (IsAlive(pid))
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }
            await Task.Delay(25);
        }
        return true;
    }
}
