using AmpSessions.Core.Agents;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Storage;

namespace AmpSessions.Core.Batches;

/// <summary>Tuning for <see cref="BatchRunner"/>; tests shorten the intervals.</summary>
public sealed record BatchRunnerOptions
{
    /// <summary>How often the store is asked whether another process requested a stop.</summary>
    public TimeSpan StopPollInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long an item runner may take to wind down after its token fires before the batch moves on without it.</summary>
    public TimeSpan CancelGrace { get; init; } = TimeSpan.FromSeconds(15);
}

/// <summary>One run (first or resumed) of a batch: what to run and where to record it.</summary>
public sealed record BatchRunPlan
{
    public required BatchRecord Batch { get; init; }
    public required BatchDefinition Definition { get; init; }

    /// <summary>Every item of the batch (its shard), finished ones included.</summary>
    public required IReadOnlyList<BatchItem> Items { get; init; }

    /// <summary>The latest known result of each item (finished ones are skipped; attempts carry over).</summary>
    public IReadOnlyDictionary<string, BatchItemResult> Previous { get; init; } = new Dictionary<string, BatchItemResult>();

    public required BatchJournal Journal { get; init; }
    public required string LogDirectory { get; init; }
    public required int Concurrency { get; init; }
}

/// <summary>How a run ended.</summary>
public sealed record BatchRunResult
{
    public required string BatchId { get; init; }
    public required BatchStatus Status { get; init; }
    public required int Total { get; init; }

    /// <summary>Items finished for good (this run and earlier ones).</summary>
    public required int Completed { get; init; }

    public required int Passed { get; init; }

    /// <summary>Items that ran in this run (any outcome, cancelled included).</summary>
    public required IReadOnlyList<BatchItemResult> Ran { get; init; }

    public required string JournalPath { get; init; }

    /// <summary>Reports written at the end (the file's export_formats).</summary>
    public IReadOnlyList<string> Reports { get; init; } = [];
}

/// <summary>
/// Runs a batch's unfinished items, at most <see cref="BatchRunPlan.Concurrency"/> at once, each
/// through an <see cref="IBatchItemRunner"/>: per-item time limit, retries with backoff, failures
/// isolated, and a stop requested by this process (the token) or another one (the store) cancels
/// running items and starts no more. Every item that ends is appended to the journal (fsync) and
/// written to the store before its worker takes the next item.
/// </summary>
public sealed class BatchRunner
{
    private readonly BatchStore store;
    private readonly IBatchItemRunner itemRunner;
    private readonly TimeProvider clock;
    private readonly BatchRunnerOptions options;

    public BatchRunner(BatchStore store, IBatchItemRunner itemRunner, TimeProvider? clock = null, BatchRunnerOptions? options = null)
    {
        this.store = store;
        this.itemRunner = itemRunner;
        this.clock = clock ?? TimeProvider.System;
        this.options = options ?? new BatchRunnerOptions();
    }

