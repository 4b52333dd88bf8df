using AmpSessions.Core.Agents;
using AmpSessions.Core.Configuration;
using AmpSessions.Core.Reports;

namespace AmpSessions.Core.Batches;

/// <summary>
/// A parsed, validated batch file (schema version 3). Paths are absolute (resolved against the
/// file's folder); the text as written is kept where it identifies an item across machines.
/// </summary>
public sealed record BatchDefinition
{
    public const int SupportedVersion = 3;

    /// <summary>The batch file, absolute.</summary>
    public required string FilePath { get; init; }

    /// <summary>SHA-256 of the file's text: shard journals merge only when they come from the same file.</summary>
    public required string ContentHash { get; init; }

    /// <summary>The file's text as read (a batch keeps it, so resume runs what was started).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string SourceText { get; init; } = "";

    public int Version { get; init; } = SupportedVersion;
    public required BatchMetadata Metadata { get; init; }
    public required BatchExecution Execution { get; init; }
    /// <summary>The file's environments: the same model as the configuration files' (see docs/CONFIGURATION.md).</summary>
    public IReadOnlyList<EnvironmentDefinition> Environments { get; init; } = [];
    public required IReadOnlyList<BatchAgent> Agents { get; init; }
    public required IReadOnlyList<BatchTask> Tasks { get; init; }
    public required BatchMetricsSettings Metrics { get; init; }
    public PriceTable Prices { get; init; } = PriceTable.Empty;

    public BatchAgent Agent(string id) => Agents.First(a => a.Id == id);

    public BatchTask Task(string id) => Tasks.First(t => t.Id == id);

    public EnvironmentDefinition? Environment(string? name) => name is null ? null : Environments.FirstOrDefault(e => e.Name == name);

    /// <summary>What an agent runs as: its program and fixed arguments, server and environment, merged from the agent profile and its environment.</summary>
    public AgentRuntime Runtime(BatchAgent agent)
    {
        var environment = Environment(agent.Environment);
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in environment?.Env ?? new Dictionary<string, string>())
        {
            variables[name] = value;
        }
        foreach (var (name, value) in agent.Env)
        {
            variables[name] = value;
        }
        // An `agent:` spec (amp, claude, amp:/claude:/exec: command lines) wins; else the profile's type and command with the environment's amp.
        var given = agent.Agent is { Length: > 0 } text ? AgentSpec.Parse(text) : null;
        var resolved = given ?? agent.Spec(environment?.Command ?? []);
        return new AgentRuntime
        {
            Resolved = resolved,
            Spec = given?.ToString(),
            Command = resolved.Command,
            IsCustomCommand = agent.Command.Count > 0 || given is not null,
            ServerUrl = environment?.AmpServerUrl,
            Environment = variables,
        };
    }
}

public sealed record BatchMetadata
{
    public required string Name { get; init; }
    public string? Description { get; init; }
}

/// <summary>How items run: how many at once, how long each may take, how failures are retried.</summary>
public sealed record BatchExecution
{
    public int Concurrency { get; init; } = 1;

    /// <summary>Per-item time limit (every attempt gets the whole limit); null: none.</summary>
    public TimeSpan? Timeout { get; init; }

    public RetryPolicy RetryPolicy { get; init; } = RetryPolicy.None;

    /// <summary>How many iterations a session may run until its script passes.</summary>
    public int MaxIterations { get; init; } = 1;

    /// <summary>A shard chosen in the file; the command line's --shard wins over it.</summary>
    public BatchShard? Shard { get; init; }
}

/// <summary>Which outcomes are tried again, how often, and how long to wait in between.</summary>
public sealed record RetryPolicy
{
    public static readonly RetryPolicy None = new();

    /// <summary>Attempts in all, the first one included.</summary>
    public int MaxAttempts { get; init; } = 1;

    /// <summary>The wait before the second attempt; it doubles before each later one.</summary>
    public TimeSpan Backoff { get; init; } = TimeSpan.Zero;

    /// <summary>The outcomes worth another attempt: by default errors and time-outs (a failed grade is a result, not an accident).</summary>
    public IReadOnlyList<BatchItemStatus> RetryOn { get; init; } = [BatchItemStatus.Error, BatchItemStatus.TimedOut];

    public bool ShouldRetry(BatchItemStatus status, int attemptsSoFar) => attemptsSoFar < MaxAttempts && RetryOn.Contains(status);

    /// <summary>The wait after attempt <paramref name="attempt"/> (1-based) failed: backoff × 2^(attempt−1), at most one hour.</summary>
    public TimeSpan DelayAfter(int attempt)
    {
        var factor = Math.Pow(2, Math.Clamp(attempt - 1, 0, 30));
        return TimeSpan.FromMilliseconds(Math.Min(Backoff.TotalMilliseconds * factor, TimeSpan.FromHours(1).TotalMilliseconds));
    }
}

