using System.Text;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Git;
using AmpSessions.Core.Processes;

namespace AmpSessions.Core.Evaluation;

/// <summary>What to grade: an instance, the commit to check out, and optionally a patch to apply on it first.</summary>
public sealed record GradingRequest
{
    public required EvaluationInstance Instance { get; init; }

    /// <summary>The commit whose tree is graded: the session's last commit, or the base commit for the reference agents.</summary>
    public required string Commit { get; init; }

    /// <summary>A patch applied before the test patch (the gold agent's); null: the commit as it is.</summary>
    public string? CandidatePatch { get; init; }

    /// <summary>Whether the work came from an agent (a test patch that does not apply is then its fault: Unresolved, not Error).</summary>
    public bool FromAgent { get; init; }

    /// <summary>Artifacts go to this path plus .tests.log and .junit.xml.</summary>
    public required string ArtifactPrefix { get; init; }

    /// <summary>The scratch worktree's folder name, unique per attempt (a killed attempt's leftovers are swept by its successor).</summary>
    public required string ScratchName { get; init; }

    public TimeSpan? Timeout { get; init; }
}

/// <summary>One run of a test command on a commit with patches applied.</summary>
public sealed record TestRunRequest
{
    public required string RepositoryPath { get; init; }
    public required string Commit { get; init; }

    /// <summary>Patches applied in order (what each is, for messages; its text).</summary>
    public IReadOnlyList<(string What, string Text)> Patches { get; init; } = [];

    public required string TestCommand { get; init; }

    /// <summary>What <c>{tests}</c> expands to.</summary>
    public IReadOnlyList<string> Tests { get; init; } = [];

    /// <summary>What <c>{test_files}</c> expands to.</summary>
    public IReadOnlyList<string> TestFiles { get; init; } = [];

    public required string ArtifactPrefix { get; init; }
    public required string ScratchName { get; init; }
    public TimeSpan? Timeout { get; init; }
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();
}

/// <summary>What a test run produced; <see cref="Problem"/> says why it could not run (then <see cref="FailedPatch"/> names the patch that did not apply, if that was it).</summary>
public sealed record TestRun
{
    public TestRunReport Report { get; init; } = new(GradingMethod.ExitCode, []);
    public int? ExitCode { get; init; }
    public bool TimedOut { get; init; }
    public string? OutputPath { get; init; }
    public string? Problem { get; init; }
    public int? FailedPatch { get; init; }
}

