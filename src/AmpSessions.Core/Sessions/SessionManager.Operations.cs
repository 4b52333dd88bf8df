using AmpSessions.Core.Errors;
using AmpSessions.Core.Iterations;
using AmpSessions.Core.Processes;
using AmpSessions.Core.Scripts;

namespace AmpSessions.Core.Sessions;

/// <summary>A session operation in progress: the session lock it holds and the session's row as read under it.</summary>
public sealed class SessionOperation : IDisposable
{
    internal SessionOperation(SessionLock sessionLock, Session session)
    {
        Lock = sessionLock;
        Session = session;
    }

    public SessionLock Lock { get; }

    /// <summary>The row read once the lock was held (with any interrupted operation before it settled).</summary>
    public Session Session { get; }

    public void Dispose() => Lock.Dispose();
}

public sealed partial class SessionManager
{
    /// <summary>
    /// Starts an operation that changes the session's branch, worktree or status: takes the session
    /// lock (busy at once while another operation holds it), re-reads the row under it and settles
    /// what a dead holder left (a Running or Evaluating row becomes Error "interrupted"). A creation
    /// that was interrupted is refused: only repair finishes it.
    /// </summary>
    public async Task<SessionOperation> BeginOperationAsync(Session session, string operation, CancellationToken cancellationToken = default)
    {
        var sessionLock = SessionLock.Acquire(context, session.Id, operation);
        try
        {
            var current = context.Sessions.Get(session.Id)
                ?? throw new SessionNotFoundException(session.Id, $"Session {session.Id} was removed meanwhile",
                    remedy: $"run {Invocation.Of(Operation.ListSessions)} to see what is left");
            if (current.Status == SessionStatus.Initializing)
            {
                throw new AmpSessionsException("AmpSessionInterrupted", ErrorKind.InvalidOperation,
                    $"Session {session.Id} was never finished being created (the process creating it ended)", session.Id,
                    remedy: $"run {Invocation.Of(Operation.Repair)} to remove what it left, then create it again");
            }
            if (SessionLiveness.ClaimsLiveProcess(current.Status))
            {
                current = await SettleInterruptedRunAsync(current, sessionLock.Abandoned, cancellationToken).ConfigureAwait(false);
            }
            else if (sessionLock.Abandoned is not null)
            {
                // Whatever the dead holder started (a pull request script, a test run) must not go on under this operation.
                await ProcessContainment.ReapSessionAsync(session.Id, cancellationToken).ConfigureAwait(false);
            }
            return new SessionOperation(sessionLock, current);
        }
        catch
        {
            sessionLock.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A Running or Evaluating row whose process is gone (the caller holds the lock): the processes
    /// the turn started (the agent, its children, the test script) are killed, its running iteration
    /// and script run are marked interrupted and the session Error "interrupted"; the worktree is
    /// left as the turn left it.
    /// </summary>
    internal async Task<Session> SettleInterruptedRunAsync(Session session, SessionLockRecord? holder, CancellationToken cancellationToken)
    {
        await ProcessContainment.ReapSessionAsync(session.Id, cancellationToken).ConfigureAwait(false);
        var who = holder is null ? "the process running it ended" : $"the process running it ({holder.ProcessId}) ended";
        foreach (var iteration in context.Iterations.List(session.Id).Where(i => i.Status == IterationStatus.Running))
        {
            var ended = context.Now;
            context.Iterations.Update(iteration with
            {
                Status = IterationStatus.Crashed,
                Error = "interrupted: " + who,
                EndedAt = ended,
                Duration = ended - iteration.StartedAt,
            });
        }
        foreach (var run in context.Iterations.ListScriptRuns(session.Id).Where(r => r.Status == ScriptRunStatus.Running))
        {
            var ended = context.Now;
            context.Iterations.UpdateScriptRun(run with { Status = ScriptRunStatus.Cancelled, EndedAt = ended, Duration = ended - run.StartedAt, OutputTail = (run.OutputTail ?? "") + "\n(interrupted: " + who + ")" });
        }
        var settled = session with { Status = SessionStatus.Error, StatusMessage = "interrupted", UpdatedAt = context.Now };
        context.Sessions.Update(settled);
        return settled;
    }
}
