using AmpSessions.Core.Batches;

namespace AmpSessions.Core.Evaluation;

/// <summary>An agent of an evaluation: its id (in results and reports) and what it is.</summary>
public sealed record EvaluationAgent(string Id, string? Spec, ReferenceAgent Reference = ReferenceAgent.None)
{
    /// <summary>
    /// Reads <c>[id=]spec</c>: <c>gold</c> and <c>null</c> are the reference agents; any other spec is
    /// an agent as <c>new --agent</c> takes it (amp, claude, amp:/claude:/exec: command lines). Without
    /// an id, the id is gold, null, amp, claude, or the command's program name.
    /// </summary>
    public static EvaluationAgent Parse(string text)
    {
        var trimmed = text.Trim();
        var equals = trimmed.IndexOf('=');
        var colon = trimmed.IndexOf(':');
        string? id = null;
        if (equals > 0 && (colon < 0 || equals < colon))
        {
            id = trimmed[..equals].Trim();
            trimmed = trimmed[(equals + 1)..].Trim();
        }
        switch (trimmed)
        {
            case "gold":
                return new EvaluationAgent(id ?? "gold", null, ReferenceAgent.Gold);
            case "null":
                return new EvaluationAgent(id ?? "null", null, ReferenceAgent.Null);
        }
        var spec = Agents.AgentSpec.Parse(trimmed);
        return new EvaluationAgent(id ?? DefaultId(spec), spec.ToString());
    }

    private static string DefaultId(Agents.AgentSpec spec)
    {
        if (spec.Command is ["amp"] or ["claude"])
        {
            return spec.Command[0];
        }
        var program = spec.Command.LastOrDefault(part => !part.StartsWith('-') && !part.StartsWith("__", StringComparison.Ordinal)) ?? spec.Program;
        return Path.GetFileNameWithoutExtension(program);
    }
}

/// <summary>What `eval run` (Start-AmpEvaluation) needs.</summary>
public sealed record EvaluationRunRequest
{
    /// <summary>The instances file (SWE-bench-style JSON/JSONL, or commit pairs).</summary>
    public required string InstancesFile { get; init; }

    public required IReadOnlyList<EvaluationAgent> Agents { get; init; }

    /// <summary>SWE-bench repo names ("owner/name") to local folders.</summary>
    public IReadOnlyDictionary<string, string> Repositories { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The test command of instances without test_command.</summary>
    public string? TestCommand { get; init; }

    public int Concurrency { get; init; } = 1;
    public TimeSpan? Timeout { get; init; }
    public int MaxAttempts { get; init; } = 1;

    /// <summary>Attempts per agent and instance (pass@k).</summary>
    public int Samples { get; init; } = 1;

    public BatchShard? Shard { get; init; }

    /// <summary>The run's name; default: "eval" and the instances file's name.</summary>
    public string? Name { get; init; }
}

/// <summary>One attempt of one agent at one instance, as `eval run` reports it.</summary>
public sealed record EvaluationOutcome
{
    public required string InstanceId { get; init; }
    public required string AgentId { get; init; }

    /// <summary>The sample number (0-based) when the run takes several per instance.</summary>
    public int? Sample { get; init; }

    /// <summary>Resolved, Partial, Unresolved or Error; null while the attempt has not finished.</summary>
    public Resolution? Outcome { get; init; }

    public required BatchItemStatus Status { get; init; }
    public required string ItemId { get; init; }
    public string FailToPass { get; init; } = "0/0";
    public string PassToPass { get; init; } = "0/0";
    public GradingMethod? Method { get; init; }
    public TimeSpan Duration { get; init; }
    public int Iterations { get; init; }
    public long Tokens { get; init; }
    public decimal? CostUsd { get; init; }
    public string? SessionId { get; init; }
    public string? PatchPath { get; init; }
    public string? Error { get; init; }
    public IReadOnlyList<GradedTest> Tests { get; init; } = [];

