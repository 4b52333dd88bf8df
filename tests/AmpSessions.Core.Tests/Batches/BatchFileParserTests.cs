using AmpSessions.Core.Batches;
using AmpSessions.Core.Reports;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Batches;

public sealed class BatchFileParserTests : IDisposable
{
    private readonly TempDirectory temp = new("amp-batchfile");
    private bool runnerCreated;

    public BatchFileParserTests()
    {
        Directory.CreateDirectory(temp.Combine("repo-a"));
    }

    public void Dispose() => temp.Dispose();

    private const string Valid = """
        version: 3
        agents:
          - id: a
        tasks:
          - id: t
            type: batch
            prompts: ["do it"]
            repositories: ["./repo-a"]
        """;

    [Fact]
    public void Sample_from_the_seed_parses_when_its_folders_exist()
    {
        var folder = temp.Combine("sample");
        Directory.CreateDirectory(folder);
        var file = Path.Combine(folder, "batch-v3.yaml");
        File.Copy(TestPaths.Fixture("batch-v3.yaml"), file);
        foreach (var repo in new[] { "backend-service", "frontend-app", "mobile-client" })
        {
            Directory.CreateDirectory(Path.Combine(folder, repo));
        }
        WriteCase(Path.Combine(folder, "eval_data", "cases", "fix-greeting"), "prompt: Rename hello to greet\nrepo: ./repo\nbase: main\n");
        WriteCase(Path.Combine(folder, "eval_data", "cases", "add-test"), "prompt: Add a test\nrepo: ./repo\ngrade: npm run test:unit\n");

        var definition = BatchFileParser.Load(file);

        Assert.Equal("Comprehensive Evaluation Suite", definition.Metadata.Name);
        Assert.Equal(8, definition.Execution.Concurrency);
        Assert.Equal(TimeSpan.FromSeconds(1800), definition.Execution.Timeout);
        Assert.Equal(3, definition.Execution.RetryPolicy.MaxAttempts);
        Assert.Equal(TimeSpan.FromSeconds(1), definition.Execution.RetryPolicy.Backoff);
        Assert.Equal(["production", "development"], definition.Environments.Select(e => e.Name));
        Assert.Equal(["node", "/path/to/local/amp/cli/dist/main.js"], definition.Environments[1].Command);
        Assert.Equal("https://localhost:7002", definition.Environments[1].AmpServerUrl);
        Assert.Equal(["default-medium", "high-mode", "custom-mcp"], definition.Agents.Select(a => a.Id));
        Assert.Equal("gpt-5", definition.Agents[1].ModelOverride);
        Assert.Equal(["playwright", "linear"], definition.Agents[2].McpServers);
        Assert.Equal("https://localhost:7002", definition.Runtime(definition.Agents[2]).ServerUrl);
        Assert.Equal(["amp"], definition.Runtime(definition.Agents[0]).Command);

        var evaluation = definition.Task("swe-style-cases");
        Assert.Equal(BatchTaskType.Evaluation, evaluation.Type);
        Assert.Equal(Path.Combine(folder, "eval_data", "cases"), evaluation.CasesDir);
        Assert.Equal(["add-test", "fix-greeting"], evaluation.Cases.Select(c => c.Id));
        Assert.Equal("npm run test:unit", evaluation.Cases[0].GradeCommand);
        Assert.Equal("npm test", evaluation.Cases[1].GradeCommand); // the task's script_command is the default grade
        Assert.Equal("main", evaluation.Cases[1].Base);
        Assert.Equal(Path.Combine(folder, "eval_data", "cases", "fix-greeting", "repo"), evaluation.Cases[1].Repository);

        var batch = definition.Task("custom-benchmarks");
        Assert.Equal(3, batch.Prompts.Count);
        Assert.Equal(["backend-service", "frontend-app", "mobile-client"], batch.Repositories.Select(r => r.Written));
        Assert.Equal(Path.Combine(folder, "backend-service"), batch.Repositories[0].FullPath);
        Assert.Equal([ReportFormat.Jsonl, ReportFormat.Csv, ReportFormat.Html], definition.Metrics.ExportFormats);
        Assert.Equal(BatchMetricsSettings.AllMetrics, definition.Metrics.Collection);

        // 3 agents × (2 cases + 3 prompts × 3 repositories)
        Assert.Equal(33, BatchExpansion.Expand(definition).Count);
    }

    [Fact]
    public void Sample_without_its_folders_names_each_missing_folder_where_it_is_written()
    {
        var file = temp.Combine("batch-v3.yaml");
        File.Copy(TestPaths.Fixture("batch-v3.yaml"), file);

        var ex = Assert.Throws<BatchFileException>(() => BatchFileParser.Load(file));

        Assert.Equal(
        [
            $"{file}:37:16: PathNotFound",
            $"{file}:47:9: PathNotFound",
            $"{file}:48:9: PathNotFound",
            $"{file}:49:9: PathNotFound",
        ], ex.Errors.Select(e => $"{e.FilePath}:{e.Line}:{e.Column}: {e.Kind}"));
        Assert.StartsWith($"{file}:37:16: cases_dir './eval_data/cases' of task 'swe-style-cases' does not exist", ex.Message);
        Assert.Contains("and 3 more problems", ex.Message);
    }

