using System.Text;
using AmpSessions.Core.Configuration;
using AmpSessions.Core.Processes;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Core.Workspace;

/// <summary>How a worktree's setup command ended.</summary>
public sealed record SetupResult(string Command, int? ExitCode, bool TimedOut, TimeSpan Duration, string LogPath)
{
    public bool Passed => !TimedOut && ExitCode == 0;

    public string Describe() => Passed ? "passed" : TimedOut ? $"did not finish within {Duration.TotalSeconds:0} s" : $"exited {ExitCode}";
}

/// <summary>
/// Runs the configured setup command (npm ci, make deps) in a new worktree through the platform
/// shell, with the session's variables and ports, its output (redacted) in the session's setup.log.
/// </summary>
public static class SetupScript
{
    public const string LogFileName = "setup.log";

    public static async Task<SetupResult> RunAsync(AmpContext context, Session session, string command, TimeSpan timeout, IReadOnlyList<string> copiedFiles, CancellationToken cancellationToken)
    {
        var logDirectory = context.Data.SessionLogs(session.Id);
        Directory.CreateDirectory(logDirectory);
        var logPath = Path.Combine(logDirectory, LogFileName);
        using var log = new StreamWriter(logPath, append: false, new UTF8Encoding(false)) { AutoFlush = true };
        log.WriteLine($"# setup of session {session.Id} in {session.WorktreePath}");
        if (copiedFiles.Count > 0)
        {
            log.WriteLine($"# copied from the main checkout (.worktreeinclude): {string.Join(", ", copiedFiles)}");
        }
        if (session.Ports is { } ports)
        {
            log.WriteLine($"# ports: {ports} (AMP_SESSION_PORT={ports.First})");
        }
        log.WriteLine($"$ {command}");
        var environment = new Dictionary<string, string?>
        {
            ["AMP_SESSION_ID"] = session.Id,
            ["AMP_SESSION_WORKTREE"] = session.WorktreePath,
            ["AMP_SESSION_BRANCH"] = session.BranchName,
            ["AMP_SESSION_REPO"] = session.RepoRoot,
        };
        foreach (var (name, value) in RunEnvironmentComposer.PortVariables(session.Ports))
        {
            environment[name] = value;
        }
        var spec = PlatformShell.Command(command) with
        {
            WorkingDirectory = session.WorktreePath,
            Timeout = timeout,
            CaptureOutput = false,
            Environment = environment,
            // Whatever the setup starts in the background ends with it.
            Containment = ContainmentScope.ForSession(session.Id, "setup"),
        };
        var result = await ProcessRunner.RunAsync(spec, line =>
        {
            log.WriteLine(SecretRedactor.Redact(line.Text));
            return LineDecision.Continue;
        }, cancellationToken).ConfigureAwait(false);
        var outcome = new SetupResult(command, result.TimedOut || result.Cancelled ? null : result.ExitCode, result.TimedOut, result.Duration, logPath);
        log.WriteLine($"# {outcome.Describe()} after {result.Duration.TotalSeconds:0.0} s");
        return outcome;
    }
}
