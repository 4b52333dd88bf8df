using AmpSessions.Core.Processes;

namespace AmpSessions.Testing;

/// <summary>The outcome of one CLI run.</summary>
public sealed record CliResult(int ExitCode, string StandardOutput, string StandardError)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{StandardOutput}\nstderr:\n{StandardError}";
}

/// <summary>Runs the built amp-sessions CLI as a separate process, the way a user would.</summary>
public sealed class CliRunner
{
    public CliRunner(string dataDirectory) => DataDirectory = dataDirectory;

    public string DataDirectory { get; }

    /// <summary>Extra environment for every run (for example the agent to use).</summary>
    public Dictionary<string, string?> Environment { get; } = new();

    public Task<CliResult> RunAsync(params string[] arguments) => RunAsync(arguments, null, TimeSpan.FromMinutes(3));

    public async Task<CliResult> RunAsync(IEnumerable<string> arguments, string? workingDirectory, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var result = await ProcessRunner.RunAsync(Spec(arguments) with
        {
            WorkingDirectory = workingDirectory,
            Timeout = timeout,
        }, (Func<OutputLine, LineDecision>?)null, cancellationToken);
        return new CliResult(result.ExitCode, result.StandardOutput, result.StandardError);
    }

    /// <summary>
    /// Set to an amp-sessions executable (CI's native AOT build), the CLI tests run it instead of `dotnet amp-sessions.dll`:
    /// the same assertions then hold for the native CLI.
    /// </summary>
    public const string ExecutableVariable = "AMP_SESSIONS_TEST_CLI";

    /// <summary>The process a run starts: `dotnet amp-sessions.dll ...` (or the <see cref="ExecutableVariable"/> executable) with the data directory and the extra environment.</summary>
    public ProcessSpec Spec(IEnumerable<string> arguments)
    {
        var executable = System.Environment.GetEnvironmentVariable(ExecutableVariable);
        var args = new List<string>();
        if (string.IsNullOrEmpty(executable))
        {
            args.Add(TestPaths.CliAssembly);
        }
        args.AddRange(arguments);
        // A CI machine's CI=true would make every run a CI run (the ci environment): tests that want one say so.
        var environment = new Dictionary<string, string?> { ["CI"] = null };
        foreach (var (name, value) in Environment)
        {
            environment[name] = value;
        }
        environment["AMP_SESSIONS_HOME"] = DataDirectory;
        environment["DOTNET_NOLOGO"] = "1";
        return new ProcessSpec(string.IsNullOrEmpty(executable) ? "dotnet" : executable, args) { Environment = environment };
    }

    /// <summary>Starts the CLI and returns at once, for tests that kill it or race it (output is discarded).</summary>
    public System.Diagnostics.Process Start(params string[] arguments)
    {
        var spec = Spec(arguments);
        var startInfo = new System.Diagnostics.ProcessStartInfo(spec.FileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in spec.Arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in spec.Environment)
        {
            if (value is null) startInfo.Environment.Remove(name);
            else startInfo.Environment[name] = value;
        }
        var process = System.Diagnostics.Process.Start(startInfo)!;
        process.OutputDataReceived += static (_, _) => { };
        process.ErrorDataReceived += static (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        return process;
    }
}
