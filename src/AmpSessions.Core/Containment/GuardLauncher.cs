using System.Reflection;
using AmpSessions.Core.Processes;

namespace AmpSessions.Core.Containment;

/// <summary>
/// Finds the program Amp runs as the guard's delegate. Amp takes a program path only (no arguments),
/// so it must be an executable: AMP_SESSIONS_GUARD_PROGRAM when set; else the `amp-sessions` executable
/// running now (the .NET tool's apphost); else `amp-sessions` on PATH; else (Linux and macOS) a small
/// launcher script written to &lt;data&gt;/guard/ that starts this same code: through `dotnet` and the
/// CLI's assembly when the CLI runs that way, or through pwsh loading the module's AmpSessions.Core.dll
/// when the module runs without the CLI installed. On Windows without the CLI there is none: the guard
/// is off for that turn (the detector still runs) and the iteration says why.
/// </summary>
public static class GuardLauncher
{
    public const string ProgramVariable = "AMP_SESSIONS_GUARD_PROGRAM";
    public const string LauncherName = "amp-sessions-guard";

    /// <summary>The delegate program, or null and why there is none.</summary>
    public static (string? Program, string? Problem) Resolve(AmpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if ((context.Options.GuardProgram ?? Environment.GetEnvironmentVariable(ProgramVariable)) is { Length: > 0 } configured)
        {
            return File.Exists(configured) ? (Path.GetFullPath(configured), null) : (null, $"{ProgramVariable} names '{configured}', which does not exist");
        }
        var process = Environment.ProcessPath;
        if (process is not null && Path.GetFileNameWithoutExtension(process).Equals("amp-sessions", StringComparison.OrdinalIgnoreCase))
        {
            return (process, null);
        }
        if (ExecutableLocator.Find("amp-sessions") is { } onPath)
        {
            return (onPath, null);
        }
        if (OperatingSystem.IsWindows())
        {
            return (null, "Amp needs an executable as the guard, and there is no amp-sessions on PATH: install the CLI (dotnet tool install -g AmpSessions.Cli) or set " + ProgramVariable);
        }
        var script = LauncherScript(process);
        if (script is null)
        {
            return (null, "neither the amp-sessions CLI nor a way to start this process's guard was found: install the CLI or set " + ProgramVariable);
        }
        var path = Path.Combine(context.Data.Root, "guard", LauncherName);
        WriteIfChanged(path, script);
        return (path, null);
    }

    /// <summary>A POSIX sh script that runs the guard in a new process like this one, or null when there is no way.</summary>
    internal static string? LauncherScript(string? process)
    {
        var entry = HostFiles.EntryAssembly();
        var host = process is null ? "" : Path.GetFileNameWithoutExtension(process);
        if (host.Equals("dotnet", StringComparison.OrdinalIgnoreCase) && entry is not null
            && Path.GetFileName(entry).Equals("amp-sessions.dll", StringComparison.OrdinalIgnoreCase))
        {
            return $"#!/bin/sh\nexec {Quote(process!)} {Quote(entry)}\n";
        }
        // pwsh itself, or pwsh.dll run by dotnet (PowerShell installed as a .NET tool): start it the same way.
        var pwsh = host.Equals("pwsh", StringComparison.OrdinalIgnoreCase) ? Quote(process!)
            : host.Equals("dotnet", StringComparison.OrdinalIgnoreCase) && entry is not null && Path.GetFileName(entry).Equals("pwsh.dll", StringComparison.OrdinalIgnoreCase)
                ? $"{Quote(process!)} {Quote(entry)}"
                : null;
        if (pwsh is not null)
        {
            if (HostFiles.CoreAssembly() is not { } core)
            {
                return null;
            }
            var command = $"Add-Type -LiteralPath '{core.Replace("'", "''", StringComparison.Ordinal)}'; exit [AmpSessions.Core.Containment.GuardProgram]::RunConsole()";
            return $"#!/bin/sh\nexec {pwsh} -NoLogo -NoProfile -NonInteractive -Command {Quote(command)}\n";
        }
        return null;
    }

    private static void WriteIfChanged(string path, string script)
    {
        if (File.Exists(path) && File.ReadAllText(path) == script)
        {
            return;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // Unique per writer: two turns of one process (a batch at concurrency 2) write it at the same moment.
        var temporary = $"{path}.{Environment.ProcessId}-{Guid.NewGuid():N}.tmp";
        File.WriteAllText(temporary, script);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        }
        File.Move(temporary, path, overwrite: true);
    }

    private static string Quote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
