using System.Text.Json;
using AmpSessions.Testing;

namespace AmpSessions.Cli.Tests.Evaluation;

/// <summary>
/// An evaluation killed with SIGKILL halfway (concurrency 4) and resumed with `batch resume` grades
/// every instance exactly once in its results. CI runs 12 instances (killed at 6 or more graded, at most 4 in
/// flight, so at least 2 never started before the kill); bench/ runs the 200-instance
/// variant (`dotnet run -c Release --project bench/AmpSessions.Bench -- eval-resume`; figures in bench/README.md).
/// </summary>
[Trait("Platform", "Posix")]
public sealed class EvalResumeTests : IDisposable
{
    private const int Instances = 12;
    private readonly TempDirectory temp = new("amp-eval-resume");

    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task Killed_halfway_and_resumed_every_instance_is_graded_exactly_once()
    {
        var repo = temp.Combine("repo");
        Directory.CreateDirectory(repo);
        Git(repo, "init", "--quiet", "--initial-branch=main");
        File.WriteAllText(Path.Combine(repo, "README.md"), "cases\n");
        Git(repo, "add", "--all");
        Git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-m", "base");
        var head = Git(repo, "rev-parse", "HEAD").Trim();
        var graded = temp.Combine("graded.log");
        // Each grading run records its instance, takes a moment, and reports one TAP test: does the gold file exist?
        var command = $"echo \"$AMP_EVAL_INSTANCE_ID\" >> '{graded}'; sleep 0.2; if [ -f \"f-$AMP_EVAL_INSTANCE_ID.txt\" ]; then echo 'ok 1 - t'; else echo 'not ok 1 - t'; fi";
        var file = temp.Combine("instances.jsonl");
        File.WriteAllLines(file, Enumerable.Range(1, Instances).Select(i => JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["instance_id"] = $"case-{i:000}",
            ["repo_path"] = "repo",
            ["base_commit"] = head,
            ["problem_statement"] = $"add f-case-{i:000}.txt",
            ["patch"] = $"diff --git a/f-case-{i:000}.txt b/f-case-{i:000}.txt\nnew file mode 100644\n--- /dev/null\n+++ b/f-case-{i:000}.txt\n@@ -0,0 +1 @@\n+x\n",
            ["FAIL_TO_PASS"] = new[] { "t" },
            ["test_command"] = command,
        })));
        var cli = new CliRunner(temp.Combine("data"));

        using (var process = cli.Start("eval", "run", file, "--agent", "gold", "--concurrency", "4"))
        {
            string? journal = null;
            await Eventually.WaitAsync(() => (journal = Directory.Exists(Path.Combine(cli.DataDirectory, "batches"))
                ? Directory.EnumerateFiles(Path.Combine(cli.DataDirectory, "batches"), "journal.jsonl", SearchOption.AllDirectories).FirstOrDefault()
                : null) is not null, TimeSpan.FromSeconds(60), "the run's journal");
            await Eventually.WaitAsync(() => FinishedLines(journal!) >= Instances / 2, TimeSpan.FromSeconds(120), "half the instances graded");
            process.Kill(); // SIGKILL: no cleanup, no final status
            await process.WaitForExitAsync();
        }
        var killedAt = FinishedLines(Directory.EnumerateFiles(Path.Combine(cli.DataDirectory, "batches"), "journal.jsonl", SearchOption.AllDirectories).Single());
        Assert.InRange(killedAt, Instances / 2, Instances - 1);

        var runId = Path.GetFileName(Directory.EnumerateDirectories(Path.Combine(cli.DataDirectory, "batches")).Single());
        var resumed = await cli.RunAsync(["batch", "resume", runId, "--json"], null, TimeSpan.FromMinutes(3));
        Assert.True(resumed.ExitCode == 0, resumed.ToString());

        var records = File.ReadAllLines(Path.Combine(cli.DataDirectory, "batches", runId, "journal.jsonl")).Skip(1)
            .Select(l => JsonDocument.Parse(l).RootElement).Where(r => r.GetProperty("status").GetString() is "Passed" or "Failed" or "Error" or "TimedOut").ToList();
        var perCase = records.GroupBy(r => r.GetProperty("caseId").GetString()).ToDictionary(g => g.Key!, g => g.Count());
        Assert.Equal(Instances, perCase.Count);
        Assert.All(perCase, p => Assert.Equal(1, p.Value)); // exactly one result per instance
        Assert.All(records, r => Assert.Equal("Resolved", r.GetProperty("grade").GetProperty("resolution").GetString()));
        // Grading ran for every instance; at most the 4 in flight at the kill ran twice.
        var runs = File.ReadAllLines(graded).GroupBy(l => l).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(Instances, runs.Count);
        Assert.InRange(runs.Values.Sum(), Instances, Instances + 4);
        // Nothing left behind: no scratch worktree in the data directory or in git's registry.
        Assert.Empty(Directory.Exists(Path.Combine(cli.DataDirectory, "grading")) ? Directory.EnumerateDirectories(Path.Combine(cli.DataDirectory, "grading")) : []);
        Assert.DoesNotContain("grading", Git(repo, "worktree", "list"), StringComparison.Ordinal);
    }

    private static int FinishedLines(string journal)
    {
        try
        {
            using var stream = new FileStream(journal, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd().Split('\n').Count(l => l.Contains("\"status\":\"Passed\"", StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static string Git(string repo, params string[] arguments)
    {
        var result = AmpSessions.Core.Processes.ProcessRunner.RunAsync(new AmpSessions.Core.Processes.ProcessSpec("git", ["-C", repo, .. arguments])).GetAwaiter().GetResult();
        Assert.True(result.ExitCode == 0, result.StandardError);
        return result.StandardOutput;
    }
}
