using AmpSessions.Core.Agents;
using AmpSessions.Core.Batches;
using AmpSessions.Core.Events;
using AmpSessions.Core.Iterations;
using AmpSessions.Core.Notifications;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Core.Budgets;

/// <summary>
/// A batch's budget, shared by the turns of its items: every token any item's agent reports counts
/// against it, and when it is spent every running turn is stopped and no item starts.
/// </summary>
public sealed class BudgetPool
{
    private readonly object gate = new();
    private readonly List<TurnBudget> live = [];
    private readonly DateTimeOffset started;
    private readonly TimeProvider clock;
    private BudgetSpending spent = new();

    /// <summary>A pool for <paramref name="budget"/>; <paramref name="alreadySpent"/> is what earlier runs of the batch spent (time starts now).</summary>
    public BudgetPool(Budget budget, TimeProvider clock, BudgetSpending? alreadySpent = null)
    {
        Budget = budget;
        this.clock = clock;
        started = clock.GetUtcNow();
        spent = (alreadySpent ?? new BudgetSpending()) with { Time = TimeSpan.Zero };
    }

    public Budget Budget { get; }

    /// <summary>What the batch's turns have spent so far (time: since the batch started).</summary>
    public BudgetSpending Spent
    {
        get
        {
            lock (gate)
            {
                return spent with { Time = clock.GetUtcNow() - started };
            }
        }
    }

    /// <summary>The limit that is spent, or null while there is budget left.</summary>
    public BudgetLimit? Reached => Budget.ReachedBy(Spent);

    /// <summary>How long turns may still run before the batch's time is spent; null without a time limit.</summary>
    internal TimeSpan? TimeLeft => Budget.Time is { } time ? time - (clock.GetUtcNow() - started) : null;

    internal void Join(TurnBudget turn)
    {
        lock (gate)
        {
            live.Add(turn);
        }
    }

    internal void Leave(TurnBudget turn)
    {
        lock (gate)
        {
            live.Remove(turn);
        }
    }

    internal void Add(TokenUsage usage, ModelPrice? price)
    {
        TurnBudget[] stop;
        lock (gate)
        {
            spent = spent.With(usage, price);
            if (Budget.ReachedBy(spent with { Time = clock.GetUtcNow() - started }) is not { } limit)
            {
                return;
            }
            stop = [.. live];
            foreach (var turn in stop)
            {
                turn.Reach(limit, this);
            }
        }
    }
}

/// <summary>
/// The budget of one agent turn: the session's limits less what its earlier iterations spent, and
/// the batch's pool when there is one. Tokens and cost are counted as the agent reports usage; when
/// a limit is reached the turn is stopped gracefully (the agent is interrupted, what it did is
/// committed and marked), the iteration ends BudgetExceeded and the session becomes BudgetExceeded.
/// </summary>
public sealed class TurnBudget : IDisposable
{
    private readonly AmpContext context;
    private readonly Session session;
    private readonly BudgetSpending before;
    private readonly ModelPrice? price;
    private readonly BudgetPool? pool;
    private readonly CancellationTokenSource stop;
    private readonly CancellationToken outer;
    private readonly object gate = new();
    private TokenUsage turn;

