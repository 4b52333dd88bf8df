using AmpSessions.Core.Agents;
using AmpSessions.Core.Errors;

namespace AmpSessions.Core.Batches;

/// <summary>
/// Runs one attempt of one batch item. The batch runner owns scheduling, retries, time limits and
/// recording; an item runner owns the work. It must honour the token promptly: when it fires
/// (time limit or `batch stop`) it kills every process it started (process tree) and returns or
/// throws <see cref="OperationCanceledException"/>. Several items run at once, so it must be
/// thread-safe.
/// </summary>
public interface IBatchItemRunner
{
    Task<BatchItemOutcome> RunAsync(BatchItem item, BatchItemContext context, CancellationToken cancellationToken);
}

/// <summary>Everything an item runner needs besides the item.</summary>
public sealed record BatchItemContext
{
    public required string BatchId { get; init; }
    public required BatchDefinition Definition { get; init; }
    public required BatchAgent Agent { get; init; }
    public required BatchTask Task { get; init; }

    /// <summary>The agent's executable, server and environment, merged with its environment entry.</summary>
    public required AgentRuntime Runtime { get; init; }

    /// <summary>1 for the first attempt.</summary>
    public required int Attempt { get; init; }

    /// <summary>Where this attempt writes its log (the folder exists); reports link to it.</summary>
    public required string LogPath { get; init; }

    /// <summary>The per-item limit (also enforced through the token).</summary>
    public TimeSpan? Timeout { get; init; }

    public int MaxIterations { get; init; } = 1;

    /// <summary>The batch's budget, shared by every item's turns; null: none.</summary>
    public Budgets.BudgetPool? BudgetPool { get; init; }
}

/// <summary>What one attempt produced. The batch runner adds attempts, times, cost and the final status.</summary>
public sealed record BatchItemOutcome
{
    /// <summary>Passed, Failed, Error or BudgetExceeded (TimedOut and Cancelled are decided by the batch runner from the token).</summary>
    public required BatchItemStatus Status { get; init; }

    public string? Error { get; init; }
    public string? SessionId { get; init; }
    public int Iterations { get; init; }
    public TokenUsage Tokens { get; init; } = TokenUsage.Zero;

    /// <summary>The model the agent reported, if any (prices may be keyed by it).</summary>
    public string? Model { get; init; }

    /// <summary>The price of the item's session by its repository's configuration, for when the batch file's prices have none.</summary>
    public ModelPrice? Price { get; init; }

    public IReadOnlyDictionary<string, int> ToolCalls { get; init; } = new Dictionary<string, int>();
    public int FilesChanged { get; init; }

    /// <summary>The exit code of the script or grading command, when one ran.</summary>
    public int? GradingExitCode { get; init; }

    /// <summary>Evaluation items: how the attempt was graded per test.</summary>
    public Evaluation.InstanceGrade? Grade { get; init; }
}

/// <summary>
/// Makes the item runner `batch run` and `batch resume` use: the one place the session-based
/// runner (a session per item, iterations through the agent) and the evaluation grading (reference
/// agents, per-test grades of instances) are plugged in.
/// </summary>
public static class BatchItemRunnerFactory
{
    public static IBatchItemRunner Create(AmpContext context, BatchDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(definition);
        return new Evaluation.EvaluationItemRunner(context, new SessionBatchItemRunner(context));
    }
}