    public async Task<BatchRunResult> RunAsync(BatchRunPlan plan, IProgress<BatchEvent>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var budget = plan.Definition.Execution.Budget;
        var finishedBefore = plan.Previous.Values.Where(p => p.Status.IsFinished()).ToList();
        var pool = budget.IsEmpty ? null : new Budgets.BudgetPool(budget, clock, new Budgets.BudgetSpending
        {
            Tokens = finishedBefore.Sum(p => p.Tokens.Total),
            CostUsd = finishedBefore.Any(p => p.CostUsd is not null) ? finishedBefore.Sum(p => p.CostUsd ?? 0) : null,
        });
        var run = new Run(this, plan, progress, pool);
        using var keepOpen = store.KeepOpen();
        // Each main checkout stays open for the whole run (every item reads it); items open and close their own worktrees.
        using var mainRepositories = Git.RepositoryHandles.KeepMainRepositories();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var pollEnd = new CancellationTokenSource();
        var poll = PollForStopAsync(plan.Batch.Id, stop, pollEnd.Token);
        progress?.Report(new BatchStarted(plan.Batch.Id, plan.Batch.Name, plan.Items.Count, run.Pending.Count, plan.Concurrency, plan.Batch.Shard));
        Exception? failure = null;
        try
        {
            var workers = Enumerable.Range(0, Math.Min(Math.Max(1, plan.Concurrency), Math.Max(1, run.Pending.Count)))
                .Select(_ => Task.Run(() => run.WorkAsync(stop), CancellationToken.None))
                .ToList();
            try
            {
                await Task.WhenAll(workers).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // The machinery failed (journal or store unwritable): stop the others, then report it.
                failure = ex;
                await stop.CancelAsync().ConfigureAwait(false);
                await Task.WhenAll(workers.Select(w => w.ContinueWith(static _ => { }, TaskScheduler.Default))).ConfigureAwait(false);
            }
        }
        finally
        {
            await pollEnd.CancelAsync().ConfigureAwait(false);
            await poll.ConfigureAwait(false);
        }

        var status = failure is not null ? BatchStatus.Interrupted
            : pool?.Reached is not null ? BatchStatus.BudgetExceeded
            : run.Completed == plan.Items.Count ? BatchStatus.Completed
            : BatchStatus.Cancelled;
        var message = status switch
        {
            BatchStatus.BudgetExceeded => $"The batch's budget is spent ({budget.Describe(pool!.Reached!.Value, pool.Spent)}): {run.Completed} of {plan.Items.Count} items finished, " +
                $"{plan.Items.Count - run.Completed} not run.",
            BatchStatus.Interrupted => $"The batch stopped because recording failed: {failure!.Message}",
            BatchStatus.Cancelled => $"Stopped with {run.Completed} of {plan.Items.Count} items finished: resuming the batch runs the rest.",
            _ => null,
        };
        store.Finish(plan.Batch.Id, status, clock.GetUtcNow(), message);
        progress?.Report(new BatchFinished(plan.Batch.Id, status, run.Completed, plan.Items.Count));
        if (failure is not null)
        {
            throw failure is AmpSessionsException ? failure
                : new AmpSessionsException("AmpBatchRecordingFailed", ErrorKind.InvalidOperation,
                    $"{message} (batch {plan.Batch.Id})", plan.Batch.Id, failure,
                    remedy: $"fix the cause, then {Invocation.Of(Operation.ResumeBatch, plan.Batch.Id)}");
        }
        return new BatchRunResult
        {
            BatchId = plan.Batch.Id,
            Status = status,
            Total = plan.Items.Count,
            Completed = run.Completed,
            Passed = run.Passed,
            Ran = run.Ran,
            JournalPath = plan.Journal.Path,
        };
    }

    private async Task PollForStopAsync(string batchId, CancellationTokenSource stop, CancellationToken end)
    {
        while (!end.IsCancellationRequested && !stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.StopPollInterval, clock, end).ConfigureAwait(false);
                if (store.IsStopRequested(batchId))
                {
                    await stop.CancelAsync().ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (AmpSessionsException)
            {
                // A busy database is no reason to stop the batch; ask again next time.
            }
        }
    }

    /// <summary>The state of one run, shared by its workers.</summary>
    private sealed class Run
    {
        private readonly BatchRunner owner;
        private readonly BatchRunPlan plan;
        private readonly IProgress<BatchEvent>? progress;
        private readonly object recordGate = new();
        private readonly List<BatchItemResult> ran = [];
        private int next = -1;

        private readonly Budgets.BudgetPool? pool;

        public Run(BatchRunner owner, BatchRunPlan plan, IProgress<BatchEvent>? progress, Budgets.BudgetPool? pool)
        {
            this.owner = owner;
            this.plan = plan;
            this.progress = progress;
            this.pool = pool;
            Pending = plan.Items.Where(i => !(plan.Previous.TryGetValue(i.Id, out var p) && p.Status.IsFinished())).ToList();
            var finished = plan.Items.Select(i => plan.Previous.GetValueOrDefault(i.Id)).Where(p => p is not null && p.Status.IsFinished()).ToList();
            Completed = finished.Count;
            Passed = finished.Count(p => p!.Status == BatchItemStatus.Passed);
        }

