using System.Security.Cryptography;
using System.Text;
using AmpSessions.Core.Configuration;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Processes;
using AmpSessions.Core.Reports;
using YamlDotNet.RepresentationModel;

namespace AmpSessions.Core.Batches;

/// <summary>
/// Reads a batch file (schema version 3) through YamlDotNet's representation model, so every
/// problem is reported with the file, line and column. All problems are collected before failing;
/// relative paths resolve against the batch file's folder, and the folders named must exist.
/// </summary>
public static class BatchFileParser
{
    private static readonly string[] RootKeys = ["version", "metadata", "execution", "environments", "agents", "tasks", "metrics", "prices"];
    private static readonly string[] MetadataKeys = ["name", "description"];
    private static readonly string[] ExecutionKeys = ["concurrency", "timeout_sec", "retry_policy", "max_iterations", "shard", "budget"];
    private static readonly string[] BudgetKeys = ["tokens", "cost_usd", "time_sec"];
    private static readonly string[] RetryKeys = ["max_attempts", "backoff_ms", "retry_on"];
    // Environments and agents are the configuration's model, read by the same readers (docs/CONFIGURATION.md).
    private static readonly string[] AgentKeys = ["id", .. ConfigurationKeys.AgentKeys, "agent", "reference"];
    private static readonly string[] BatchTaskKeys = ["prompts", "repositories"];
    private static readonly string[] EvaluationTaskKeys = ["cases_dir", "instances", "dataset", "samples"];
    private static readonly string[] TaskKeys = ["id", "type", "script_command", "base_branch", .. BatchTaskKeys, .. EvaluationTaskKeys];
    private static readonly string[] MetricsKeys = ["collection", "export_formats"];
    private static readonly string[] CaseKeys = ["prompt", "repo", "base", "grade"];

