namespace AmpSessions.Core.Processes;

/// <summary>
/// The one place a command line written by the user (a test script, a pull request script) runs
/// through the platform's shell: sh -c on Unix, cmd /c on Windows. Everything else the product
/// starts is an argument list.
/// </summary>
public static class PlatformShell
{
    public static ProcessSpec Command(string commandLine) => OperatingSystem.IsWindows()
        ? new ProcessSpec(Environment.GetEnvironmentVariable("ComSpec") ?? "cmd.exe", ["/d", "/s", "/c", commandLine])
        : new ProcessSpec("/bin/sh", ["-c", commandLine]);
}