/// <summary>One column of the agent matrix: an agent profile (the configuration's model) with its id.</summary>
public sealed record BatchAgent : AgentProfile
{
    /// <summary>The agent's id in the batch file (its profile name).</summary>
    public string Id
    {
        get => Name;
        init => Name = value;
    }

    /// <summary>An agent as `new --agent` takes it (amp, claude, amp:/claude:/exec: command lines); null: the profile's type and command.</summary>
    public string? Agent { get; init; }

    /// <summary>A built-in reference agent for evaluation instances (gold applies the instance's patch, null changes nothing); None: a real agent.</summary>
    public Evaluation.ReferenceAgent Reference { get; init; }
}

/// <summary>What an agent runs as, after merging it with its environment.</summary>
public sealed record AgentRuntime
{
    public const string DefaultExecutable = "amp";

    /// <summary>The agent as sessions run it (its dialect and command).</summary>
    public required AgentSpec Resolved { get; init; }

    /// <summary>The program, then fixed arguments to put before the agent's own.</summary>
    public required IReadOnlyList<string> Command { get; init; }

    /// <summary>The agent's own `command`, not Amp (so Amp-only flags may not apply).</summary>
    public bool IsCustomCommand { get; init; }

    /// <summary>The agent spec text when the agent gave one (its dialect may not be Amp's).</summary>
    public string? Spec { get; init; }

    public string? ServerUrl { get; init; }

    /// <summary>Environment variables: the environment's, then the agent's on top.</summary>
    public required IReadOnlyDictionary<string, string> Environment { get; init; }
}

public enum BatchTaskType
{
    /// <summary>Every prompt on every repository.</summary>
    Batch,
    /// <summary>Every case of a cases folder or an instances file, graded by a command.</summary>
    Evaluation,
}

/// <summary>One row of the task list: prompts × repositories, or a folder of evaluation cases.</summary>
public sealed record BatchTask
{
    public required string Id { get; init; }
    public required BatchTaskType Type { get; init; }
    public IReadOnlyList<string> Prompts { get; init; } = [];
    public IReadOnlyList<BatchRepository> Repositories { get; init; } = [];

    /// <summary>Batch tasks: the session's test script. Evaluation tasks: the grading command for cases that name none.</summary>
    public string? ScriptCommand { get; init; }

    /// <summary>The branch sessions start from; null: each repository's checked-out branch.</summary>
    public string? BaseBranch { get; init; }

    /// <summary>The cases folder, absolute.</summary>
    public string? CasesDir { get; init; }

    /// <summary>A free label for the data set the cases come from (shown in reports).</summary>
    public string? Dataset { get; init; }

    public IReadOnlyList<EvaluationCase> Cases { get; init; } = [];

    /// <summary>The instances file (SWE-bench-style JSON/JSONL or commit pairs), absolute; null for a cases_dir task.</summary>
    public string? InstancesFile { get; init; }

    /// <summary>The instances of <see cref="InstancesFile"/>.</summary>
    public IReadOnlyList<Evaluation.EvaluationInstance> Instances { get; init; } = [];

    /// <summary>Attempts per agent and case (pass@k needs several); each is an item of its own.</summary>
    public int Samples { get; init; } = 1;

    /// <summary>The instance for an item's case id, when the task reads an instances file.</summary>
    public Evaluation.EvaluationInstance? Instance(string? caseId) => caseId is null ? null : Instances.FirstOrDefault(i => i.InstanceId == caseId);
}

/// <summary>A repository of a batch task: as written in the file (stable across machines) and resolved.</summary>
public sealed record BatchRepository(string Written, string FullPath);

/// <summary>One evaluation case: a folder with a case.yaml.</summary>
public sealed record EvaluationCase
{
    public const string FileName = "case.yaml";

    /// <summary>The case folder's name.</summary>
    public required string Id { get; init; }
    public required string Directory { get; init; }
    public required string Repository { get; init; }

    /// <summary>The commit or branch the session starts from; null: the repository's checked-out branch.</summary>
    public string? Base { get; init; }

    public required string Prompt { get; init; }

    /// <summary>The shell command whose exit code decides pass (0) or fail; the case's own, else the task's script_command.</summary>
    public required string GradeCommand { get; init; }
}

/// <summary>The metrics the reports show and the formats written when a batch ends.</summary>
public sealed record BatchMetricsSettings
{
    public static readonly IReadOnlyList<BatchMetric> AllMetrics = Enum.GetValues<BatchMetric>();

    public IReadOnlyList<BatchMetric> Collection { get; init; } = AllMetrics;
    public IReadOnlyList<ReportFormat> ExportFormats { get; init; } = [];

    public bool Collects(BatchMetric metric) => Collection.Contains(metric);
}

/// <summary>The report sections a batch file can ask for (snake_case in the file).</summary>
public enum BatchMetric
{
    SuccessRate,
    AvgIterations,
    TokenUsage,
    CostAnalysis,
    ExecutionTime,
    ToolUsageStats,
}
