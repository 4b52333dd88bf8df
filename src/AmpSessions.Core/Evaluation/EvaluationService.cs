using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AmpSessions.Core.Batches;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Reports;
using AmpSessions.Core.Serialization;
using AmpSessions.Core.Storage;

namespace AmpSessions.Core.Evaluation;

/// <summary>
/// The evaluation operations every front end calls: run agents on instances, validate a benchmark
/// with the gold and null agents, compare two agents, write predictions. A run is a batch
/// underneath: the request becomes a version-3 batch text (one evaluation task over the instances
/// file), so concurrency, retries, time limits, stop, resume after a kill, shards, merge and reports
/// are the batch machinery's, and `batch status/stop/resume` and `report` take a run's id.
/// </summary>
public sealed class EvaluationService
{
    // Patches hold + and < characters; write them as they are (still valid JSON), as the public files do.
    private static readonly JsonSerializerOptions RelaxedJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly AmpContext context;
    private readonly BatchService batches;

    public EvaluationService(AmpContext context, BatchService? batches = null)
    {
        this.context = context;
        this.batches = batches ?? new BatchService(context);
    }

    public BatchService Batches => batches;

    /// <summary>Reads and checks an instances file without running anything (file:line:column errors).</summary>
    public IReadOnlyList<EvaluationInstance> LoadInstances(string instancesFile, IReadOnlyDictionary<string, string>? repositories = null, string? testCommand = null) =>
        InstanceFile.Load(instancesFile, new InstanceFileOptions
        {
            Repositories = repositories ?? new Dictionary<string, string>(StringComparer.Ordinal),
            DefaultTestCommand = testCommand,
            GitExecutable = context.Options.GitExecutable,
            CloneRoot = RepositoryClones.Root(context.Data.Root),
        });

