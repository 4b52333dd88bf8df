using AmpSessions.Core.Agents;
using AmpSessions.Core.Budgets;
using AmpSessions.Core.Containment;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Events;
using AmpSessions.Core.Git;
using AmpSessions.Core.Notifications;
using AmpSessions.Core.Processes;
using AmpSessions.Core.Scripts;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Core.Iterations;

/// <summary>What <c>iterate</c> needs.</summary>
public sealed record IterateRequest
{
    public required string Session { get; init; }
    /// <summary>Notes for this turn's context.</summary>
    public string? Notes { get; init; }
    /// <summary>A follow-up request instead of the session's prompt.</summary>
    public string? Prompt { get; init; }
    /// <summary>Leave the agent's changes uncommitted.</summary>
    public bool NoCommit { get; init; }
    /// <summary>This turn's time limit; null: the session's, else 30 minutes.</summary>
    public TimeSpan? Timeout { get; init; }
    /// <summary>Skip the test script even when the session has one.</summary>
    public bool SkipScript { get; init; }
    /// <summary>Prices the turn's tokens for cost budgets (a batch file's prices); null: none known.</summary>
    public Batches.PriceTable? Prices { get; init; }
    /// <summary>A batch's budget this turn also counts against.</summary>
    public Budgets.BudgetPool? BudgetPool { get; init; }
    /// <summary>This turn's environment, agent, preset or mode instead of the session's (the parameter layer).</summary>
    public Configuration.RunOverrides? Overrides { get; init; }
}

/// <summary>Something that happened during an iteration, for live display.</summary>
public abstract record IterationEvent(string SessionId);
public sealed record IterationStartedEvent(string SessionId, int Number, string Agent) : IterationEvent(SessionId);
public sealed record IterationAgentEvent(string SessionId, AgentEvent Event) : IterationEvent(SessionId);
public sealed record IterationCommittedEvent(string SessionId, string Commit, string Subject, int FileCount) : IterationEvent(SessionId);
public sealed record IterationScriptStartedEvent(string SessionId, string Command) : IterationEvent(SessionId);
public sealed record IterationScriptOutputEvent(string SessionId, OutputLine Line) : IterationEvent(SessionId);

/// <summary>
/// Moves a session forward one agent turn: context file, the turn, an amp: commit when anything
/// changed, the test script, the records, the notifications. One at a time per session, across processes.
/// </summary>
public sealed partial class IterationRunner
{
    private readonly AmpContext context;
    private readonly INotifier notifier;
    private readonly SessionManager sessions;

    public IterationRunner(AmpContext context, INotifier? notifier = null)
    {
        this.context = context;
        this.notifier = notifier ?? new DesktopNotifier();
        sessions = new SessionManager(context);
    }

    /// <summary>
    /// One agent turn, its commit and its test run; the result is classified against the session's test
    /// baseline when it has one, so every front end shows regressions the same way.
    /// </summary>
    public async Task<IterationRecord> RunAsync(IterateRequest request, Action<IterationEvent>? onEvent = null, CancellationToken cancellationToken = default)
    {
        using var resources = IterationResources.Hold(context);
        var iteration = await RunTurnAsync(request, onEvent, cancellationToken).ConfigureAwait(false);
        return new Evaluation.TestBaselines(context).WithTestChanges(iteration.SessionId, [iteration])[0];
    }