        public List<BatchItem> Pending { get; }
        public int Completed { get; private set; }
        public int Passed { get; private set; }

        public IReadOnlyList<BatchItemResult> Ran
        {
            get
            {
                lock (recordGate)
                {
                    return ran.ToList();
                }
            }
        }

        public async Task WorkAsync(CancellationTokenSource stop)
        {
            // A spent budget starts no more items; the ones running are stopped by their turns' budgets.
            while (!stop.IsCancellationRequested && pool?.Reached is null)
            {
                var index = Interlocked.Increment(ref next);
                if (index >= Pending.Count)
                {
                    return;
                }
                var item = Pending[index];
                var result = await RunItemAsync(item, stop.Token).ConfigureAwait(false);
                Record(item, result);
            }
        }

        private void Record(BatchItem item, BatchItemResult result)
        {
            lock (recordGate)
            {
                plan.Journal.Append(result);
                owner.store.RecordItem(result);
                ran.Add(result);
                if (result.Status.IsFinished())
                {
                    Completed++;
                    if (result.Status == BatchItemStatus.Passed)
                    {
                        Passed++;
                    }
                }
                progress?.Report(new ItemStatusChanged(plan.Batch.Id, item, result.Status, result.Attempts, result.Error));
                progress?.Report(new BatchProgress(plan.Batch.Id, Completed, plan.Items.Count, Passed, Completed - Passed));
            }
        }