    private TurnBudget(AmpContext context, Session session, PriceTable? prices, BudgetPool? pool, CancellationToken outer)
    {
        this.context = context;
        this.session = session;
        this.pool = pool;
        this.outer = outer;
        // The batch file's prices first (for its items), then the session's configuration.
        price = SessionPricing.For(context, session, prices).Price;
        before = BudgetSpending.Of(session, context.Iterations.List(session.Id), price);
        stop = CancellationTokenSource.CreateLinkedTokenSource(outer);
        var sessionLeft = session.Budget.Time is { } time ? time - before.Time : (TimeSpan?)null;
        var poolLeft = pool?.TimeLeft;
        if (Min(sessionLeft, poolLeft) is { } left)
        {
            var byPool = poolLeft is { } batchLeft && (sessionLeft is null || batchLeft < sessionLeft);
            _ = Task.Delay(left > TimeSpan.Zero ? left : TimeSpan.Zero, context.Clock, stop.Token).ContinueWith(
                waited => { if (waited.IsCompletedSuccessfully) Reach(BudgetLimit.Time, byPool ? pool : null); },
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        pool?.Join(this);
    }

    /// <summary>Starts the turn's budget; call it before the iteration is recorded.</summary>
    public static TurnBudget Start(AmpContext context, Session session, PriceTable? prices, BudgetPool? pool, CancellationToken cancellationToken) =>
        new(context, session, prices, pool, cancellationToken);

    /// <summary>Cancelled when the turn must stop: the caller's token, or a budget reached.</summary>
    public CancellationToken Token => stop.Token;

    /// <summary>The limit that stopped the turn, or null.</summary>
    public BudgetLimit? Reached { get; private set; }

    /// <summary>The batch's pool when its budget (not the session's) stopped the turn.</summary>
    private BudgetPool? reachedIn;

    /// <summary>The budget stopped the turn (not the person, not a time limit of the turn itself).</summary>
    public bool StoppedTurn => Reached is not null && !outer.IsCancellationRequested;

    /// <summary>Counts what the agent reports; stops the turn when a limit is reached.</summary>
    public void Observe(AgentEvent agentEvent)
    {
        if (agentEvent is not AgentUsageEvent usage)
        {
            return;
        }
        BudgetLimit? limit;
        lock (gate)
        {
            turn += usage.Usage;
            limit = session.Budget.ReachedBy(before.With(turn, price));
        }
        if (limit is BudgetLimit.Tokens or BudgetLimit.Cost)
        {
            Reach(limit.Value, null);
        }
        pool?.Add(usage.Usage, price);
    }

    internal void Reach(BudgetLimit limit, BudgetPool? where)
    {
        lock (gate)
        {
            if (Reached is not null)
            {
                return;
            }
            Reached = limit;
            reachedIn = where;
        }
        stop.Cancel();
    }

    /// <summary>The iteration as the budget leaves it: BudgetExceeded with what was reached, when it stopped the turn.</summary>
    public IterationRecord Judge(IterationRecord iteration, AgentTurnResult result)
    {
        if (!StoppedTurn)
        {
            return iteration;
        }
        return iteration with
        {
            Status = IterationStatus.BudgetExceeded,
            Error = $"{Describe(Spending(iteration))}: the agent was stopped and what it had done is committed",
            Summary = CommitMessage.Summary(result.FinalMessage ?? $"work until the budget was reached", iteration.Number),
        };
    }

    /// <summary>The commit trailer that marks a commit made when the budget stopped the turn.</summary>
    public (string Name, string Value)? Trailer(IterationRecord iteration) =>
        StoppedTurn ? ("Amp-Budget-Reached", Describe(Spending(iteration))) : null;

    /// <summary>
    /// The session's status after the turn: BudgetExceeded (with an event and a notification) when the
    /// budget stopped it or the iteration spent what was left; otherwise as the turn left it.
    /// </summary>
    public (SessionStatus Status, string? Message) Verdict(IterationRecord iteration, SessionStatus status, string? message, INotifier notifier)
    {
        var spent = Spending(iteration);
        var limit = StoppedTurn ? Reached : status is SessionStatus.Idle ? session.Budget.ReachedBy(spent) : null;
        if (limit is null)
        {
            return (status, message);
        }
        Reached ??= limit;
        var what = Describe(spent);
        context.Events.Publish(AmpEventTypes.BudgetReached, $"Session {session.Id} \"{session.Name}\": {what}.", session.Id, session.BatchId,
            EventLog.Data(("limit", limit.Value), ("scope", reachedIn is null ? "session" : "batch"), ("iteration", iteration.Number),
                ("tokens", spent.Tokens), ("costUsd", spent.CostUsd), ("iterations", spent.Iterations), ("timeMs", (long)spent.Time.TotalMilliseconds)));
        if (session.NotificationsEnabled)
        {
            notifier.Notify(new Notification("budget reached", $"{session.Name} ({session.Id}): {what}.", NotificationKind.BudgetReached, session.Id));
        }
        return (SessionStatus.BudgetExceeded, what);
    }

    /// <summary>What the session has spent with this iteration counted.</summary>
    private BudgetSpending Spending(IterationRecord iteration)
    {
        TokenUsage counted;
        lock (gate)
        {
            counted = turn.Total >= iteration.Tokens.Total ? turn : iteration.Tokens;
        }
        return before.With(counted, price) with
        {
            Iterations = before.Iterations + 1,
            Time = before.Time + (iteration.Duration ?? context.Now - iteration.StartedAt),
        };
    }

    private string Describe(BudgetSpending spent)
    {
        if (reachedIn is { } batch && Reached is { } batchLimit)
        {
            return $"the batch's budget is spent ({batch.Budget.Describe(batchLimit, batch.Spent)})";
        }
        var limit = Reached ?? session.Budget.ReachedBy(spent) ?? BudgetLimit.Tokens;
        return $"the session's budget is spent ({session.Budget.Describe(limit, spent)})";
    }

    private static TimeSpan? Min(TimeSpan? a, TimeSpan? b) => a is null ? b : b is null ? a : a < b ? a : b;

    public void Dispose()
    {
        pool?.Leave(this);
        stop.Dispose();
    }
}
