using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Git;
using AmpSessions.Core.Storage;

namespace AmpSessions.Core.Evaluation;

/// <summary>What `eval mine` needs.</summary>
public sealed record MineRequest
{
    /// <summary>The repository whose history is mined.</summary>
    public required string RepositoryPath { get; init; }

    /// <summary>The test command (with <c>{junit}</c>, or printing TAP): per-test outcomes are needed to tell which tests a fix made pass.</summary>
    public required string TestCommand { get; init; }

    /// <summary>The instances file to write (JSONL).</summary>
    public required string OutputPath { get; init; }

    /// <summary>Where to start walking back (first parents only). Default HEAD.</summary>
    public string Revision { get; init; } = "HEAD";

    /// <summary>How many commits to examine, newest first.</summary>
    public int MaxCommits { get; init; } = 200;

    /// <summary>Stop after this many instances.</summary>
    public int? MaxInstances { get; init; }

    /// <summary>Extra glob patterns for test files.</summary>
    public IReadOnlyList<string> TestPathPatterns { get; init; } = [];

    /// <summary>Time limit per test run.</summary>
    public TimeSpan? Timeout { get; init; }
}

/// <summary>A commit the miner looked at and what it decided.</summary>
public sealed record MinedCommit(string Commit, string Subject, string? InstanceId, string? Rejected)
{
    public bool Accepted => InstanceId is not null;
}

/// <summary>What `eval mine` found.</summary>
public sealed record MineResult
{
    public required string OutputPath { get; init; }
    public required string RepositoryPath { get; init; }
    public required IReadOnlyList<MinedCommit> Commits { get; init; }
    public required IReadOnlyList<EvaluationInstance> Instances { get; init; }
}

/// <summary>
/// Builds a private benchmark from a repository's own history, in seed 002's commit-pair style: a
/// commit that changes both tests and source is a candidate; its test changes become the test patch
/// and its source changes the gold patch; the tests run on the parent with only the test patch, then
/// on the commit itself. Tests that fail before and pass after are FAIL_TO_PASS, tests that pass in
/// both are PASS_TO_PASS; a candidate whose new tests already pass before the fix is rejected. The
/// output is SWE-bench's instance format plus repo_path and test_command.
/// </summary>
public sealed partial class CommitMiner
{
    private static readonly System.Text.Json.JsonSerializerOptions RelaxedJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly AmpContext context;

    public CommitMiner(AmpContext context) => this.context = context;

    [GeneratedRegex(@"[^a-z0-9]+")]
    private static partial Regex NotSlug();

