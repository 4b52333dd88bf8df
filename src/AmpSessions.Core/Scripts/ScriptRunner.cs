using AmpSessions.Core.Events;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Notifications;
using AmpSessions.Core.Processes;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Core.Scripts;

/// <summary>
/// Runs a session's test script in its worktree through the platform shell (the user wrote a shell
/// command), streaming output live and keeping it (redacted) in the session's logs. Exit 0 passes;
/// any other exit, a signal or the time limit fails.
/// </summary>
public sealed class ScriptRunner
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(30);
    private const int TailLines = 40;

    private readonly AmpContext context;
    private readonly INotifier notifier;

    public ScriptRunner(AmpContext context, INotifier? notifier = null)
    {
        this.context = context;
        this.notifier = notifier ?? new DesktopNotifier();
    }

    /// <summary>`run`: takes the session's lock, runs the script, records it and notifies.</summary>
    public async Task<ScriptRun> RunAsync(string sessionReference, Action<OutputLine>? onLine = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        TimeLimits.Require(timeout);
        var manager = new SessionManager(context);
        var session = manager.Resolve(sessionReference);
        await manager.RequireWorktreeAsync(session, cancellationToken).ConfigureAwait(false);
        using var operation = await manager.BeginOperationAsync(session, "run script", cancellationToken).ConfigureAwait(false);
        session = operation.Session;
        var previous = session.Status;
        manager.Save(session with { Status = SessionStatus.Evaluating });
        try
        {
            return await RunLockedAsync(session, null, onLine, timeout, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            manager.Save(manager.Resolve(session.Id) with { Status = previous });
        }
    }

    /// <summary>Runs the script for a session whose lock the caller holds (an iteration).</summary>
    internal async Task<ScriptRun> RunLockedAsync(Session session, long? iterationId, Action<OutputLine>? onLine, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(session.ScriptCommand))
        {
            throw new AmpSessionsException("AmpNoScript", ErrorKind.InvalidOperation,
                $"Session {session.Id} has no script command", session.Id,
                remedy: $"set one with {Invocation.Of(Operation.SetSession, session.Id, new Argument(Parameter.Script, "<command>"))}");
        }
        var run = context.Iterations.InsertScriptRun(new ScriptRun
        {
            SessionId = session.Id,
            IterationId = iterationId,
            Command = session.ScriptCommand,
            StartedAt = context.Now,
            Status = ScriptRunStatus.Running,
        });
        var logDirectory = context.Data.SessionLogs(session.Id);
        Storage.PrivateFiles.Folder(logDirectory);
        var outputPath = Path.Combine(logDirectory, $"script-{run.Id}.log");
        var tail = new Queue<string>();
        ProcessResult result;
        using (var log = Storage.PrivateFiles.CreateText(outputPath))
        {
            // {junit} in the command: where the run's JUnit XML goes, read by test baselines (Evaluation/TestBaselines).
            var spec = PlatformShell.Command(Evaluation.TestCommand.ForSessionScript(session.ScriptCommand, outputPath), session.ScriptShell) with
            {
                WorkingDirectory = session.WorktreePath,
                Timeout = timeout ?? session.Timeout ?? DefaultTimeout,
                CaptureOutput = false,
                // A server or watcher the script started in the background ends with the run.
                Containment = ContainmentScope.ForSession(session.Id, "script"),
                Environment = new Dictionary<string, string?>
                {
                    ["AMP_SESSION_ID"] = session.Id,
                    ["AMP_SESSION_WORKTREE"] = session.WorktreePath,
                    ["AMP_SESSION_BRANCH"] = session.BranchName,
                }.Concat(Configuration.RunEnvironmentComposer.PortVariables(session.Ports).Select(p => new KeyValuePair<string, string?>(p.Key, p.Value)))
                 .ToDictionary(p => p.Key, p => p.Value),
            };
            result = await ProcessRunner.RunAsync(spec, line =>
            {
                var safe = SecretRedactor.Redact(line.Text);
                log.WriteLine(safe);
                log.Flush();
                tail.Enqueue(safe);
                if (tail.Count > TailLines)
                {
                    tail.Dequeue();
                }
                onLine?.Invoke(line with { Text = safe });
            }, cancellationToken).ConfigureAwait(false);
        }
        var status = result.Cancelled ? ScriptRunStatus.Cancelled
            : result.TimedOut ? ScriptRunStatus.TimedOut
            : result.ExitCode == 0 ? ScriptRunStatus.Passed
            : ScriptRunStatus.Failed;
        run = run with
        {
            EndedAt = context.Now,
            Duration = result.Duration,
            ExitCode = result.TimedOut || result.Cancelled ? null : result.ExitCode,
            Status = status,
            OutputPath = outputPath,
            OutputTail = string.Join('\n', tail),
        };
        context.Iterations.UpdateScriptRun(run);
        context.Events.TestsFinished(session, run);
        if (session.NotificationsEnabled && status != ScriptRunStatus.Cancelled)
        {
            notifier.Notify(new Notification($"tests {(status == ScriptRunStatus.Passed ? "passed" : "failed")}",
                $"{session.Name} ({session.Id}): `{session.ScriptCommand}` {Describe(run)}", NotificationKind.TestsFinished, session.Id));
        }
        cancellationToken.ThrowIfCancellationRequested();
        return run;
    }

    private static string Describe(ScriptRun run) => run.Status switch
    {
        ScriptRunStatus.Passed => "passed",
        ScriptRunStatus.TimedOut => "timed out",
        _ => $"failed with exit code {run.ExitCode}",
    };
}