/// <summary>
/// Runs tests and grades attempts as SWE-bench does, in a scratch worktree under the data
/// directory so nothing the agent could touch is used: check out the commit, apply the candidate
/// patch (gold) if any, apply the hidden test patch, run the test command, read per-test outcomes
/// from JUnit XML, else TAP, else the exit code, and apply the resolution rules. The worktree is
/// removed afterwards, even when cancelled.
/// </summary>
public sealed class EvaluationGrader
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(30);
    private readonly AmpContext context;

    public EvaluationGrader(AmpContext context) => this.context = context;

    /// <summary>Where scratch worktrees live: in the data directory, never in the user's repository.</summary>
    public string ScratchRoot => Path.Combine(context.Data.Root, "grading");

    public async Task<InstanceGrade> GradeAsync(GradingRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var started = context.Clock.GetTimestamp();
        var instance = request.Instance;
        var patches = new List<(string, string)>();
        if (request.CandidatePatch is { Length: > 0 } candidate)
        {
            patches.Add(("gold patch", candidate));
        }
        if (instance.TestPatch is { Length: > 0 } testPatch)
        {
            patches.Add(("test patch", testPatch));
        }
        var run = await RunTestsAsync(new TestRunRequest
        {
            RepositoryPath = instance.RepositoryPath,
            Commit = request.Commit,
            Patches = patches,
            TestCommand = instance.TestCommand,
            Tests = [.. instance.FailToPass, .. instance.PassToPass],
            TestFiles = TestCommand.FilesOf(instance.TestPatch),
            ArtifactPrefix = request.ArtifactPrefix,
            ScratchName = request.ScratchName,
            Timeout = request.Timeout,
            Environment = new Dictionary<string, string?> { ["AMP_EVAL_INSTANCE_ID"] = instance.InstanceId },
        }, cancellationToken).ConfigureAwait(false);
        var elapsed = context.Clock.GetElapsedTime(started);
        if (run.Problem is { } problem)
        {
            var testPatchFailed = run.FailedPatch is { } index && patches[index].Item1 == "test patch";
            var grade = request.FromAgent && testPatchFailed
                ? InstanceGrade.Failure($"The test patch does not apply to the agent's result (did it change the test files?): {problem}", Resolution.Unresolved)
                : InstanceGrade.Failure(run.FailedPatch is not null ? $"The {problem} ('{instance.InstanceId}', base {Short(instance.BaseCommit)})" : problem);
            return grade with { GradingDuration = elapsed, TestOutputPath = run.OutputPath };
        }
        var graded = ResolutionRules.Grade(instance, run.Report, run.ExitCode) with { TestOutputPath = run.OutputPath, GradingDuration = elapsed };
        return run.TimedOut ? graded with { Message = $"the test command was killed at the time limit ({(request.Timeout ?? DefaultTimeout).TotalSeconds:0} s)" } : graded;
    }

    /// <summary>Checks out the commit in a scratch worktree, applies the patches, runs the test command and reads its report.</summary>
    public async Task<TestRun> RunTestsAsync(TestRunRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var repo = new GitClient(request.RepositoryPath, context.Options.GitExecutable);
        string commonDir;
        try
        {
            commonDir = await repo.GetCommonDirAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (GitException ex)
        {
            return new TestRun { Problem = $"'{request.RepositoryPath}' is not a usable Git repository: {ex.Message}" };
        }
        Directory.CreateDirectory(ScratchRoot);
        await SweepLeftoversAsync(repo, commonDir, request.ScratchName, cancellationToken).ConfigureAwait(false);
        var scratch = Path.Combine(ScratchRoot, request.ScratchName);
        using (await RepositoryLock.AcquireAsync(commonDir, "add a grading worktree", cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var added = await repo.RunAsync(["worktree", "add", "--detach", "--quiet", scratch, request.Commit], allowFailure: true, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (added.ExitCode != 0)
            {
                return new TestRun { Problem = $"Could not check out {request.Commit} for the tests: {added.StandardErrorTail(3)}" };
            }
        }
        try
        {
            return await RunInAsync(scratch, request, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await RemoveScratchAsync(repo, commonDir, scratch).ConfigureAwait(false);
        }
    }

    private async Task<TestRun> RunInAsync(string scratch, TestRunRequest request, CancellationToken cancellationToken)
    {
        var worktree = new GitClient(scratch, context.Options.GitExecutable);
        for (var i = 0; i < request.Patches.Count; i++)
        {
            if (await ApplyAsync(worktree, request.Patches[i].Text, cancellationToken).ConfigureAwait(false) is { } error)
            {
                return new TestRun { Problem = $"{request.Patches[i].What} does not apply: {error}", FailedPatch = i };
            }
        }
        var outputPath = request.ArtifactPrefix + ".tests.log";
        var junitPath = request.ArtifactPrefix + ".junit.xml";
        DeletePath(junitPath);
        var command = TestCommand.Expand(request.TestCommand, junitPath, request.Tests, request.TestFiles);
        var lines = new List<string>();
        ProcessResult result;
        var timeout = request.Timeout ?? DefaultTimeout;
        using (var log = new StreamWriter(outputPath, append: false, new UTF8Encoding(false)))
        {
            log.WriteLine($"$ {request.TestCommand}");
            var spec = PlatformShell.Command(command) with
            {
                WorkingDirectory = scratch,
                Timeout = timeout,
                CaptureOutput = false,
                Environment = request.Environment,
            };
            result = await ProcessRunner.RunAsync(spec, line =>
            {
                log.WriteLine(SecretRedactor.Redact(line.Text));
                if (line.Stream == OutputStream.StandardOutput)
                {
                    lines.Add(line.Text);
                }
            }, cancellationToken).ConfigureAwait(false);
            log.WriteLine(result.TimedOut ? $"# killed at the time limit of {timeout}" : $"# exit code {result.ExitCode}");
        }
        cancellationToken.ThrowIfCancellationRequested();
        var report = TestRunReport.Read(request.TestCommand, junitPath, lines);
        return new TestRun { Report = report, ExitCode = result.TimedOut ? null : result.ExitCode, TimedOut = result.TimedOut, OutputPath = outputPath };
    }

    private static async Task<string?> ApplyAsync(GitClient worktree, string patch, CancellationToken cancellationToken)
    {
        var text = patch.EndsWith('\n') ? patch : patch + "\n";
        var result = await worktree.RunAsync(["apply", "--binary", "--whitespace=nowarn", "-"], allowFailure: true, standardInput: text, cancellationToken: cancellationToken).ConfigureAwait(false);
        return result.ExitCode == 0 ? null : result.StandardErrorTail(3).ReplaceLineEndings(" ");
    }

    /// <summary>A scratch worktree an earlier, killed attempt of the same item left behind.</summary>
    private async Task SweepLeftoversAsync(GitClient repo, string commonDir, string scratchName, CancellationToken cancellationToken)
    {
        var dash = scratchName.LastIndexOf('-');
        var itemPrefix = dash > 0 ? scratchName[..(dash + 1)] : scratchName;
        foreach (var folder in Directory.EnumerateDirectories(ScratchRoot, itemPrefix + "*"))
        {
            cancellationToken.ThrowIfCancellationRequested();
            await RemoveScratchAsync(repo, commonDir, folder).ConfigureAwait(false);
        }
    }

    private static async Task RemoveScratchAsync(GitClient repo, string commonDir, string scratch)
    {
        try
        {
            using (await RepositoryLock.AcquireAsync(commonDir, "remove a grading worktree").ConfigureAwait(false))
            {
                var removed = await repo.RunAsync(["worktree", "remove", "--force", "--force", scratch], allowFailure: true).ConfigureAwait(false);
                if (removed.ExitCode != 0)
                {
                    DeletePath(scratch);
                    await repo.RunAsync(["worktree", "prune"], allowFailure: true).ConfigureAwait(false);
                }
            }
        }
        catch (AmpSessionsException)
        {
            // Best effort: a leftover scratch folder is swept by the next attempt, and `git worktree prune` forgets it.
        }
    }

    private static void DeletePath(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
            else if (File.Exists(path))
            {
                File.Delete(path);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left for the next sweep.
        }
    }

    private static string Short(string commit) => commit.Length > 12 ? commit[..12] : commit;
}
