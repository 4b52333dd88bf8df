using System.Diagnostics;
using System.Globalization;
using AmpSessions.Core;
using AmpSessions.Core.Batches;
using AmpSessions.Core.Processes;
using AmpSessions.Testing;

namespace AmpSessions.Bench;

/// <summary>
/// A batch of N items with an instant agent (a shell script that prints Amp's stream and writes one
/// file), run one at a time so its wall time per item is the orchestration cost per item, against
/// the raw git lifecycle each item needs (worktree add, commit, worktree remove) timed the same way.
/// Run for several sizes, it also shows whether the cost per item stays flat as the batch grows.
/// </summary>
public static class BatchBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var sizes = (Value(args, "--items") ?? "50,500").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var repositories = int.Parse(Value(args, "--repos") ?? "10", CultureInfo.InvariantCulture);
        var concurrency = int.Parse(Value(args, "--concurrency") ?? "1", CultureInfo.InvariantCulture);
        Console.WriteLine($"Batch bench: sizes {string.Join(", ", sizes)} items over {repositories} repositories, concurrency {concurrency}, instant agent.");
        Console.WriteLine("| items | raw git per item | batch per item | ratio | batch total |");
        Console.WriteLine("|---|---|---|---|---|");
        var perItem = new List<double>();
        foreach (var size in sizes)
        {
            using var temp = new TempDirectory("amp-bench-batch");
            var repos = Enumerable.Range(0, repositories).Select(i => CreateRepository(temp.Combine($"repo-{i:D2}"))).ToArray();
            var agent = WriteInstantAgent(temp.Combine("instant-agent.sh"));
            var raw = await RawLifecycleAsync(repos, size);
            var file = WriteBatch(temp.Combine("batch.yaml"), agent, repos, size / repositories, concurrency);
            var context = AmpContext.Open(temp.Combine("data"));
            var watch = Stopwatch.StartNew();
            var result = await new BatchService(context).RunAsync(new BatchRunRequest { FilePath = file });
            watch.Stop();
            if (result.Passed != result.Total)
            {
                Console.Error.WriteLine($"bench: {result.Total - result.Passed} of {result.Total} items did not pass; see {result.JournalPath}");
                return 1;
            }
            var batchPerItem = watch.Elapsed.TotalMilliseconds / result.Total;
            perItem.Add(batchPerItem);
            Console.WriteLine($"| {result.Total} | {raw:0.0} ms | {batchPerItem:0.0} ms | {batchPerItem / raw:0.00} | {watch.Elapsed.TotalSeconds:0.0} s |");
        }
        if (perItem.Count > 1)
        {
            Console.WriteLine($"Cost per item, largest batch against smallest: {perItem[^1] / perItem[0]:0.00} (1.00 is flat).");
        }
        return 0;
    }

    /// <summary>What every item needs of git, done directly: worktree add with a new branch, one commit, worktree remove.</summary>
    private static async Task<double> RawLifecycleAsync(IReadOnlyList<string> repos, int items)
    {
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < items; i++)
        {
            var repo = repos[i % repos.Count];
            var worktree = Path.Combine(repo, ".worktrees", $"raw-{i}");
            await GitAsync(repo, "worktree", "add", "--quiet", "-b", $"raw/{i}", worktree, "main");
            await File.WriteAllTextAsync(Path.Combine(worktree, "instant.txt"), $"item {i}\n");
            await GitAsync(worktree, "add", "--all");
            await GitAsync(worktree, "-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "--quiet", "-m", "amp: instant");
            await GitAsync(repo, "worktree", "remove", worktree);
        }
        return watch.Elapsed.TotalMilliseconds / items;
    }

    private static async Task GitAsync(string directory, params string[] arguments)
    {
        var result = await ProcessRunner.RunAsync(new ProcessSpec("git", arguments) { WorkingDirectory = directory }, (Func<OutputLine, LineDecision>?)null);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', arguments)}: {result.StandardError}");
        }
    }

    private static string CreateRepository(string root)
    {
        Directory.CreateDirectory(Path.Combine(root, "src"));
        for (var i = 0; i < 20; i++)
        {
            File.WriteAllText(Path.Combine(root, "src", $"file{i:D2}.ts"), $"export const value{i} = {i};\n");
        }
        TestRepository.GitIn(root, "init", "--quiet", "--initial-branch=main");
        TestRepository.GitIn(root, "add", "--all");
        TestRepository.GitIn(root, "commit", "--quiet", "-m", "initial");
        return root;
    }

    /// <summary>A shell script that speaks the stream protocol at once: init, prompt echo, one usage-bearing message, a file written, success.</summary>
    private static string WriteInstantAgent(string path)
    {
        File.WriteAllText(path, """
            #!/bin/sh
            cat > /dev/null
            t="T-00000000-0000-4000-8000-$(printf '%012d' $$)"
            printf '{"type":"system","subtype":"init","cwd":"%s","session_id":"%s","tools":["edit_file"],"mcp_servers":[]}\n' "$PWD" "$t"
            printf '{"type":"assistant","message":{"type":"message","role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"create_file","input":{}}],"stop_reason":"tool_use","usage":{"input_tokens":5,"output_tokens":7}},"parent_tool_use_id":null,"session_id":"%s"}\n' "$t"
            echo "instant" > instant.txt
            printf '{"type":"result","subtype":"success","duration_ms":1,"is_error":false,"num_turns":1,"result":"Wrote instant.txt.","session_id":"%s"}\n' "$t"
            """.Replace("\r\n", "\n"));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        return path;
    }

    private static string WriteBatch(string path, string agent, IReadOnlyList<string> repos, int promptsPerRepo, int concurrency)
    {
        var prompts = string.Join(", ", Enumerable.Range(1, promptsPerRepo).Select(i => $"\"Write instant.txt ({i})\""));
        var repositories = string.Join(", ", repos.Select(r => $"\"{r}\""));
        File.WriteAllText(path, $$"""
            version: 3
            metadata:
              name: "bench"
            execution:
              concurrency: {{concurrency}}
              timeout_sec: 300
            agents:
              - id: instant
                command: ["/bin/sh", "{{agent}}"]
            tasks:
              - id: write
                type: batch
                prompts: [{{prompts}}]
                repositories: [{{repositories}}]
            """);
        return path;
    }

    private static string? Value(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}