    private async Task<IterationRecord> RunTurnAsync(IterateRequest request, Action<IterationEvent>? onEvent, CancellationToken cancellationToken)
    {
        TimeLimits.Require(request.Timeout);
        var session = sessions.Resolve(request.Session);
        RefuseState(session);
        var worktree = await sessions.RequireWorktreeAsync(session, cancellationToken).ConfigureAwait(false);
        if (await SessionManager.IsRebaseInProgressAsync(worktree, cancellationToken).ConfigureAwait(false))
        {
            throw new AmpSessionsException("AmpRebaseInProgress", ErrorKind.InvalidOperation,
                $"A rebase is in progress in session {session.Id}", session.Id,
                remedy: $"finish it with {Invocation.Of(Operation.Rebase, session.Id, Parameter.Continue)} or {Parameter.Abort} before iterating");
        }
        // The composed environment first: an unknown name or a mode the environment forbids stops the turn before anything is written.
        var run = new Configuration.RunEnvironmentService(context).ForSession(session, request.Overrides);
        run.CheckReferences();
        var followUp = string.IsNullOrWhiteSpace(request.Prompt) ? null : Configuration.SessionConfiguration.ExpandPrompt(context, session.RepoRoot, request.Prompt);
        using var operation = await sessions.BeginOperationAsync(session, "iteration", cancellationToken).ConfigureAwait(false);
        session = operation.Session;
        RefuseState(session);
        run = new Configuration.RunEnvironmentService(context).ForSession(session, request.Overrides);
        var spec = run.Spec;

        await WorktreeChecks.RequireCommittableAsync(session, worktree, cancellationToken).ConfigureAwait(false);
        var commonDir = await worktree.GetCommonDirAsync(cancellationToken).ConfigureAwait(false);
        var baseCommit = await sessions.SessionBaseAsync(session, worktree, cancellationToken).ConfigureAwait(false);
        var lastScript = context.Iterations.LastScriptRun(session.Id);
        var contextText = await SessionContextFile.WriteAsync(session, worktree, commonDir, baseCommit, request.Notes, lastScript, cancellationToken).ConfigureAwait(false);
        var userPrompt = followUp ?? session.Prompt;

        using var budget = TurnBudget.Start(context, session, request.Prices, request.BudgetPool, cancellationToken);
        // The row and the Running status come first (one transaction), so a crash leaves a record repair can reconcile.
        var startedAt = context.Now;
        session = session with { Status = SessionStatus.Running, StatusMessage = null, LastRunAt = startedAt };
        var iteration = TurnRecords.Start(context, new IterationRecord
        {
            SessionId = session.Id,
            Number = 0,
            Prompt = userPrompt,
            Notes = request.Notes,
            Agent = spec.ToString(),
            Model = run.Model,
            Environment = run.Environment,
            Preset = run.Preset,
            Permissions = run.PermissionRules,
            StartedAt = startedAt,
            Status = IterationStatus.Running,
        }, numbered => numbered with { TranscriptPath = Path.Combine(context.Data.SessionLogs(session.Id), $"iteration-{numbered.Number}.jsonl") }, session);
        var transcript = iteration.TranscriptPath!;
        onEvent?.Invoke(new IterationStartedEvent(session.Id, iteration.Number, spec.ToString()));
        context.Events.IterationStarted(session, iteration);

        var mainCheckout = await MainCheckoutWatch.StartAsync(context, session, cancellationToken).ConfigureAwait(false);
        var guard = GuardSession.Start(context, session, iteration.Number, spec, commonDir, GuardSession.Enabled(context, session));
        if (guard.Rules.Count > 0)
        {
            // The iteration records the rules the agent got, in the order Amp reads them: the guard's delegates come first.
            iteration = iteration with { Permissions = [.. GuardSession.Describe(guard.Rules), .. iteration.Permissions] };
            context.Iterations.Update(iteration);
        }
        AgentTurnResult turn;
        try
        {
            var turnRequest = run.TurnRequest(SessionContextFile.Prompt(userPrompt, contextText), session.ThreadId, transcript, request.Timeout ?? session.Timeout ?? AgentDefaults.Timeout);
            turn = await spec.CreateAgent().RunTurnAsync(turnRequest with
            {
                LeadingPermissionRules = guard.Rules,
                Environment = guard.Environment(turnRequest.Environment),
            }, agentEvent =>
            {
                budget.Observe(agentEvent);
                onEvent?.Invoke(new IterationAgentEvent(session.Id, agentEvent));
            }, budget.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The agent could not even start (missing executable): record it, then report it.
            Finish(ref session, iteration with { Status = IterationStatus.Crashed, Error = ex.Message }, SessionStatus.Error, ex.Message);
            throw;
        }

        iteration = iteration with
        {
            Status = StatusOf(turn.Outcome),
            Error = turn.Error,
            ThreadId = turn.ThreadId,
            Tokens = turn.Tokens,
            ToolCalls = turn.ToolCalls,
            ProtocolWarnings = turn.ProtocolWarnings,
            // Redacted: the summary becomes the commit subject, and an agent may echo a secret in its last message.
            Summary = turn.Succeeded ? SecretRedactor.Redact(CommitMessage.Summary(turn.FinalMessage, iteration.Number), session.AgentEnvironment.Values) : null,
        };
        iteration = await mainCheckout.FinishAsync(guard.Record(budget.Judge(iteration, turn)), notifier).ConfigureAwait(false);
        // Keep the thread only when it can be continued (a fresh thread that failed at once may not exist server-side).
        if (turn.ThreadId is not null && turn.Outcome is AgentOutcome.Succeeded or AgentOutcome.Failed or AgentOutcome.AwaitingInput)
        {
            session = session with { ThreadId = turn.ThreadId };
        }

        try
        {
            // The agent may have moved HEAD off the session branch: bring its work back first.
            // Skipped when the user stopped the turn (stopping stays prompt): the next turn's check brings a
            // moved HEAD back, and cleanup counts commits only a HEAD reaches as work it would lose.
            if (!cancellationToken.IsCancellationRequested
                && await SessionBranchGuard.ReturnToSessionBranchAsync(context, session, worktree, cancellationToken).ConfigureAwait(false) is { } moved)
            {
                iteration = iteration with { Warnings = [.. iteration.Warnings, moved] };
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Finish(ref session, iteration with { Status = IterationStatus.Crashed, Error = ex.Message }, SessionStatus.Error, ex.Message);
            throw;
        }
        if ((turn.Succeeded || budget.StoppedTurn) && !request.NoCommit)
        {
            try
            {
                iteration = await CommitAsync(session, worktree, iteration, budget.Trailer(iteration), onEvent, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Never leave the session Running: the turn's edits stay in the worktree, uncommitted.
                Finish(ref session, iteration with { Status = IterationStatus.Crashed, Error = "the commit failed: " + ex.Message }, SessionStatus.Error,
                    "the commit after the turn failed; the changes are in the worktree");
                throw;
            }
        }
        iteration = await IterationAftermath.NoteSubmoduleWorkAsync(context, session, worktree, iteration).ConfigureAwait(false);
        if (turn.Succeeded && !request.SkipScript && !string.IsNullOrWhiteSpace(session.ScriptCommand))
        {
            context.Iterations.Update(iteration);
            sessions.Save(session with { Status = SessionStatus.Evaluating });
            onEvent?.Invoke(new IterationScriptStartedEvent(session.Id, session.ScriptCommand));
            try
            {
                var script = await new ScriptRunner(context, notifier).RunLockedAsync(session with { NotificationsEnabled = run.Notifications }, iteration.Id,
                    line => onEvent?.Invoke(new IterationScriptOutputEvent(session.Id, line)), request.Timeout, cancellationToken).ConfigureAwait(false);
                iteration = iteration with { ScriptRunId = script.Id, ScriptPassed = script.Passed };
            }
            catch (OperationCanceledException)
            {
                Finish(ref session, iteration with { Error = "cancelled while the test script ran" }, SessionStatus.Idle, "test script cancelled");
                throw;
            }
            catch (Exception ex)
            {
                Finish(ref session, iteration with { Error = "the test script could not run: " + ex.Message }, SessionStatus.Error, "the test script could not run");
                throw;
            }
        }

        var (sessionStatus, message) = turn.Outcome switch
        {
            AgentOutcome.Succeeded => (SessionStatus.Idle, IterationAftermath.HeldBack(iteration) ?? (iteration.ScriptPassed == false ? "tests failed" : null)),
            AgentOutcome.AwaitingInput => (SessionStatus.AwaitingInput, turn.Error),
            AgentOutcome.Cancelled => (SessionStatus.Idle, "last iteration cancelled"),
            _ => (SessionStatus.Error, turn.Error),
        };
        (sessionStatus, message) = budget.Verdict(iteration, sessionStatus, message, notifier);
        Finish(ref session, iteration, sessionStatus, message);
        NotifyOutcome(session with { NotificationsEnabled = run.Notifications }, iteration, turn);
        return context.Iterations.Get(iteration.Id) ?? throw new InvalidOperationException($"iteration {iteration.Id} of session {session.Id} vanished from the store");
    }

    private void Finish(ref Session session, IterationRecord iteration, SessionStatus status, string? message)
    {
        (status, message) = MainCheckoutWatch.Verdict(iteration, status, message);
        var ended = context.Now;
        iteration = iteration with { EndedAt = ended, Duration = ended - iteration.StartedAt };
        session = session with { Status = status, StatusMessage = message };
        TurnRecords.Finish(context, iteration, session);
        context.Events.IterationFinished(session, iteration);
    }

    private async Task<IterationRecord> CommitAsync(Session session, GitClient worktree, IterationRecord iteration, (string Name, string Value)? trailer,
        Action<IterationEvent>? onEvent, CancellationToken cancellationToken)
    {
        await worktree.StageAllAsync(cancellationToken).ConfigureAwait(false);
        if (!await worktree.HasStagedChangesAsync(cancellationToken).ConfigureAwait(false))
        {
            return iteration;
        }
        var summary = iteration.Summary ?? $"iteration {iteration.Number}";
        var message = CommitMessage.Compose(summary, session.Id, iteration.Number, iteration.ThreadId, trailer);
        if (await IterationAftermath.HoldBackSecretsAsync(session, worktree, iteration, message, notifier, cancellationToken).ConfigureAwait(false) is { } held)
        {
            return held;
        }
        var commit = await worktree.CommitAsync(message, cancellationToken: cancellationToken).ConfigureAwait(false);
        var files = await worktree.DiffNameStatusAsync([commit + "^", commit], cancellationToken: cancellationToken).ConfigureAwait(false);
        onEvent?.Invoke(new IterationCommittedEvent(session.Id, commit, CommitMessage.Prefix + summary, files.Count));
        return iteration with { CommitSha = commit, ChangedFiles = files.Select(f => f.Path).ToArray() };
    }

    private void NotifyOutcome(Session session, IterationRecord iteration, AgentTurnResult turn)
    {
        if (!session.NotificationsEnabled)
        {
            return;
        }
        var who = $"{session.Name} ({session.Id})";
        switch (turn.Outcome)
        {
            case AgentOutcome.AwaitingInput:
                notifier.Notify(new Notification("waiting for you", $"{who}: {turn.Error}", NotificationKind.AwaitingInput, session.Id));
                break;
            case AgentOutcome.Succeeded or AgentOutcome.Cancelled:
                break;
            default:
                notifier.Notify(new Notification($"iteration {iteration.Number} {iteration.Status}", $"{who}: {turn.Error}", NotificationKind.IterationFailed, session.Id));
                break;
        }
    }

    private static void RefuseState(Session session)
    {
        var reason = session.Status switch
        {
            SessionStatus.Archived => "is archived",
            SessionStatus.Merged => "is already merged",
            SessionStatus.Conflicted => "has a rebase conflict to resolve first",
            SessionStatus.Initializing => "is still being created",
            _ => null,
        };
        if (session.Status == SessionStatus.Blocked)
        {
            throw Acknowledgement.BlockedError(session, "iterate");
        }
        if (session.Status == SessionStatus.BudgetExceeded)
        {
            throw new AmpSessionsException("AmpBudgetExceeded", ErrorKind.InvalidOperation,
                $"Session {session.Id} has spent its budget ({session.StatusMessage ?? session.Budget.ToString()}), so it cannot iterate", session.Id,
                remedy: $"raise it with {Invocation.Of(Operation.SetSession, session.Id, new Argument(Parameter.BudgetTokens, "<n>"))} (or {Parameter.BudgetCost}, {Parameter.BudgetIterations}, {Parameter.BudgetTime}; 0 removes a limit)");
        }
        if (reason is not null)
        {
            throw new AmpSessionsException("AmpSessionNotIterable", ErrorKind.InvalidOperation,
                $"Session {session.Id} {reason}, so it cannot iterate", session.Id,
                remedy: $"see {Invocation.Of(Operation.ShowSession, session.Id)}");
        }
    }

    internal static IterationStatus StatusOf(AgentOutcome outcome) => outcome switch
    {
        AgentOutcome.Succeeded => IterationStatus.Succeeded,
        AgentOutcome.Failed => IterationStatus.Failed,
        AgentOutcome.AwaitingInput => IterationStatus.AwaitingInput,
        AgentOutcome.NotLoggedIn => IterationStatus.NotLoggedIn,
        AgentOutcome.ServerUnreachable => IterationStatus.ServerUnreachable,
        AgentOutcome.TimedOut => IterationStatus.TimedOut,
        AgentOutcome.Cancelled => IterationStatus.Cancelled,
        _ => IterationStatus.Crashed,
    };
}