    public static EvaluationOutcome From(BatchItemResult item) => new()
    {
        InstanceId = item.CaseId ?? item.ItemId,
        AgentId = item.AgentId,
        Sample = item.PromptIndex,
        Outcome = EvaluationStatistics.ResolutionOf(item),
        Status = item.Status,
        ItemId = item.ItemId,
        FailToPass = item.Grade?.FailToPassText ?? "0/0",
        PassToPass = item.Grade?.PassToPassText ?? "0/0",
        Method = item.Grade?.Method,
        Duration = item.Duration,
        Iterations = item.Iterations,
        Tokens = item.Tokens.Total,
        CostUsd = item.CostUsd,
        SessionId = item.SessionId,
        PatchPath = item.Grade?.PatchPath,
        Error = item.Error,
        Tests = item.Grade?.Tests ?? [],
    };
}

/// <summary>An evaluation run: a batch whose items are graded attempts.</summary>
public sealed record EvaluationRun
{
    /// <summary>The run's id: the id of the batch underneath (batch status/stop/resume and report take it).</summary>
    public required string RunId { get; init; }

    public required string Name { get; init; }
    public required BatchStatus Status { get; init; }
    public required int Total { get; init; }
    public required int Completed { get; init; }
    public required string JournalPath { get; init; }
    public required IReadOnlyList<AgentEvaluationSummary> Agents { get; init; }

    /// <summary>Every attempt, in expansion order.</summary>
    public required IReadOnlyList<EvaluationOutcome> Instances { get; init; }
}

/// <summary>What `eval validate` (Test-AmpEvaluation) needs.</summary>
public sealed record EvaluationValidateRequest
{
    public required string InstancesFile { get; init; }
    public IReadOnlyDictionary<string, string> Repositories { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);
    public string? TestCommand { get; init; }

    /// <summary>How many times gold runs on each instance (flaky tests change outcome between runs).</summary>
    public int Repeat { get; init; } = 1;

    public int Concurrency { get; init; } = Math.Max(1, Environment.ProcessorCount);
    public TimeSpan? Timeout { get; init; }
    public BatchShard? Shard { get; init; }
}

/// <summary>What gold and null did on one instance, and what is wrong with it if anything.</summary>
public sealed record InstanceValidation
{
    public required string InstanceId { get; init; }

    /// <summary>The gold agent's outcome (Resolved only if every repeat resolved).</summary>
    public Resolution? Gold { get; init; }

    /// <summary>The null agent's outcome.</summary>
    public Resolution? Null { get; init; }

    /// <summary>Gold resolved (every time) and null did not resolve any listed FAIL_TO_PASS test.</summary>
    public bool Valid => Gold == Resolution.Resolved && Null == Resolution.Unresolved && FlakyTests.Count == 0;

    /// <summary>What disagreed, test by test.</summary>
    public IReadOnlyList<string> Problems { get; init; } = [];

    /// <summary>Tests whose outcome changed between gold repeats.</summary>
    public IReadOnlyList<string> FlakyTests { get; init; } = [];
}

/// <summary>The benchmark's check: gold must resolve 100%, null 0%.</summary>
public sealed record BenchmarkValidation
{
    /// <summary>The batch the reference agents ran as.</summary>
    public required string RunId { get; init; }

    public required IReadOnlyList<InstanceValidation> Instances { get; init; }
    public required int GoldResolved { get; init; }
    public required int NullResolved { get; init; }
    public required int Repeat { get; init; }
    public required BatchStatus Status { get; init; }
    public required string JournalPath { get; init; }
    public int Invalid => Instances.Count(i => !i.Valid);
    public bool Valid => Status == BatchStatus.Completed && Instances.All(i => i.Valid);
}

/// <summary>A predictions file written in SWE-bench's format.</summary>
public sealed record PredictionsFile
{
    public required string Path { get; init; }
    public required string RunId { get; init; }
    public required string AgentId { get; init; }
    public required string ModelNameOrPath { get; init; }
    public required int Predictions { get; init; }

    /// <summary>Instances whose attempt produced no patch file (written with an empty model_patch).</summary>
    public int EmptyPatches { get; init; }
}
