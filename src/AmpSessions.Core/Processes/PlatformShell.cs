namespace AmpSessions.Core.Processes;

/// <summary>
/// The one place a command line written by the user (a test script, a pull request script) runs
/// through the platform's shell: sh -c on Unix, cmd /c on Windows. Everything else the product
/// starts is an argument list.
/// </summary>
public static class PlatformShell
{
    /// <summary>The shells a session may choose for its test script.</summary>
    public static IReadOnlyList<string> Shells { get; } = ["sh", "bash", "pwsh", "cmd"];

    /// <summary>
    /// The command line run by <paramref name="shell"/> (one of <see cref="Shells"/>), or by the
    /// platform's shell when null: /bin/sh (dash on Debian and Ubuntu, so no bash-only syntax such
    /// as ${PIPESTATUS[0]}) on Unix, cmd on Windows.
    /// </summary>
    public static ProcessSpec Command(string commandLine, string? shell = null) => (shell ?? (OperatingSystem.IsWindows() ? "cmd" : "sh")) switch
    {
        "sh" => new ProcessSpec("/bin/sh", ["-c", commandLine]),
        "bash" => new ProcessSpec("bash", ["-c", commandLine]),
        "pwsh" => new ProcessSpec("pwsh", ["-NoProfile", "-NonInteractive", "-Command", commandLine]),
        "cmd" => new ProcessSpec(Environment.GetEnvironmentVariable("ComSpec") ?? "cmd.exe", ["/d", "/s", "/c", commandLine]),
        var other => throw new Errors.AmpSessionsException("AmpScriptShellUnknown", Errors.ErrorKind.InvalidArgument,
            $"'{other}' is not a shell AmpSessions runs scripts with", other, remedy: $"choose one of {string.Join(", ", Shells)}"),
    };

    /// <summary>The shell name, trimmed and checked (null stays null: the platform's).</summary>
    public static string? Validate(string? shell)
    {
        if (string.IsNullOrWhiteSpace(shell))
        {
            return null;
        }
        var name = shell.Trim().ToLowerInvariant();
        return Shells.Contains(name) ? name : throw new Errors.AmpSessionsException("AmpScriptShellUnknown", Errors.ErrorKind.InvalidArgument,
            $"'{shell}' is not a shell AmpSessions runs scripts with", shell, remedy: $"choose one of {string.Join(", ", Shells)}");
    }
}