        private async Task<BatchItemResult> RunItemAsync(BatchItem item, CancellationToken stop)
        {
            var definition = plan.Definition;
            var agent = definition.Agent(item.AgentId);
            var task = definition.Task(item.TaskId);
            var runtime = definition.Runtime(agent);
            var policy = definition.Execution.RetryPolicy;
            var attempt = plan.Previous.TryGetValue(item.Id, out var previous) ? previous.Attempts : 0;
            var spent = new Spent();
            while (true)
            {
                attempt++;
                var startedAt = owner.clock.GetUtcNow();
                owner.store.MarkItemRunning(plan.Batch.Id, item.Id, attempt, startedAt);
                progress?.Report(new ItemStatusChanged(plan.Batch.Id, item, BatchItemStatus.Running, attempt, null));
                var context = new BatchItemContext
                {
                    BatchId = plan.Batch.Id,
                    Definition = definition,
                    Agent = agent,
                    Task = task,
                    Runtime = runtime,
                    Attempt = attempt,
                    LogPath = Path.Combine(plan.LogDirectory, $"{item.Id}-{attempt}.log"),
                    Timeout = definition.Execution.Timeout,
                    MaxIterations = definition.Execution.MaxIterations,
                    BudgetPool = pool,
                };
                var (status, outcome, error) = await AttemptAsync(item, context, stop).ConfigureAwait(false);
                var endedAt = owner.clock.GetUtcNow();
                spent.Add(outcome, endedAt - startedAt);
                var result = BatchItemResult.NotRun(plan.Batch.Id, item) with
                {
                    Status = status,
                    Attempts = attempt,
                    SessionId = outcome?.SessionId,
                    StartedAt = startedAt,
                    EndedAt = endedAt,
                    Duration = spent.Duration,
                    Iterations = outcome?.Iterations ?? 0,
                    Tokens = spent.Tokens,
                    // The batch file's entry, else the configuration of the item's repository.
                    CostUsd = (definition.Prices.Find(agent.Id, outcome?.Model, agent.ModelOverride) ?? outcome?.Price)?.Cost(spent.Tokens),
                    Model = outcome?.Model ?? agent.ModelOverride,
                    ToolCalls = spent.ToolCalls,
                    FilesChanged = outcome?.FilesChanged ?? 0,
                    GradingExitCode = outcome?.GradingExitCode,
                    Grade = outcome?.Grade,
                    Error = error,
                    LogPath = context.LogPath,
                };
                if (stop.IsCancellationRequested || !policy.ShouldRetry(status, attempt))
                {
                    return result;
                }
                progress?.Report(new ItemStatusChanged(plan.Batch.Id, item, status, attempt, error) { Retrying = true });
                try
                {
                    await Task.Delay(policy.DelayAfter(attempt), owner.clock, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Stopped while waiting to retry: it did not finish its attempts, so resume runs it again.
                    return result with { Status = BatchItemStatus.Cancelled, Error = $"stopped before attempt {attempt + 1} (attempt {attempt}: {status})" };
                }
            }
        }

        private async Task<(BatchItemStatus Status, BatchItemOutcome? Outcome, string? Error)> AttemptAsync(BatchItem item, BatchItemContext context, CancellationToken stop)
        {
            using var timeout = context.Timeout is { } limit ? new CancellationTokenSource(limit, owner.clock) : new CancellationTokenSource();
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, timeout.Token);
            Task<BatchItemOutcome> work;
            try
            {
                work = owner.itemRunner.RunAsync(item, context, linked.Token);
            }
            catch (Exception ex)
            {
                work = Task.FromException<BatchItemOutcome>(ex);
            }

            // A runner that ignores its token must not hold the batch: after the grace period it is left behind.
            var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (linked.Token.Register(static state => ((TaskCompletionSource)state!).TrySetResult(), cancelled))
            {
                if (await Task.WhenAny(work, cancelled.Task).ConfigureAwait(false) != work
                    && await Task.WhenAny(work, Task.Delay(owner.options.CancelGrace, owner.clock, CancellationToken.None)).ConfigureAwait(false) != work)
                {
                    _ = work.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                    return (Interrupted(), null, $"{Why()}; the item runner did not stop within {owner.options.CancelGrace.TotalSeconds:0.#} s and was left behind");
                }
            }

            try
            {
                var outcome = await work.ConfigureAwait(false);
                // A runner that returns after its token fired reports how it was killed; the token says why.
                if (linked.IsCancellationRequested && outcome.Status is not (BatchItemStatus.Passed or BatchItemStatus.Failed))
                {
                    return (Interrupted(), outcome, Why());
                }
                return outcome.Status is BatchItemStatus.Pending or BatchItemStatus.Running
                    ? (BatchItemStatus.Error, outcome, $"the item runner returned status {outcome.Status}, which is not an outcome")
                    : (outcome.Status, outcome, outcome.Error);
            }
            catch (OperationCanceledException) when (linked.IsCancellationRequested)
            {
                return (Interrupted(), null, Why());
            }
            catch (AmpSessionsException ex)
            {
                return (BatchItemStatus.Error, null, $"{ex.ErrorId}: {ex.Message}");
            }
            catch (Exception ex)
            {
                // One item's crash is that item's error; the others go on.
                return (BatchItemStatus.Error, null, $"{ex.GetType().Name}: {ex.Message}");
            }

            BatchItemStatus Interrupted() => stop.IsCancellationRequested ? BatchItemStatus.Cancelled : BatchItemStatus.TimedOut;

            string Why() => stop.IsCancellationRequested
                ? "stopped by request"
                : $"killed at the time limit of {context.Timeout?.TotalSeconds:0.###} s";
        }
    }

    /// <summary>What an item consumed over all its attempts in this run.</summary>
    private sealed class Spent
    {
        private readonly Dictionary<string, int> tools = new(StringComparer.Ordinal);

        public TokenUsage Tokens { get; private set; } = TokenUsage.Zero;
        public TimeSpan Duration { get; private set; }
        public IReadOnlyDictionary<string, int> ToolCalls => new Dictionary<string, int>(tools, StringComparer.Ordinal);

        public void Add(BatchItemOutcome? outcome, TimeSpan duration)
        {
            Duration += duration;
            if (outcome is null)
            {
                return;
            }
            Tokens = Tokens.Add(outcome.Tokens);
            foreach (var (tool, count) in outcome.ToolCalls)
            {
                tools[tool] = tools.GetValueOrDefault(tool) + count;
            }
        }
    }
}
