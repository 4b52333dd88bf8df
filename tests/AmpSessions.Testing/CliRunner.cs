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
        var args = new List<string> { TestPaths.CliAssembly };
        args.AddRange(arguments);
        var environment = new Dictionary<string, string?>(Environment)
        {
            ["AMP_SESSIONS_HOME"] = DataDirectory,
            ["DOTNET_NOLOGO"] = "1",
        };
        var result = await ProcessRunner.RunAsync(new ProcessSpec("dotnet", args)
        {
            WorkingDirectory = workingDirectory,
            Environment = environment,
            Timeout = timeout,
        }, (Func<OutputLine, LineDecision>?)null, cancellationToken);
        return new CliResult(result.ExitCode, result.StandardOutput, result.StandardError);
    }
}