    [Fact]
    public void Yaml_syntax_error() => AssertRejected("""
        version: 3
        agents: [
          - id: a
        """, 3, 3, BatchFileErrorKind.SyntaxError, "YAML syntax error:");

    [Fact]
    public void Empty_file() => AssertRejected("# nothing here\n", 1, 1, BatchFileErrorKind.EmptyFile, "The batch file is empty");

    [Fact]
    public void Version_other_than_3() => AssertRejected(Valid.Replace("version: 3", "version: 2"), 1, 10,
        BatchFileErrorKind.UnsupportedVersion, "Batch file version 2 is not supported: this AmpSessions reads version 3");

    [Fact]
    public void Missing_required_key() => AssertRejected("""
        version: 3
        agents:
          - id: a
        """, 1, 1, BatchFileErrorKind.MissingKey, "The batch file is missing the required key 'tasks': list at least one task with an id and a type.");

    [Fact]
    public void Unknown_key_suggests_the_closest() => AssertRejected(Valid + "\nexecution:\n  concurency: 4\n", 10, 3,
        BatchFileErrorKind.UnknownKey, "Unknown key 'concurency' in execution: did you mean 'concurrency'?");

    [Fact]
    public void Duplicate_key() => AssertRejected(Valid + "\nversion: 3\n", 9, 1, BatchFileErrorKind.DuplicateKey, "Duplicate key version");

    [Fact]
    public void Wrong_type() => AssertRejected(Valid + "\nexecution:\n  concurrency: [4]\n", 10, 16,
        BatchFileErrorKind.WrongType, "'concurrency' in execution must be a whole number, not a list.");

    [Fact]
    public void Concurrency_below_one() => AssertRejected(Valid + "\nexecution:\n  concurrency: 0\n", 10, 16,
        BatchFileErrorKind.InvalidValue, "'concurrency' in execution is 0: it must be at least 1");

    [Fact]
    public void Negative_timeout() => AssertRejected(Valid + "\nexecution:\n  timeout_sec: -5\n", 10, 16,
        BatchFileErrorKind.InvalidValue, "'timeout_sec' in execution is -5: it must be a positive number of seconds");

    [Fact]
    public void Bad_shard() => AssertRejected(Valid + "\nexecution:\n  shard: 4/3\n", 10, 10,
        BatchFileErrorKind.InvalidValue, "'4/3' is not a shard: write i/N with 1 <= i <= N");

    [Fact]
    public void Unknown_task_type() => AssertRejected(Valid.Replace("type: batch", "type: benchmark"), 6, 11,
        BatchFileErrorKind.InvalidValue, "Unknown task type 'benchmark' in task 't': use batch");

    [Fact]
    public void Key_of_the_other_task_type() => AssertRejected(Valid + "\n    cases_dir: ./cases\n", 9, 5,
        BatchFileErrorKind.UnknownKey, "'cases_dir' belongs to evaluation tasks, but task 't' has type batch");

    [Fact]
    public void Unknown_export_format() => AssertRejected(Valid + "\nmetrics:\n  export_formats: [csv, pdf]\n", 10, 25,
        BatchFileErrorKind.InvalidValue, "Unknown export format 'pdf' in metrics.export_formats: use jsonl, csv, html.");

    [Fact]
    public void Unknown_metric() => AssertRejected(Valid + "\nmetrics:\n  collection: [success_rate, vibes]\n", 10, 30,
        BatchFileErrorKind.InvalidValue, "Unknown metric 'vibes' in metrics.collection");

    [Fact]
    public void Agent_naming_an_unknown_environment() => AssertRejected("""
        version: 3
        environments:
          production:
            amp_server_url: "https://ampcode.com"
        agents:
          - id: a
            environment: staging
        tasks:
          - id: t
            type: batch
            prompts: ["do it"]
            repositories: ["./repo-a"]
        """, 7, 18, BatchFileErrorKind.UnknownReference, "Agent 'a' names environment 'staging', which is not defined (defined: production).");

    [Fact]
    public void Duplicate_agent_id() => AssertRejected(Valid.Replace("  - id: a\n", "  - id: a\n  - id: a\n"), 4, 9,
        BatchFileErrorKind.DuplicateId, "The agent id 'a' is already used at line 3: agent ids must be unique.");

    [Fact]
    public void Repository_that_does_not_exist() => AssertRejected(Valid.Replace("[\"./repo-a\"]", "[\"./repo-a\", \"./repo-z\"]"), 8, 32,
        BatchFileErrorKind.PathNotFound, "Repository './repo-z' of task 't' does not exist");

