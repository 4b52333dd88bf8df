using System.Diagnostics;

namespace AmpSessions.PowerShell.Tests.Hosting;

/// <summary>The pinned pwsh (.config/dotnet-tools.json) as a process of its own: a fresh default load context every time.</summary>
public static class PwshProcess
{
    public sealed record Result(int ExitCode, string StandardOutput, string StandardError)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout:\n{StandardOutput}\nstderr:\n{StandardError}";
    }

    /// <summary>
    /// pwsh.dll of the pinned tool, found once through `dotnet tool run` in this process's own
    /// environment: a test that gives pwsh a clean HOME would otherwise hide the NuGet cache the tool lives in.
    /// </summary>
    private static readonly Lazy<string> PwshAssembly = new(() =>
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = TestEnvironment.RepositoryRoot, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "tool", "run", "pwsh", "--", "-NoLogo", "-NoProfile", "-NonInteractive", "-Command", "Join-Path $PSHOME pwsh.dll" })
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var path = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        return File.Exists(path) ? path : throw new InvalidOperationException($"The pinned pwsh was not found ({path}): run `dotnet tool restore` in {TestEnvironment.RepositoryRoot}.");
    });

    /// <summary>Starts pwsh on a script and returns at once (output is read and dropped), for tests that stop or kill it.</summary>
    public static Process Start(string script, string workingDirectory)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { PwshAssembly.Value, "-NoLogo", "-NoProfile", "-NonInteractive", "-Command", $"$ErrorActionPreference = 'Stop'; {script}" })
        {
            start.ArgumentList.Add(argument);
        }
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    public static Result Run(string script, string workingDirectory, IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { PwshAssembly.Value, "-NoLogo", "-NoProfile", "-NonInteractive", "-Command",
            $"Set-Location -LiteralPath '{workingDirectory.Replace("'", "''")}'; $ErrorActionPreference = 'Stop'; {script}" })
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"pwsh did not finish: {script}");
        }
        return new Result(process.ExitCode, output.Result, error.Result);
    }
}