    /// <summary>Reads and validates the file at <paramref name="path"/>.</summary>
    public static BatchDefinition Load(string path, string? cloneRoot = null)
    {
        var fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new AmpSessionsException("AmpBatchFileNotFound", ErrorKind.NotFound,
                $"The batch file '{fullPath}' does not exist: check the path (see docs/BATCH.md for the format).", fullPath);
        }
        return Parse(File.ReadAllText(fullPath), fullPath, cloneRoot);
    }

    /// <summary>Validates batch file text as if it were at <paramref name="filePath"/> (its folder anchors relative paths).</summary>
    /// <remarks>Clone URLs in an evaluation task's repositories table are cloned under <paramref name="cloneRoot"/> (the data directory's repositories/).</remarks>
    public static BatchDefinition Parse(string text, string filePath, string? cloneRoot = null)
    {
        var errors = new List<BatchFileError>();
        var fullPath = Path.GetFullPath(filePath);
        var definition = new Reader(new YamlFile(fullPath, errors), new ConfigurationPaths(Path.GetDirectoryName(fullPath)!), cloneRoot).Read(text);
        if (errors.Count > 0 || definition is null)
        {
            throw new BatchFileException(errors);
        }
        return definition;
    }

    /// <summary>SHA-256 of the text's UTF-8 bytes, lowercase hex.</summary>
    public static string Hash(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text))).ToLowerInvariant();

    private sealed class Reader(YamlFile file, ConfigurationPaths paths, string? cloneRoot)
    {
        public BatchDefinition? Read(string text)
        {
            if (file.LoadRootMapping(text, "batch file") is not { } rootNode)
            {
                return null;
            }
            var root = file.Map(rootNode, "the batch file", RootKeys);
            var version = root.Integer("version", long.MinValue, "3", required: true, hint: $"start the file with `version: {BatchDefinition.SupportedVersion}`");
            if (version is { } v && v != BatchDefinition.SupportedVersion)
            {
                // Another schema: the other keys would only produce noise.
                root.File.Error(root.Value("version")!, BatchFileErrorKind.UnsupportedVersion,
                    $"Batch file version {v} is not supported: this AmpSessions reads version {BatchDefinition.SupportedVersion} (see docs/BATCH.md for its keys).");
                return null;
            }
            var metadata = ReadMetadata(root);
            var execution = ReadExecution(root);
            var environments = ReadEnvironments(root);
            var agents = ReadAgents(root, environments);
            var tasks = ReadTasks(root);
            var metrics = ReadMetrics(root);
            var prices = PriceTable.Of(ConfigurationReaders.ReadPrices(root, file.FilePath));
            CheckReferenceAgents(root, agents, tasks);
            if (file.HasErrors || version is null)
            {
                return null;
            }
            return new BatchDefinition
            {
                FilePath = file.FilePath,
                ContentHash = ContentHash(text, tasks),
                SourceText = text,
                Metadata = metadata,
                Execution = execution,
                Environments = environments,
                Agents = agents,
                Tasks = tasks,
                Metrics = metrics,
                Prices = prices,
            };
        }

        private BatchMetadata ReadMetadata(YamlMap root)
        {
            var fallback = Path.GetFileNameWithoutExtension(file.FilePath);
            if (root.Mapping("metadata") is not { } node)
            {
                return new BatchMetadata { Name = fallback };
            }
            var map = file.Map(node, "metadata", MetadataKeys);
            return new BatchMetadata { Name = map.Text("name", hint: "give the batch a name or remove the key")?.Trim() ?? fallback, Description = map.Text("description") };
        }

        private BatchExecution ReadExecution(YamlMap root)
        {
            if (root.Mapping("execution") is not { } node)
            {
                return new BatchExecution();
            }
            var map = file.Map(node, "execution", ExecutionKeys);
            var concurrency = map.Integer("concurrency", 1, "at least 1 (items run at once)") ?? 1;
            var timeout = map.Number("timeout_sec", "a positive number of seconds (leave it out for no limit)", s => s > 0);
            var iterations = map.Integer("max_iterations", 1, "at least 1") ?? 1;
            BatchShard? shard = null;
            if (map.Text("shard", hint: "write i/N, for example 1/3") is { } shardText)
            {
                try
                {
                    shard = BatchShard.Parse(shardText);
                }
                catch (AmpSessionsException ex)
                {
                    map.Error("shard", BatchFileErrorKind.InvalidValue, ex.Message);
                }
            }
            return new BatchExecution
            {
                Concurrency = (int)Math.Min(concurrency, 1024),
                Timeout = timeout is { } seconds ? TimeSpan.FromSeconds((double)seconds) : null,
                RetryPolicy = ReadRetryPolicy(map),
                MaxIterations = (int)Math.Min(iterations, 1000),
                Shard = shard,
                Budget = ReadBudget(map),
            };
        }

        /// <summary>execution.budget: what the whole batch may spend; every item's agent turns count against it.</summary>
        private Budgets.Budget ReadBudget(YamlMap execution)
        {
            if (execution.Mapping("budget") is not { } node)
            {
                return Budgets.Budget.None;
            }
            var map = file.Map(node, "budget", BudgetKeys);
            var seconds = map.Number("time_sec", "a positive number of seconds", s => s > 0);
            return new Budgets.Budget
            {
                Tokens = map.Integer("tokens", 1, "at least 1 token"),
                CostUsd = map.Number("cost_usd", "a positive number of US dollars", c => c > 0),
                Time = seconds is { } s ? TimeSpan.FromSeconds((double)s) : null,
            };
        }

        private RetryPolicy ReadRetryPolicy(YamlMap execution)
        {
            if (execution.Mapping("retry_policy") is not { } node)
            {
                return RetryPolicy.None;
            }
            var map = file.Map(node, "retry_policy", RetryKeys);
            var attempts = map.Integer("max_attempts", 1, "at least 1 (the first attempt counts)") ?? 1;
            var backoff = map.Integer("backoff_ms", 0, "zero or more milliseconds") ?? 0;
            var retryOn = new List<BatchItemStatus>();
            foreach (var (text, entry) in map.TextList("retry_on"))
            {
                BatchItemStatus? status = text.Trim() switch
                {
                    "error" => BatchItemStatus.Error,
                    "failed" => BatchItemStatus.Failed,
                    "timed_out" => BatchItemStatus.TimedOut,
                    _ => null,
                };
                if (status is null)
                {
                    file.Error(entry, BatchFileErrorKind.InvalidValue, $"Unknown outcome '{text}' in retry_policy.retry_on: use error, failed or timed_out.");
                }
                else if (!retryOn.Contains(status.Value))
                {
                    retryOn.Add(status.Value);
                }
            }
            return new RetryPolicy
            {
                MaxAttempts = (int)Math.Min(attempts, 100),
                Backoff = TimeSpan.FromMilliseconds(Math.Min(backoff, (long)TimeSpan.FromHours(1).TotalMilliseconds)),
                RetryOn = map.Has("retry_on") ? retryOn : RetryPolicy.None.RetryOn,
            };
        }

        private List<EnvironmentDefinition> ReadEnvironments(YamlMap root) => ConfigurationReaders.ReadEnvironments(root, paths, file.FilePath);

        private List<BatchAgent> ReadAgents(YamlMap root, List<EnvironmentDefinition> environments)
        {
            var agents = new List<BatchAgent>();
            foreach (var (map, id, where) in Entries(root, "agents", "agent", AgentKeys, "list at least one agent with an id"))
            {
                var agent = ConfigurationReaders.ReadAgentProfile(map, paths, new BatchAgent { Id = id ?? "" });
                // A bare command in a batch file is an amp-compatible program, as it always was.
                var environment = agent.Environment;
                var builtIn = environment is BuiltInConfiguration.ProductionEnvironment or BuiltInConfiguration.CiEnvironment;
                if (environment is not null && !builtIn && environments.All(e => e.Name != environment))
                {
                    map.Error("environment", BatchFileErrorKind.UnknownReference, environments.Count == 0
                        ? $"{Capitalize(where)} names environment '{environment}', but the file defines no environments: add it under 'environments' or remove the key."
                        : $"{Capitalize(where)} names environment '{environment}', which is not defined (defined: {string.Join(", ", environments.Select(e => e.Name))}).");
                }
                if (environments.FirstOrDefault(e => e.Name == environment) is { } defined && !defined.AllowsMode(agent.AgentMode))
                {
                    map.Error("agent_mode", BatchFileErrorKind.InvalidValue,
                        $"{Capitalize(where)} uses mode '{agent.AgentMode}', which environment '{defined.Name}' does not allow (allowed: {string.Join(", ", defined.AllowedModes)}): choose one of those or allow it in the environment.");
                }
                agent = agent with { Agent = ReadAgentSpec(map, where), Reference = ReadReference(map, where) };
                if (id is not null)
                {
                    agents.Add(agent with { Source = file.FilePath, Line = (int)map.Node.Start.Line });
                }
            }
            return agents;
        }

        private List<BatchTask> ReadTasks(YamlMap root)
        {
            var tasks = new List<BatchTask>();
            foreach (var (map, id, where) in Entries(root, "tasks", "task", TaskKeys, "list at least one task with an id and a type"))
            {
                var typeText = map.Text("type", required: true, hint: "write `type: batch` (prompts × repositories) or `type: evaluation` (a cases folder)");
                BatchTaskType? type = typeText?.Trim() switch
                {
                    null => null,
                    "batch" => BatchTaskType.Batch,
                    "evaluation" => BatchTaskType.Evaluation,
                    _ => null,
                };
                if (typeText is not null && type is null)
                {
                    map.Error("type", BatchFileErrorKind.InvalidValue, $"Unknown task type '{typeText}' in {where}: use batch (prompts × repositories) or evaluation (a cases folder).");
                }
                if (type is null)
                {
                    continue;
                }
                // An evaluation task's `repositories` is the table mapping SWE-bench repo names to local folders.
                var foreign = type == BatchTaskType.Batch ? EvaluationTaskKeys : BatchTaskKeys.Where(k => k != "repositories").ToArray();
                foreach (var key in foreign.Where(map.Has))
                {
                    file.Error(map.KeyNode(key)!, BatchFileErrorKind.UnknownKey,
                        $"'{key}' belongs to {(type == BatchTaskType.Batch ? "evaluation" : "batch")} tasks, but {where} has type {typeText!.Trim()}: remove it or change the type.");
                }
                var script = map.Text("script_command", hint: "give a shell command or remove the key");
                var baseBranch = map.Text("base_branch", hint: "name a branch or remove the key")?.Trim();
                var task = type == BatchTaskType.Batch
                    ? ReadBatchTask(map, where)
                    : ReadEvaluationTask(map, where, script);
                if (id is not null)
                {
                    tasks.Add(task with { Id = id, ScriptCommand = script, BaseBranch = baseBranch });
                }
            }
            return tasks;
        }

        private BatchTask ReadBatchTask(YamlMap map, string where)
        {
            var prompts = map.TextList("prompts", required: true, hint: "list the prompts to run").Select(p => p.Text).ToList();
            var repositories = new List<BatchRepository>();
            var seen = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
            foreach (var (written, node) in map.TextList("repositories", allowSingle: true, required: true, hint: "list the repository folders to run on"))
            {
                var full = ResolvePath(written);
                if (seen.TryGetValue(full, out var first))
                {
                    file.Error(node, BatchFileErrorKind.DuplicateId, $"Repository '{written}' is listed twice in {where} (first at line {first.Start.Line}): remove one.");
                    continue;
                }
                seen[full] = node;
                if (!Directory.Exists(full))
                {
                    file.Error(node, BatchFileErrorKind.PathNotFound, $"Repository '{written}' of {where} does not exist (looked for {full}): create it or fix the path (relative paths start at the batch file's folder).");
                    continue;
                }
                repositories.Add(new BatchRepository(NormalizeWritten(written), full));
            }
            return new BatchTask { Id = "", Type = BatchTaskType.Batch, Prompts = prompts, Repositories = repositories };
        }

        private BatchTask ReadEvaluationTask(YamlMap map, string where, string? taskScript)
        {
            var samples = (int)Math.Min(map.Integer("samples", 1, "at least 1 (attempts per agent and case)") ?? 1, 1000);
            if (map.Has("instances"))
            {
                if (map.Has("cases_dir"))
                {
                    map.Error("cases_dir", BatchFileErrorKind.InvalidValue, $"{Capitalize(where)} names both cases_dir and instances: keep one source of cases.");
                }
                return ReadInstancesTask(map, where, taskScript) with { Samples = samples };
            }
            if (map.Value("repositories") is not null)
            {
                map.Error("repositories", BatchFileErrorKind.InvalidValue, $"'repositories' in {where} maps the repositories of an instances file, but the task reads cases_dir: remove it.");
            }
            var written = map.Text("cases_dir", required: true, hint: "name the folder that holds one folder per case, or give an instances file (instances: ./instances.jsonl)");
            var dataset = map.Text("dataset", hint: "name the data set or remove the key")?.Trim();
            if (written is null)
            {
                return new BatchTask { Id = "", Type = BatchTaskType.Evaluation, Dataset = dataset };
            }
            var full = ResolvePath(written);
            var node = map.Value("cases_dir")!;
            if (!Directory.Exists(full))
            {
                file.Error(node, BatchFileErrorKind.PathNotFound, $"cases_dir '{written}' of {where} does not exist (looked for {full}): create it or fix the path (relative paths start at the batch file's folder).");
                return new BatchTask { Id = "", Type = BatchTaskType.Evaluation, CasesDir = full, Dataset = dataset };
            }
            var cases = new List<EvaluationCase>();
            var folders = Directory.EnumerateDirectories(full)
                .Where(d => !Path.GetFileName(d).StartsWith('.'))
                .OrderBy(d => Path.GetFileName(d), StringComparer.Ordinal)
                .ToList();
            if (folders.Count == 0)
            {
                file.Error(node, BatchFileErrorKind.InvalidValue, $"cases_dir '{written}' of {where} holds no case folders: add one folder per case, each with a {EvaluationCase.FileName} (see docs/EVALUATION.md).");
            }
            foreach (var caseFolder in folders)
            {
                var caseFile = Path.Combine(caseFolder, EvaluationCase.FileName);
                if (!File.Exists(caseFile))
                {
                    file.Error(node, BatchFileErrorKind.PathNotFound, $"Case folder '{Path.GetFileName(caseFolder)}' in cases_dir '{written}' has no {EvaluationCase.FileName}: add one (see docs/EVALUATION.md) or move the folder out.");
                    continue;
                }
                if (ReadCase(caseFile, caseFolder, where, taskScript) is { } evaluationCase)
                {
                    cases.Add(evaluationCase);
                }
            }
            return new BatchTask { Id = "", Type = BatchTaskType.Evaluation, CasesDir = full, Dataset = dataset, Cases = cases, Samples = samples };
        }

        /// <summary>An evaluation task over an instances file (SWE-bench-style or commit pairs): its problems name the instances file.</summary>
        private BatchTask ReadInstancesTask(YamlMap map, string where, string? taskScript)
        {
            var dataset = map.Text("dataset", hint: "name the data set or remove the key")?.Trim();
            var written = map.Text("instances", required: true, hint: "name a JSON or JSONL file of instances");
            var repositories = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (name, path) in map.TextMap("repositories"))
            {
                repositories[name] = Evaluation.RepositoryClones.Normalize(path, ResolvePath);
            }
            if (written is null)
            {
                return new BatchTask { Id = "", Type = BatchTaskType.Evaluation, Dataset = dataset };
            }
            var full = ResolvePath(written);
            if (!File.Exists(full))
            {
                map.Error("instances", BatchFileErrorKind.PathNotFound, $"instances '{written}' of {where} does not exist (looked for {full}): fix the path (relative paths start at the batch file's folder).");
                return new BatchTask { Id = "", Type = BatchTaskType.Evaluation, InstancesFile = full, Dataset = dataset };
            }
            var errors = new List<BatchFileError>();
            var instances = Evaluation.InstanceFile.Read(full, new Evaluation.InstanceFileOptions { Repositories = repositories, DefaultTestCommand = taskScript, CloneRoot = cloneRoot }, errors);
            foreach (var error in errors)
            {
                file.Sibling(error.FilePath).Error(new YamlDotNet.Core.Mark(0, error.Line, error.Column), error.Kind, error.Message);
            }
            return new BatchTask { Id = "", Type = BatchTaskType.Evaluation, InstancesFile = full, Dataset = dataset ?? Path.GetFileNameWithoutExtension(full), Instances = instances };
        }

        private string? ReadAgentSpec(YamlMap map, string where)
        {
            var text = map.Text("agent", hint: "give an agent (amp, claude, amp:<command>, claude:<command>, exec:<command>) or remove the key")?.Trim();
            if (text is null)
            {
                return null;
            }
            if (map.Has("command"))
            {
                map.Error("agent", BatchFileErrorKind.InvalidValue, $"{Capitalize(where)} sets both agent and command: keep one.");
            }
            try
            {
                return Agents.AgentSpec.Parse(text).ToString();
            }
            catch (AmpSessionsException ex)
            {
                map.Error("agent", BatchFileErrorKind.InvalidValue, ex.Message);
                return null;
            }
        }

        private Evaluation.ReferenceAgent ReadReference(YamlMap map, string where)
        {
            var text = map.Text("reference", hint: "write gold or null, or remove the key")?.Trim();
            if (text is null)
            {
                return Evaluation.ReferenceAgent.None;
            }
            var reference = text switch
            {
                "gold" => Evaluation.ReferenceAgent.Gold,
                "null" => Evaluation.ReferenceAgent.Null,
                _ => (Evaluation.ReferenceAgent?)null,
            };
            if (reference is null)
            {
                map.Error("reference", BatchFileErrorKind.InvalidValue, $"Unknown reference agent '{text}' in {where}: use gold (applies each instance's patch) or null (changes nothing).");
                return Evaluation.ReferenceAgent.None;
            }
            foreach (var key in new[] { "command", "agent", "environment", "agent_mode", "model_override" }.Where(map.Has))
            {
                map.Error(key, BatchFileErrorKind.InvalidValue, $"{Capitalize(where)} is the {text} reference agent, which runs no agent: remove '{key}'.");
            }
            return reference.Value;
        }

        /// <summary>Reference agents grade instances; they have nothing to do with prompts or case.yaml folders.</summary>
        private void CheckReferenceAgents(YamlMap root, List<BatchAgent> agents, List<BatchTask> tasks)
        {
            if (agents.All(a => a.Reference == Evaluation.ReferenceAgent.None))
            {
                return;
            }
            foreach (var task in tasks.Where(t => t.InstancesFile is null))
            {
                root.Error("agents", BatchFileErrorKind.InvalidValue,
                    $"The file has reference agents (gold/null), but task '{task.Id}' {(task.Type == BatchTaskType.Batch ? "is a batch task" : "reads a cases_dir")}: reference agents need tasks with an instances file.");
            }
        }

        /// <summary>The file's hash, and the hashes of the instance files it names: shards merge only when all agree, and resume refuses changed instances.</summary>
        private static string ContentHash(string text, IReadOnlyList<BatchTask> tasks)
        {
            var files = tasks.Where(t => t.InstancesFile is not null && File.Exists(t.InstancesFile)).Select(t => Hash(File.ReadAllText(t.InstancesFile!))).ToList();
            return files.Count == 0 ? Hash(text) : Hash(string.Join('\0', [Hash(text), .. files]));
        }

        // A case file is its own YAML file: its errors name it, not the batch file.
        private EvaluationCase? ReadCase(string caseFile, string caseFolder, string taskWhere, string? taskScript)
        {
            var caseYaml = file.Sibling(caseFile);
            var before = caseYaml.ErrorCount;
            var rootNode = caseYaml.LoadRootMapping(File.ReadAllText(caseFile), "case file");
            if (rootNode is not null)
            {
                var map = caseYaml.Map(rootNode, "the case file", CaseKeys);
                var prompt = map.Text("prompt", required: true, hint: "say what the agent should do");
                var repo = map.Text("repo", required: true, hint: "give the repository folder, relative to the case folder (for example ./repo)");
                var baseRef = map.Text("base", hint: "name a commit or branch, or remove the key")?.Trim();
                var grade = map.Text("grade", hint: "give a shell command whose exit code 0 means pass, or remove the key");
                string? repoPath = null;
                if (repo is not null)
                {
                    repoPath = Path.GetFullPath(Path.Combine(caseFolder, repo));
                    if (!Directory.Exists(repoPath))
                    {
                        map.Error("repo", BatchFileErrorKind.PathNotFound, $"repo '{repo}' does not exist (looked for {repoPath}): relative paths start at the case folder.");
                    }
                }
                if (grade is null && taskScript is null && !map.Has("grade"))
                {
                    map.Missing("grade", $"give a grading command (exit code 0 means pass), or a script_command on {taskWhere}");
                }
                if (caseYaml.ErrorCount == before && prompt is not null && repoPath is not null && (grade ?? taskScript) is { } command)
                {
                    return new EvaluationCase
                    {
                        Id = Path.GetFileName(caseFolder),
                        Directory = caseFolder,
                        Repository = repoPath,
                        Base = baseRef,
                        Prompt = prompt,
                        GradeCommand = command,
                    };
                }
            }
            return null;
        }

        private BatchMetricsSettings ReadMetrics(YamlMap root)
        {
            if (root.Mapping("metrics") is not { } node)
            {
                return new BatchMetricsSettings();
            }
            var map = file.Map(node, "metrics", MetricsKeys);
            var collection = new List<BatchMetric>();
            foreach (var (text, entry) in map.TextList("collection"))
            {
                if (MetricFromName(text.Trim()) is { } metric)
                {
                    if (!collection.Contains(metric))
                    {
                        collection.Add(metric);
                    }
                }
                else
                {
                    file.Error(entry, BatchFileErrorKind.InvalidValue,
                        $"Unknown metric '{text}' in metrics.collection: use {string.Join(", ", BatchMetricsSettings.AllMetrics.Select(MetricName))}.");
                }
            }
            var formats = new List<ReportFormat>();
            foreach (var (text, entry) in map.TextList("export_formats", allowSingle: true))
            {
                if (ReportFormats.TryParse(text, out var format) && text.Trim() == text.Trim().ToLowerInvariant())
                {
                    if (!formats.Contains(format))
                    {
                        formats.Add(format);
                    }
                }
                else
                {
                    file.Error(entry, BatchFileErrorKind.InvalidValue, $"Unknown export format '{text}' in metrics.export_formats: use {ReportFormats.Names}.");
                }
            }
            return new BatchMetricsSettings
            {
                Collection = map.Has("collection") ? collection : BatchMetricsSettings.AllMetrics,
                ExportFormats = formats,
            };
        }

        /// <summary>The mappings of a required list of entries with unique ids (agents, tasks); an entry whose id is taken is reported and skipped.</summary>
        private IEnumerable<(YamlMap Map, string? Id, string Where)> Entries(YamlMap root, string key, string what, string[] allowedKeys, string listHint)
        {
            if (root.Sequence(key, required: true, hint: listHint) is not { } sequence)
            {
                yield break;
            }
            var seen = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
            for (var i = 0; i < sequence.Children.Count; i++)
            {
                var entry = sequence.Children[i];
                if (entry is not YamlMappingNode body)
                {
                    file.Error(entry, BatchFileErrorKind.WrongType, $"{Capitalize(what)} {i + 1} must be a mapping of keys ({string.Join(", ", allowedKeys.Take(2))}, ...), not {YamlFile.Describe(entry)}.");
                    continue;
                }
                var map = file.Map(body, $"{what} {i + 1}", allowedKeys);
                var id = map.Text("id", required: true, hint: $"give every {what} a unique id")?.Trim();
                if (id is not null && seen.TryGetValue(id, out var first))
                {
                    file.Error(map.Value("id")!, BatchFileErrorKind.DuplicateId, $"The {what} id '{id}' is already used at line {first.Start.Line}: {what} ids must be unique.");
                    continue;
                }
                if (id is not null)
                {
                    seen[id] = map.Value("id")!;
                    map.Where = $"{what} '{id}'";
                }
                yield return (map, id, map.Where);
            }
        }

        private string ResolvePath(string written) => paths.Resolve(written);

        private static string NormalizeWritten(string written)
        {
            var text = written.Trim().Replace('\\', '/');
            while (text.StartsWith("./", StringComparison.Ordinal))
            {
                text = text[2..];
            }
            return text.TrimEnd('/');
        }

        private static string Capitalize(string text) => char.ToUpperInvariant(text[0]) + text[1..];
    }

    public static string MetricName(BatchMetric metric) => metric switch
    {
        BatchMetric.SuccessRate => "success_rate",
        BatchMetric.AvgIterations => "avg_iterations",
        BatchMetric.TokenUsage => "token_usage",
        BatchMetric.CostAnalysis => "cost_analysis",
        BatchMetric.ExecutionTime => "execution_time",
        _ => "tool_usage_stats",
    };

    private static BatchMetric? MetricFromName(string name) =>
        BatchMetricsSettings.AllMetrics.Cast<BatchMetric?>().FirstOrDefault(m => MetricName(m!.Value) == name);
}