    [Fact]
    public void Cases_dir_that_does_not_exist() => AssertRejected("""
        version: 3
        agents:
          - id: a
        tasks:
          - id: eval
            type: evaluation
            cases_dir: ./cases
            script_command: "true"
        """, 7, 16, BatchFileErrorKind.PathNotFound, "cases_dir './cases' of task 'eval' does not exist");

    [Fact]
    public void Invalid_server_url() => AssertRejected("""
        version: 3
        environments:
          dev:
            amp_server_url: localhost:7002
        agents:
          - id: a
        tasks:
          - id: t
            type: batch
            prompts: ["do it"]
            repositories: ["./repo-a"]
        """, 4, 21, BatchFileErrorKind.InvalidValue, "amp_server_url 'localhost:7002' of environment 'dev' is not an http(s) URL");

    [Fact]
    public void Case_file_errors_name_the_case_file()
    {
        WriteCase(temp.Combine("cases", "one"), "prompt: Fix it\nrepo: ./repo\ngrader: make test\n");
        var caseFile = temp.Combine("cases", "one", "case.yaml");
        var ex = AssertRejected("""
            version: 3
            agents:
              - id: a
            tasks:
              - id: eval
                type: evaluation
                cases_dir: ./cases
            """, 3, 1, BatchFileErrorKind.UnknownKey, "Unknown key 'grader' in the case file: did you mean 'grade'?", expectedFile: caseFile);
        // No grade and no task script_command either: the second problem, in the same case file.
        Assert.Equal($"{caseFile}:1:1: The case file is missing the required key 'grade': give a grading command (exit code 0 means pass), or a script_command on task 'eval'.", ex.Errors[1].ToString());
    }

    [Fact]
    public void Every_problem_is_collected()
    {
        var ex = AssertRejected("""
            version: 3
            execution:
              concurrency: 0
              timeout_sec: soon
            agents:
              - id: a
                colour: blue
            tasks:
              - id: t
                type: batch
                prompts: ["do it"]
                repositories: ["./repo-a"]
            """, 3, 16, BatchFileErrorKind.InvalidValue, "'concurrency' in execution is 0");
        Assert.Equal(["3:16 InvalidValue", "4:16 WrongType", "7:5 UnknownKey"], ex.Errors.Select(e => $"{e.Line}:{e.Column} {e.Kind}"));
        // The remedy names the file itself, in each front end's words (it said `<file>` before remedies were structured).
        Assert.Contains($"(and 2 more problems): `amp-sessions batch validate {ex.Errors[0].FilePath}` lists them all.", ex.Message);
        Assert.Contains($"(and 2 more problems): Test-AmpBatch -Path {ex.Errors[0].FilePath} lists them all.", ex.Render(Core.Errors.RemedyStyle.PowerShell));
    }

    [Fact]
    public void Valid_file_resolves_relative_paths_against_its_folder()
    {
        var definition = BatchFileParser.Parse(Valid + "\n    script_command: make test\n", temp.Combine("batch.yaml"));
        Assert.Equal(temp.Combine("repo-a"), definition.Tasks[0].Repositories[0].FullPath);
        Assert.Equal("repo-a", definition.Tasks[0].Repositories[0].Written);
        Assert.Equal(1, definition.Execution.Concurrency);
        Assert.Null(definition.Execution.Timeout);
        Assert.Equal("batch", definition.Metadata.Name);
    }

    private static void WriteCase(string folder, string caseYaml)
    {
        Directory.CreateDirectory(Path.Combine(folder, "repo"));
        File.WriteAllText(Path.Combine(folder, "case.yaml"), caseYaml);
    }

    /// <summary>
    /// Runs the file the way `batch run` does and checks that the first error is at
    /// file:line:column with the message, and that nothing was started: no runner, no batch row,
    /// no batch folder.
    /// </summary>
    private BatchFileException AssertRejected(string yaml, int line, int column, BatchFileErrorKind kind, string message, string? expectedFile = null)
    {
        var file = temp.Combine("batch.yaml");
        File.WriteAllText(file, yaml);
        var data = temp.Combine("data");
        var service = new BatchService(AmpContext.Open(data), (_, _) =>
        {
            runnerCreated = true;
            throw new InvalidOperationException("a runner must not be created for a bad file");
        });

        var ex = Assert.ThrowsAsync<BatchFileException>(() => service.RunAsync(new BatchRunRequest { FilePath = file })).GetAwaiter().GetResult();

        var first = ex.Errors[0];
        Assert.Equal($"{expectedFile ?? file}:{line}:{column}", $"{first.FilePath}:{first.Line}:{first.Column}");
        Assert.Equal(kind, first.Kind);
        Assert.Contains(message, first.Message);
        Assert.StartsWith($"{expectedFile ?? file}:{line}:{column}: ", ex.Message);
        Assert.Equal(BatchFileException.Id, ex.ErrorId);
        Assert.False(runnerCreated);
        Assert.Empty(service.List());
        Assert.False(Directory.Exists(Path.Combine(data, "batches")));
        return ex;
    }
}
