using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using AmpSessions.Core.Processes;
using AmpSessions.Testing;

namespace AmpSessions.Bench;

/// <summary>
/// Issue 12's acceptance run: an evaluation of N instances (default 200) with the gold agent at
/// concurrency 4, run by the CLI as a process, killed with SIGKILL once half the instances are
/// graded, then resumed with `batch resume`; it checks that every instance has exactly one result,
/// and reports the time per case against the raw cost of the git and test commands a case needs
/// (a detached worktree, the gold patch applied, the test command, the worktree removed), run
/// directly and sequentially. Not in CI: CI runs the 16-instance variant (EvalResumeTests).
/// </summary>
public static class EvalResumeBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var count = int.Parse(Value(args, "--instances") ?? "200", CultureInfo.InvariantCulture);
        var concurrency = int.Parse(Value(args, "--concurrency") ?? "4", CultureInfo.InvariantCulture);
        var rawSample = Math.Min(count, int.Parse(Value(args, "--raw-sample") ?? "40", CultureInfo.InvariantCulture));
        using var temp = new TempDirectory("amp-bench-eval");
        var repo = temp.Combine("repo");
        var head = CreateRepository(repo);
        var graded = temp.Combine("graded.log");
        // The test command a case runs: one TAP test that passes when the gold file exists, and a line in graded.log.
        var command = $"echo \"$AMP_EVAL_INSTANCE_ID\" >> '{graded}'; if [ -f \"f-$AMP_EVAL_INSTANCE_ID.txt\" ]; then echo 'ok 1 - t'; else echo 'not ok 1 - t'; fi";
        var file = temp.Combine("instances.jsonl");
        await File.WriteAllLinesAsync(file, Enumerable.Range(1, count).Select(i => JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["instance_id"] = Id(i),
            ["repo_path"] = "repo",
            ["base_commit"] = head,
            ["problem_statement"] = $"add f-{Id(i)}.txt",
            ["patch"] = Patch(Id(i)),
            ["FAIL_TO_PASS"] = new[] { "t" },
            ["test_command"] = command,
        })));
        Console.WriteLine($"Evaluation bench: {count} instances, gold agent, concurrency {concurrency}, killed with SIGKILL at half, then resumed.");

        var data = temp.Combine("data");
        var watch = Stopwatch.StartNew();
        int killedAt;
        using (var process = Start(data, "eval", "run", file, "--agent", "gold", "--concurrency", concurrency.ToString(CultureInfo.InvariantCulture)))
        {
            string? journal = null;
            while ((journal = FindJournal(data)) is null || Finished(journal) < count / 2)
            {
                if (process.HasExited)
                {
                    Console.Error.WriteLine($"bench: eval run ended (exit {process.ExitCode}) before half the instances were graded");
                    return 1;
                }
                await Task.Delay(20);
            }
            process.Kill(entireProcessTree: false); // SIGKILL to the CLI only, as a crash would
            await process.WaitForExitAsync();
            killedAt = Finished(journal);
        }
        var firstPart = watch.Elapsed;
        var runId = Path.GetFileName(Directory.EnumerateDirectories(Path.Combine(data, "batches")).Single());
        using (var resume = Start(data, "batch", "resume", runId, "--json"))
        {
            await resume.WaitForExitAsync();
            if (resume.ExitCode != 0)
            {
                Console.Error.WriteLine($"bench: batch resume exited {resume.ExitCode}: {await resume.StandardError.ReadToEndAsync()}");
                return 1;
            }
        }
        watch.Stop();

        // Exactly one result per instance, every one resolved.
        var records = File.ReadAllLines(Path.Combine(data, "batches", runId, "journal.jsonl")).Skip(1)
            .Select(l => JsonDocument.Parse(l).RootElement).Where(r => r.TryGetProperty("grade", out var g) && g.ValueKind == JsonValueKind.Object).ToList();
        var perCase = records.GroupBy(r => r.GetProperty("caseId").GetString()).ToDictionary(g => g.Key!, g => g.Count());
        var resolved = records.Count(r => r.GetProperty("grade").GetProperty("resolution").GetString() == "Resolved");
        var gradingRuns = File.ReadAllLines(graded).Length;
        var once = perCase.Count == count && perCase.Values.All(v => v == 1);
        Console.WriteLine($"killed after {killedAt} of {count} graded ({firstPart.TotalSeconds:0.0} s); resumed and finished in {watch.Elapsed.TotalSeconds:0.0} s in total.");
        Console.WriteLine($"results: {records.Count} for {perCase.Count} instances, {(once ? "each exactly once" : "NOT each exactly once")}; {resolved} resolved; the test command ran {gradingRuns} times ({gradingRuns - count} runs of attempts in flight at the kill were repeated).");

        var raw = await RawCaseAsync(repo, head, command, rawSample);
        var perCaseWall = watch.Elapsed.TotalMilliseconds / count;
        Console.WriteLine("| instances | concurrency | wall per case | raw git + test per case (sequential) | ratio (wall × concurrency / raw) |");
        Console.WriteLine("|---|---|---|---|---|");
        Console.WriteLine($"| {count} | {concurrency} | {perCaseWall:0} ms | {raw:0} ms | {perCaseWall * concurrency / raw:0.00} |");
        return once && resolved == count ? 0 : 1;
    }

    private static string Id(int i) => $"case-{i:000}";

    private static string Patch(string id) =>
        $"diff --git a/f-{id}.txt b/f-{id}.txt\nnew file mode 100644\n--- /dev/null\n+++ b/f-{id}.txt\n@@ -0,0 +1 @@\n+x\n";

    /// <summary>
    /// The git and test commands one gold case needs, run directly (the gold agent grades the base
    /// commit with its patch, without a session): a detached worktree at the base, the gold patch
    /// applied, the test command in it, the worktree removed.
    /// </summary>
    private static async Task<double> RawCaseAsync(string repo, string head, string command, int cases)
    {
        var watch = Stopwatch.StartNew();
        for (var i = 1; i <= cases; i++)
        {
            var id = "raw-" + Id(i);
            var grade = Path.Combine(repo, ".worktrees", id);
            await GitAsync(repo, null, "worktree", "add", "--quiet", "--detach", grade, head);
            await GitAsync(grade, Patch(id), "apply", "--binary", "-");
            var test = await ProcessRunner.RunAsync(new ProcessSpec("/bin/sh", ["-c", command])
            {
                WorkingDirectory = grade,
                Environment = new Dictionary<string, string?> { ["AMP_EVAL_INSTANCE_ID"] = id },
            }, (Func<OutputLine, LineDecision>?)null);
            if (!test.StandardOutput.Contains("ok 1 - t", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"raw test command failed: {test.StandardOutput}{test.StandardError}");
            }
            await GitAsync(repo, null, "worktree", "remove", "--force", grade);
        }
        return watch.Elapsed.TotalMilliseconds / cases;
    }

    private static async Task GitAsync(string directory, string? input, params string[] arguments)
    {
        var result = await ProcessRunner.RunAsync(new ProcessSpec("git", arguments) { WorkingDirectory = directory, StandardInput = input }, (Func<OutputLine, LineDecision>?)null);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', arguments)}: {result.StandardError}");
        }
    }

    private static string CreateRepository(string root)
    {
        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, "README.md"), "cases\n");
        TestRepository.GitIn(root, "init", "--quiet", "--initial-branch=main");
        TestRepository.GitIn(root, "add", "--all");
        TestRepository.GitIn(root, "commit", "--quiet", "-m", "base");
        return TestRepository.GitIn(root, "rev-parse", "HEAD").Trim();
    }

    private static Process Start(string data, params string[] arguments)
    {
        var cli = Path.Combine(typeof(EvalResumeBench).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "CliDirectory").Value!, "amp-sessions.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { cli }.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["AMP_SESSIONS_HOME"] = data;
        start.Environment["DOTNET_NOLOGO"] = "1";
        var process = Process.Start(start)!;
        // Drain the output so a full pipe never blocks the CLI.
        _ = process.StandardOutput.ReadToEndAsync();
        return process;
    }

    private static string? FindJournal(string data)
    {
        var batches = Path.Combine(data, "batches");
        return Directory.Exists(batches) ? Directory.EnumerateFiles(batches, "journal.jsonl", SearchOption.AllDirectories).FirstOrDefault() : null;
    }

    private static int Finished(string journal)
    {
        try
        {
            using var stream = new FileStream(journal, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd().Split('\n').Count(l => l.Contains("\"grade\":{", StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static string? Value(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}