    public async Task<MineResult> MineAsync(MineRequest request, Action<MinedCommit>? onCommit = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var repoPath = Path.GetFullPath(request.RepositoryPath);
        var git = new GitClient(repoPath, context.Options.GitExecutable);
        if (!Directory.Exists(repoPath) || !await git.IsRepositoryAsync(cancellationToken).ConfigureAwait(false))
        {
            throw new AmpSessionsException("AmpMineNotARepository", ErrorKind.InvalidArgument,
                $"'{repoPath}' is not a Git repository: give the folder of a clone whose history has fixes with tests.", repoPath);
        }
        if (string.IsNullOrWhiteSpace(request.TestCommand))
        {
            throw new AmpSessionsException("AmpUsageTestCommandMissing", ErrorKind.InvalidArgument,
                "Give the test command with --test-command, e.g. \"pytest --junitxml={junit}\" or \"node --test --test-reporter=tap\".");
        }
        var top = await git.GetTopLevelAsync(cancellationToken).ConfigureAwait(false);
        var output = Path.GetFullPath(request.OutputPath);
        var log = await git.TryReadAsync(["log", "--first-parent", "--no-merges", $"--max-count={Math.Max(1, request.MaxCommits)}", "--format=%H%x00%P%x00%cI%x00%B%x1e", request.Revision, "--"], cancellationToken).ConfigureAwait(false)
            ?? throw new AmpSessionsException("AmpMineRevisionUnknown", ErrorKind.InvalidArgument, $"'{request.Revision}' is not a revision of {repoPath}: give a branch, tag or commit.", request.Revision);
        var commits = log.Split('\x1e', StringSplitOptions.RemoveEmptyEntries)
            .Select(entry => entry.TrimStart('\n').Split('\0'))
            .Where(parts => parts.Length >= 4)
            .Select(parts => (Sha: parts[0], Parent: parts[1].Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(), Date: parts[2], Message: parts[3].Trim()))
            .Reverse()
            .ToList();

        var tests = new TestFileRules(request.TestPathPatterns);
        var grader = new EvaluationGrader(context);
        var mined = new List<MinedCommit>();
        var instances = new List<EvaluationInstance>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var repoName = Path.GetFileName(top.TrimEnd('/', '\\'));
        var artifacts = Path.Combine(context.Data.Root, "mining", string.Create(CultureInfo.InvariantCulture, $"{Slug(repoName)}-{context.Now:yyyyMMdd-HHmmss}-{Guid.NewGuid():N}")[..^24]);
        Directory.CreateDirectory(artifacts);
        foreach (var commit in commits)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (request.MaxInstances is { } max && instances.Count >= max)
            {
                break;
            }
            var subject = commit.Message.Split('\n')[0];
            var (instance, rejected) = commit.Parent is null
                ? (null, "the root commit has no parent to start from")
                : await ExamineAsync(git, grader, request, tests, commit.Sha, commit.Parent, commit.Message, artifacts, cancellationToken).ConfigureAwait(false);
            if (instance is not null)
            {
                var id = Slug(repoName) + "-" + Slug(subject);
                if (!ids.Add(id))
                {
                    id += "-" + commit.Sha[..7];
                    ids.Add(id);
                }
                instance = instance with { InstanceId = id, Repo = repoName, RepositoryPath = top };
                instances.Add(instance);
                Write(output, instances, top, commits.ToDictionary(c => c.Sha, c => c.Date));
            }
            var record = new MinedCommit(commit.Sha, subject, instance?.InstanceId, rejected);
            mined.Add(record);
            onCommit?.Invoke(record);
        }
        Write(output, instances, top, commits.ToDictionary(c => c.Sha, c => c.Date));
        return new MineResult { OutputPath = output, RepositoryPath = top, Commits = mined, Instances = instances };
    }

    private static async Task<(EvaluationInstance?, string?)> ExamineAsync(GitClient git, EvaluationGrader grader, MineRequest request, TestFileRules tests,
        string sha, string parent, string message, string artifacts, CancellationToken cancellationToken)
    {
        var names = await git.ReadAsync(["diff", "--name-only", "-z", "--no-renames", parent, sha], cancellationToken).ConfigureAwait(false);
        var files = names.Split('\0', StringSplitOptions.RemoveEmptyEntries);
        var testFiles = files.Where(tests.IsTest).ToList();
        var sourceFiles = files.Where(f => !tests.IsTest(f)).ToList();
        if (testFiles.Count == 0 || sourceFiles.Count == 0)
        {
            return (null, testFiles.Count == 0 ? "changes no test files" : "changes only test files");
        }
        async Task<string> Diff(IEnumerable<string> paths) =>
            (await git.RunAsync(["diff", "--binary", "--no-renames", "--no-color", "--no-ext-diff", parent, sha, "--", .. paths.Select(p => ":(literal)" + p)], cancellationToken: cancellationToken).ConfigureAwait(false)).StandardOutput;
        var testPatch = await Diff(testFiles).ConfigureAwait(false);
        var goldPatch = await Diff(sourceFiles).ConfigureAwait(false);
        var before = await grader.RunTestsAsync(new TestRunRequest
        {
            RepositoryPath = git.WorkingDirectory,
            Commit = parent,
            Patches = [("test patch", testPatch)],
            TestCommand = request.TestCommand,
            TestFiles = testFiles,
            ArtifactPrefix = Path.Combine(artifacts, sha[..12] + "-before"),
            ScratchName = "mine-" + sha[..12] + "-before",
            Timeout = request.Timeout,
        }, cancellationToken).ConfigureAwait(false);
        if (before.Problem is { } beforeProblem)
        {
            return (null, beforeProblem);
        }
        var after = await grader.RunTestsAsync(new TestRunRequest
        {
            RepositoryPath = git.WorkingDirectory,
            Commit = sha,
            TestCommand = request.TestCommand,
            TestFiles = testFiles,
            ArtifactPrefix = Path.Combine(artifacts, sha[..12] + "-after"),
            ScratchName = "mine-" + sha[..12] + "-after",
            Timeout = request.Timeout,
        }, cancellationToken).ConfigureAwait(false);
        if (after.Problem is { } afterProblem)
        {
            return (null, afterProblem);
        }
        if (after.Report.Method == GradingMethod.ExitCode)
        {
            return (null, "the test command gave no per-test report (write JUnit XML to {junit}, or print TAP)");
        }
        var beforeIndex = TestNames.Index(before.Report.Method == GradingMethod.ExitCode ? [] : before.Report.Tests);
        var failToPass = new List<string>();
        var passToPass = new List<string>();
        foreach (var test in after.Report.Tests.Where(t => t.Outcome == TestOutcome.Passed))
        {
            if (TestNames.OutcomeOf(test.Name, beforeIndex) == TestOutcome.Passed)
            {
                passToPass.Add(test.Name);
            }
            else
            {
                failToPass.Add(test.Name);
            }
        }
        if (failToPass.Count == 0)
        {
            return (null, "no test fails before the fix and passes after it");
        }
        return (new EvaluationInstance
        {
            InstanceId = sha,
            RepositoryPath = git.WorkingDirectory,
            BaseCommit = parent,
            FixCommit = sha,
            ProblemStatement = message,
            GoldPatch = goldPatch,
            TestPatch = testPatch,
            FailToPass = failToPass.Distinct(StringComparer.Ordinal).ToList(),
            PassToPass = passToPass.Distinct(StringComparer.Ordinal).ToList(),
            TestCommand = request.TestCommand,
        }, null);
    }

    /// <summary>SWE-bench's keys (lists as lists), plus repo_path relative to the file and test_command.</summary>
    private static void Write(string output, IReadOnlyList<EvaluationInstance> instances, string repositoryRoot, IReadOnlyDictionary<string, string> dates)
    {
        var folder = Path.GetDirectoryName(output)!;
        var text = new StringBuilder();
        foreach (var i in instances)
        {
            var line = new JsonObject
            {
                ["instance_id"] = i.InstanceId,
                ["repo"] = i.Repo,
                ["repo_path"] = Path.GetRelativePath(folder, repositoryRoot).Replace('\\', '/'),
                ["base_commit"] = i.BaseCommit,
                ["problem_statement"] = i.ProblemStatement,
                ["patch"] = i.GoldPatch,
                ["test_patch"] = i.TestPatch,
                ["FAIL_TO_PASS"] = new JsonArray(i.FailToPass.Select(t => (JsonNode?)JsonValue.Create(t)).ToArray()),
                ["PASS_TO_PASS"] = new JsonArray(i.PassToPass.Select(t => (JsonNode?)JsonValue.Create(t)).ToArray()),
                ["test_command"] = i.TestCommand,
                ["version"] = "1",
                ["environment_setup_commit"] = i.BaseCommit,
                ["hints_text"] = "",
                ["created_at"] = i.FixCommit is { } fix && dates.TryGetValue(fix, out var date) ? date : null,
            };
            text.Append(line.ToJsonString(RelaxedJson)).Append('\n');
        }
        AtomicFile.Write(output, writer => writer.Write(text.ToString()), "AmpInstancesUnwritable");
    }

    private static string Slug(string text)
    {
        var slug = NotSlug().Replace(text.ToLower(CultureInfo.InvariantCulture), "-").Trim('-');
        return slug.Length > 48 ? slug[..48].TrimEnd('-') : slug.Length == 0 ? "case" : slug;
    }
}