    public async Task<EvaluationRun> RunAsync(EvaluationRunRequest request, IProgress<BatchEvent>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Agents.Count == 0)
        {
            throw new AmpSessionsException("AmpUsageAgentMissing", ErrorKind.InvalidArgument, "Name at least one agent with --agent (amp, claude, gold, null, or [id=]amp:<command>).");
        }
        var duplicate = request.Agents.GroupBy(a => a.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new AmpSessionsException("AmpUsageAgentDuplicate", ErrorKind.InvalidArgument,
                $"Two agents are called '{duplicate.Key}': name them apart with id=spec, e.g. --agent a={duplicate.First().Spec ?? duplicate.Key}.", duplicate.Key);
        }
        var file = RequireFile(request.InstancesFile);
        var text = BatchText(file, request.Name ?? "eval " + Path.GetFileName(file), request.Agents, request.Repositories, request.TestCommand,
            request.Concurrency, request.Timeout, request.MaxAttempts, request.Samples);
        var result = await batches.RunAsync(new BatchRunRequest { FilePath = file, FileText = text, Shard = request.Shard, Concurrency = request.Concurrency, Budget = request.Budget },
            progress, cancellationToken).ConfigureAwait(false);
        return Run(result.BatchId);
    }

    /// <summary>A stored run (a batch) with its attempts and per-agent figures.</summary>
    public EvaluationRun Run(string reference)
    {
        var details = batches.Status(reference);
        var items = details.Items;
        return new EvaluationRun
        {
            RunId = details.Id,
            Name = details.Summary.Batch.Name,
            Status = details.Summary.Status,
            Total = details.Summary.Total,
            Completed = details.Summary.Finished,
            JournalPath = details.Summary.Batch.JournalPath,
            Agents = EvaluationStatistics.ByAgent(items),
            Instances = items.Where(i => i.TaskType == BatchTaskType.Evaluation).Select(EvaluationOutcome.From).ToList(),
        };
    }

    /// <summary>
    /// Runs the gold agent (<paramref name="request"/>.Repeat times) and the null agent on every
    /// instance, as a batch, and says per instance what disagreed: tests gold does not make pass,
    /// tests that pass without any change, tests missing from the report, tests whose outcome varies.
    /// </summary>
    public async Task<BenchmarkValidation> ValidateAsync(EvaluationValidateRequest request, IProgress<BatchEvent>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Repeat is < 1 or > 100)
        {
            throw new AmpSessionsException("AmpUsageRepeatInvalid", ErrorKind.InvalidArgument, $"--repeat {request.Repeat} is not allowed: give 1 to 100 gold runs per instance.", request.Repeat);
        }
        var file = RequireFile(request.InstancesFile);
        var agents = Enumerable.Range(1, request.Repeat)
            .Select(r => new EvaluationAgent(r == 1 ? "gold" : $"gold-{r}", null, ReferenceAgent.Gold))
            .Append(new EvaluationAgent("null", null, ReferenceAgent.Null))
            .ToList();
        var text = BatchText(file, "validate " + Path.GetFileName(file), agents, request.Repositories, request.TestCommand, request.Concurrency, request.Timeout, 1, 1);
        var result = await batches.RunAsync(new BatchRunRequest { FilePath = file, FileText = text, Shard = request.Shard, Concurrency = request.Concurrency }, progress, cancellationToken).ConfigureAwait(false);
        return Validation(result.BatchId);
    }

    /// <summary>The validation a stored run of the reference agents amounts to (also after a resume).</summary>
    public BenchmarkValidation Validation(string reference)
    {
        var details = batches.Status(reference);
        var items = details.Items.Where(i => i.TaskType == BatchTaskType.Evaluation).ToList();
        var golds = items.Where(i => i.AgentId == "gold" || i.AgentId.StartsWith("gold-", StringComparison.Ordinal)).ToList();
        var repeat = Math.Max(1, golds.Select(i => i.AgentId).Distinct().Count());
        var instances = new List<InstanceValidation>();
        foreach (var id in items.Select(i => i.CaseId!).Distinct(StringComparer.Ordinal))
        {
            var goldRuns = golds.Where(i => i.CaseId == id).ToList();
            var nullRun = items.FirstOrDefault(i => i.CaseId == id && i.AgentId == "null");
            instances.Add(Judge(id, goldRuns, nullRun));
        }
        return new BenchmarkValidation
        {
            RunId = details.Id,
            Instances = instances,
            GoldResolved = instances.Count(i => i.Gold == Resolution.Resolved),
            NullResolved = instances.Count(i => i.Null == Resolution.Resolved),
            Repeat = repeat,
            Status = details.Summary.Status,
            JournalPath = details.Summary.Batch.JournalPath,
        };
    }

    private static InstanceValidation Judge(string id, IReadOnlyList<BatchItemResult> goldRuns, BatchItemResult? nullRun)
    {
        var problems = new List<string>();
        var goldOutcomes = goldRuns.Select(EvaluationStatistics.ResolutionOf).ToList();
        Resolution? gold = goldOutcomes.Count == 0 || goldOutcomes.Any(o => o is null) ? null
            : goldOutcomes.All(o => o == Resolution.Resolved) ? Resolution.Resolved
            : goldOutcomes.First(o => o != Resolution.Resolved);
        foreach (var run in goldRuns.Where(r => EvaluationStatistics.ResolutionOf(r) is { } o && o != Resolution.Resolved).Take(1))
        {
            if (run.Grade is not { Resolution: not Resolution.Error } grade)
            {
                problems.Add($"gold could not be graded: {run.Grade?.Message ?? run.Error}");
                continue;
            }
            foreach (var test in grade.Tests.Where(t => !t.Passed))
            {
                problems.Add(test.Outcome == TestOutcome.Missing
                    ? $"{Label(test.Expected)} test '{test.Name}' is not in the test report (is the name as the runner prints it?)"
                    : $"{Label(test.Expected)} test '{test.Name}' is {test.Outcome.ToString().ToLowerInvariant()} with the gold patch");
            }
            if (grade.Tests.All(t => t.Passed) && grade.Message is { } message)
            {
                problems.Add("gold: " + message);
            }
        }
        var nullOutcome = nullRun is null ? null : EvaluationStatistics.ResolutionOf(nullRun);
        if (nullRun?.Grade is { } nullGrade)
        {
            if (nullGrade.Resolution == Resolution.Error)
            {
                problems.Add($"null could not be graded: {nullGrade.Message ?? nullRun.Error}");
            }
            foreach (var test in nullGrade.Tests.Where(t => t.Expected == TestExpectation.FailToPass && t.Passed))
            {
                problems.Add($"FAIL_TO_PASS test '{test.Name}' passes without any change: it is not a FAIL_TO_PASS test");
            }
            if (nullGrade.Resolution == Resolution.Resolved && nullGrade.FailToPassTotal == 0)
            {
                problems.Add("the instance lists no FAIL_TO_PASS test, so doing nothing resolves it");
            }
        }
        var flaky = goldRuns.Count < 2 ? []
            : goldRuns.Where(r => r.Grade is not null).SelectMany(r => r.Grade!.Tests).GroupBy(t => t.Name, StringComparer.Ordinal)
                .Where(g => g.Select(t => t.Outcome).Distinct().Count() > 1).Select(g => g.Key).ToList();
        foreach (var test in flaky)
        {
            problems.Add($"test '{test}' is flaky: its outcome changed between the {goldRuns.Count} gold runs");
        }
        return new InstanceValidation { InstanceId = id, Gold = gold, Null = nullOutcome, Problems = problems, FlakyTests = flaky };
    }

    private static string Label(TestExpectation expectation) => expectation switch
    {
        TestExpectation.FailToPass => "FAIL_TO_PASS",
        TestExpectation.PassToPass => "PASS_TO_PASS",
        _ => "a",
    };

    /// <summary>The items of a stored run (id, prefix or name) or of a journal file (a run's, or merged shards).</summary>
    public BatchReportData Results(string runOrJournal) => batches.LoadReport(runOrJournal);

    /// <summary>
    /// Pairs two agents on the instances both finished (first attempts). With one source and no
    /// agents, the source must hold exactly two agents; with two sources, each side is one source's
    /// agent (named, or its only one).
    /// </summary>
    public PairedComparison Compare(string runA, string? runB = null, string? agentA = null, string? agentB = null)
    {
        var a = Results(runA);
        var b = runB is null ? a : Results(runB);
        var agentsA = EvaluationAgents(a);
        var agentsB = EvaluationAgents(b);
        string Pick(string? wanted, IReadOnlyList<string> available, string run, int position)
        {
            if (wanted is not null)
            {
                return available.Contains(wanted) ? wanted : throw new AmpSessionsException("AmpEvaluationAgentNotFound", ErrorKind.NotFound,
                    $"Run {run} has no agent '{wanted}' (it has {string.Join(", ", available)}).", wanted);
            }
            if (runB is null)
            {
                return available.Count == 2 ? available[position] : throw new AmpSessionsException("AmpUsageCompareAgents", ErrorKind.InvalidArgument,
                    $"Run {run} has {available.Count} agents ({string.Join(", ", available)}): name the two to compare with --agent a --agent b.", run);
            }
            return available.Count == 1 ? available[0] : throw new AmpSessionsException("AmpUsageCompareAgents", ErrorKind.InvalidArgument,
                $"Run {run} has {available.Count} agents ({string.Join(", ", available)}): name the one to compare with --agent.", run);
        }
        var first = Pick(agentA, agentsA, a.BatchId, 0);
        var second = Pick(agentB, agentsB, b.BatchId, 1);
        if (runB is null && first == second)
        {
            throw new AmpSessionsException("AmpUsageCompareAgents", ErrorKind.InvalidArgument, $"Both sides are '{first}': name two different agents.", first);
        }
        return PairedComparison.Of(first, EvaluationStatistics.FirstAttempts(a.Items, first), second, EvaluationStatistics.FirstAttempts(b.Items, second), a.BatchId, b.BatchId);
    }

    private static IReadOnlyList<string> EvaluationAgents(BatchReportData data)
    {
        var agents = data.Items.Where(i => i.TaskType == BatchTaskType.Evaluation).Select(i => i.AgentId).Distinct().ToList();
        return agents.Count > 0 ? agents : throw new AmpSessionsException("AmpEvaluationNoResults", ErrorKind.InvalidOperation,
            $"{data.BatchId} has no evaluation results: give the id of an `eval run` (or a batch with evaluation tasks).", data.BatchId);
    }

    /// <summary>
    /// Writes the agent's patches as a SWE-bench predictions file (JSONL of instance_id,
    /// model_name_or_path, model_patch), first attempts only, so the official harness can re-grade them.
    /// </summary>
    public PredictionsFile WritePredictions(string runOrJournal, string outputPath, string? agent = null, string? modelName = null)
    {
        var data = Results(runOrJournal);
        var agents = EvaluationAgents(data);
        var chosen = agent ?? (agents.Count == 1 ? agents[0] : throw new AmpSessionsException("AmpUsagePredictionsAgent", ErrorKind.InvalidArgument,
            $"Run {data.BatchId} has {agents.Count} agents ({string.Join(", ", agents)}): a predictions file holds one model, so name it with --agent.", data.BatchId));
        if (!agents.Contains(chosen))
        {
            throw new AmpSessionsException("AmpEvaluationAgentNotFound", ErrorKind.NotFound, $"Run {data.BatchId} has no agent '{chosen}' (it has {string.Join(", ", agents)}).", chosen);
        }
        var model = modelName ?? chosen;
        var attempts = data.Items.Where(i => i.AgentId == chosen && i.CaseId is not null && (i.PromptIndex ?? 0) == 0 && EvaluationStatistics.ResolutionOf(i) is not null).ToList();
        var empty = 0;
        var text = new StringBuilder();
        foreach (var item in attempts)
        {
            string patch;
            if (item.Grade?.PatchPath is { } path && File.Exists(path))
            {
                patch = File.ReadAllText(path);
            }
            else
            {
                patch = "";
                empty++;
            }
            var line = new JsonObject { ["instance_id"] = item.CaseId, ["model_name_or_path"] = model, ["model_patch"] = patch };
            text.Append(line.ToJsonString(RelaxedJson)).Append('\n');
        }
        var full = Path.GetFullPath(outputPath);
        AtomicFile.Write(full, writer => writer.Write(text.ToString()), "AmpPredictionsUnwritable");
        return new PredictionsFile { Path = full, RunId = data.BatchId, AgentId = chosen, ModelNameOrPath = model, Predictions = attempts.Count, EmptyPatches = empty };
    }

    private static string RequireFile(string path)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new AmpSessionsException("AmpInstancesFileNotFound", ErrorKind.NotFound,
                $"The instances file '{full}' does not exist: check the path (a JSON array or JSONL of SWE-bench-style instances, see docs/EVALUATION.md).", full);
        }
        return full;
    }

    /// <summary>
    /// The batch file an evaluation amounts to. It is kept as the batch's text (resume runs exactly
    /// it) and anchored at the instances file, whose name it uses relatively, so shard runs of the
    /// same command on different machines have the same content hash and merge.
    /// </summary>
    public static string BatchText(string instancesFile, string name, IReadOnlyList<EvaluationAgent> agents, IReadOnlyDictionary<string, string> repositories,
        string? testCommand, int concurrency, TimeSpan? timeout, int maxAttempts, int samples)
    {
        static string Q(string value) => Serialization.JsonOutput.Serialize(value, Serialization.JsonOutput.Compact);
        var folder = Path.GetDirectoryName(Path.GetFullPath(instancesFile))!;
        var text = new StringBuilder();
        text.Append("version: 3\n");
        text.Append(CultureInfo.InvariantCulture, $"metadata:\n  name: {Q(name)}\n  description: \"generated by amp-sessions eval\"\n");
        text.Append(CultureInfo.InvariantCulture, $"execution:\n  concurrency: {Math.Max(1, concurrency)}\n");
        if (timeout is { } limit)
        {
            text.Append(CultureInfo.InvariantCulture, $"  timeout_sec: {limit.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)}\n");
        }
        text.Append(CultureInfo.InvariantCulture, $"  retry_policy:\n    max_attempts: {Math.Max(1, maxAttempts)}\n");
        text.Append("agents:\n");
        foreach (var agent in agents)
        {
            text.Append(CultureInfo.InvariantCulture, $"  - id: {Q(agent.Id)}\n");
            if (agent.Reference != ReferenceAgent.None)
            {
                text.Append(CultureInfo.InvariantCulture, $"    reference: {Q(agent.Reference.ToString().ToLowerInvariant())}\n");
            }
            else if (agent.Spec is { } spec && spec != "amp")
            {
                text.Append(CultureInfo.InvariantCulture, $"    agent: {Q(spec)}\n");
            }
        }
        var taskId = string.Concat(Path.GetFileNameWithoutExtension(instancesFile).Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-'));
        text.Append(CultureInfo.InvariantCulture, $"tasks:\n  - id: {Q(taskId.Length == 0 ? "instances" : taskId)}\n    type: evaluation\n");
        text.Append(CultureInfo.InvariantCulture, $"    instances: {Q(Path.GetRelativePath(folder, Path.GetFullPath(instancesFile)).Replace('\\', '/'))}\n");
        if (testCommand is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $"    script_command: {Q(testCommand)}\n");
        }
        if (samples > 1)
        {
            text.Append(CultureInfo.InvariantCulture, $"    samples: {samples}\n");
        }
        if (repositories.Count > 0)
        {
            text.Append("    repositories:\n");
            foreach (var (repo, path) in repositories.OrderBy(r => r.Key, StringComparer.Ordinal))
            {
                text.Append(CultureInfo.InvariantCulture, $"      {Q(repo)}: {Q(RepositoryClones.Normalize(path, Path.GetFullPath))}\n");
            }
        }
        return text.ToString();
    }

    /// <summary>Reads `owner/name=folder` or `owner/name=clone-url` pairs (the --repository option).</summary>
    public static IReadOnlyDictionary<string, string> ParseRepositories(IEnumerable<string> pairs)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            var equals = pair.IndexOf('=');
            if (equals <= 0 || equals == pair.Length - 1)
            {
                throw new AmpSessionsException("AmpUsageRepositoryInvalid", ErrorKind.InvalidArgument,
                    $"--repository '{pair}' is not name=folder or name=url: write it like django/django=../clones/django or django/django=https://github.com/django/django.", pair);
            }
            map[pair[..equals].Trim()] = RepositoryClones.Normalize(pair[(equals + 1)..], Path.GetFullPath);
        }
        return map;
    }
}
