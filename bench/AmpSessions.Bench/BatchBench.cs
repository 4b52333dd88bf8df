using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using AmpSessions.Core;
using AmpSessions.Core.Batches;
using AmpSessions.Core.Processes;
using AmpSessions.Testing;

namespace AmpSessions.Bench;

/// <summary>
/// A batch of N items with an instant agent (a shell script that reads its prompt, prints Amp's
/// stream and writes one file) against the raw lifecycle each item needs, done with the same agent
/// and the same concurrency: `git worktree add -b`, the agent process, `git add --all`, `git commit`,
/// `git worktree remove`. Raw and batch runs alternate (raw first in odd rounds, batch first in even
/// ones) on fresh repositories, and the medians of the rounds are compared. The batch runs in this
/// process (`BatchService`, as a long-lived front end holds it) or, with --cli, as the CLI process a
/// user starts (`dotnet amp-sessions.dll batch run`), which also lets an older build be measured by
/// the same harness.
/// </summary>
public static class BatchBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var sizes = (Value(args, "--items") ?? "50,500").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var repositories = int.Parse(Value(args, "--repos") ?? "10", CultureInfo.InvariantCulture);
        var concurrency = int.Parse(Value(args, "--concurrency") ?? "1", CultureInfo.InvariantCulture);
        var rounds = int.Parse(Value(args, "--rounds") ?? "1", CultureInfo.InvariantCulture);
        var noRaw = args.Contains("--no-raw");
        if (Value(args, "--limit-seconds") is { } limitText)
        {
            return await ThroughputAsync(sizes[0], repositories, concurrency, TimeSpan.FromSeconds(int.Parse(limitText, CultureInfo.InvariantCulture)));
        }
        var cli = Value(args, "--cli") is { } given ? (given == "default" ? DefaultCli() : Path.GetFullPath(given)) : null;
        Console.WriteLine($"Batch bench: {string.Join(", ", sizes)} items over {repositories} repositories, concurrency {concurrency}, {rounds} round(s), instant agent, " +
            (cli is null ? "batch in this process." : $"batch as the CLI process ({cli})."));
        Console.WriteLine("| items | concurrency | raw lifecycle per item | batch per item | ratio | batch total | batch items/s |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        var perItem = new List<double>();
        var rawPerItem = new List<double>();
        foreach (var size in sizes)
        {
            var raw = new List<double>();
            var batch = new List<double>();
            for (var round = 0; round < rounds; round++)
            {
                // Alternate which side goes first, so neither always meets the warmer caches.
                var rawFirst = round % 2 == 0;
                if (rawFirst && !noRaw)
                {
                    raw.Add(await TimeRawAsync(size, repositories, concurrency));
                }
                var batchTime = await TimeBatchAsync(size, repositories, concurrency, cli);
                if (batchTime is null)
                {
                    return 1;
                }
                batch.Add(batchTime.Value);
                if (!rawFirst && !noRaw)
                {
                    raw.Add(await TimeRawAsync(size, repositories, concurrency));
                }
            }
            var batchMedian = Median(batch);
            var rawMedian = noRaw ? double.NaN : Median(raw);
            perItem.Add(batchMedian / size);
            rawPerItem.Add(rawMedian / size);
            Console.WriteLine($"| {size} | {concurrency} | {(noRaw ? "-" : $"{rawMedian / size:0.0} ms")} | {batchMedian / size:0.0} ms | " +
                $"{(noRaw ? "-" : $"{batchMedian / rawMedian:0.00}")} | {batchMedian / 1000:0.0} s | {size / (batchMedian / 1000):0.0} |");
            if (rounds > 1)
            {
                Console.WriteLine($"  rounds, ms per item (raw / batch): {string.Join(", ", raw.Zip(batch, (r, b) => $"{r / size:0.0}/{b / size:0.0}"))}");
                // The row's ratio sets the median batch against the median raw run, which with an even count of
                // rounds are the larger of each and may come from different rounds; each round's raw and batch
                // runs sit next to each other, so their ratio shows how much of a difference between rows is noise.
                if (!noRaw)
                {
                    var paired = raw.Zip(batch, (r, b) => b / r).ToList();
                    Console.WriteLine($"  ratio per round (batch / raw of the same round): {string.Join(", ", paired.Select(p => $"{p:0.00}"))}; " +
                        $"mean {paired.Average():0.00}");
                }
            }
        }
        if (perItem.Count > 1)
        {
            Console.WriteLine($"Cost per item, largest batch against smallest: {perItem[^1] / perItem[0]:0.00} (1.00 is flat; target <= 1.05).");
            if (!noRaw)
            {
                // A reference, not the target: the raw lifecycle's own cost per item between the same sizes. It shows how
                // much of the figure above the repositories' growth and the machine's drift account for.
                Console.WriteLine($"Raw lifecycle per item, largest batch against smallest: {rawPerItem[^1] / rawPerItem[0]:0.00} (reference).");
            }
        }
        return 0;
    }

    private static async Task<double?> TimeBatchAsync(int size, int repositories, int concurrency, string? cli)
    {
        using var temp = new TempDirectory("amp-bench-batch");
        var repos = Enumerable.Range(0, repositories).Select(i => CreateRepository(temp.Combine($"repo-{i:D2}"))).ToArray();
        var agent = WriteInstantAgent(temp.Combine("instant-agent.sh"));
        var file = WriteBatch(temp.Combine("batch.yaml"), agent, repos, size, concurrency);
        var data = temp.Combine("data");
        // Each side starts once the disk has written back the side before (its worktrees, made and removed) and this
        // side's repositories: in the eleventh table run the raw lifecycle moved 109-134 ms per item from round to round.
        await DiskWriteBack.WaitAsync();
        var watch = Stopwatch.StartNew();
        if (cli is not null)
        {
            // A .dll runs under dotnet (the JIT build); anything else is an executable (the native AOT CLI).
            var command = cli.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? new ProcessSpec("dotnet", [cli, "batch", "run", file]) : new ProcessSpec(cli, ["batch", "run", file]);
            var run = await ProcessRunner.RunAsync(command with
            {
                Environment = new Dictionary<string, string?> { ["AMP_SESSIONS_HOME"] = data },
            }, (Func<OutputLine, LineDecision>?)null);
            watch.Stop();
            if (run.ExitCode != 0)
            {
                Console.Error.WriteLine($"bench: the CLI batch failed (exit {run.ExitCode}): {run.StandardErrorTail(5)}");
                return null;
            }
            return watch.Elapsed.TotalMilliseconds;
        }
        // Lock contention, measured: every wait for a repository lock (the core's amp_sessions.repository_lock.wait metric).
        var waits = new List<double>();
        using var listener = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == Telemetry.MeterName && instrument.Name is "amp_sessions.repository_lock.wait" or "amp_sessions.containment.examined")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((_, value, _, _) =>
        {
            lock (waits)
            {
                waits.Add(value);
            }
        });
        // Processes whose environment the containment sweeps read (amp_sessions.containment.examined).
        long examined = 0;
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref examined, value));
        listener.Start();
        var result = await new BatchService(AmpContext.Open(data)).RunAsync(new BatchRunRequest { FilePath = file });
        watch.Stop();
        lock (waits)
        {
            Console.WriteLine($"  repository lock (in process): {waits.Count} acquisitions, waited {waits.Sum():0} ms in all " +
                $"({(waits.Count == 0 ? 0 : waits.Sum() / size):0.0} ms per item, max {(waits.Count == 0 ? 0 : waits.Max()):0} ms) over {watch.Elapsed.TotalMilliseconds:0} ms");
            Console.WriteLine($"  containment sweeps read the environment of {(double)Interlocked.Read(ref examined) / size:0.0} processes per item");
        }
        if (result.Passed != result.Total || result.Total != size)
        {
            Console.Error.WriteLine($"bench: {result.Total - result.Passed} of {result.Total} items did not pass; see {result.JournalPath}");
            return null;
        }
        return watch.Elapsed.TotalMilliseconds;
    }

    /// <summary>
    /// A large batch (10,000 items) run in this process for a limited time, then stopped as `batch stop`
    /// would: how many items finished per second, and how long each took from its start to its end.
    /// </summary>
    private static async Task<int> ThroughputAsync(int size, int repositories, int concurrency, TimeSpan limit)
    {
        using var temp = new TempDirectory("amp-bench-throughput");
        var repos = Enumerable.Range(0, repositories).Select(i => CreateRepository(temp.Combine($"repo-{i:D2}"))).ToArray();
        var agent = WriteInstantAgent(temp.Combine("instant-agent.sh"));
        var file = WriteBatch(temp.Combine("batch.yaml"), agent, repos, size, concurrency);
        using var stop = new CancellationTokenSource(limit);
        var watch = Stopwatch.StartNew();
        var result = await new BatchService(AmpContext.Open(temp.Combine("data"))).RunAsync(new BatchRunRequest { FilePath = file }, cancellationToken: stop.Token);
        watch.Stop();
        var finished = result.Ran.Where(r => r.Status.IsFinished()).ToList();
        var durations = finished.Select(r => r.Duration.TotalMilliseconds).Order().ToList();
        Console.WriteLine($"Throughput: a {size}-item batch at concurrency {concurrency} over {repositories} repositories, stopped after {limit.TotalSeconds:0} s " +
            $"(ran {watch.Elapsed.TotalSeconds:0.0} s): {finished.Count} items finished ({finished.Count(r => r.Status == BatchItemStatus.Passed)} passed), " +
            $"{finished.Count / watch.Elapsed.TotalSeconds:0.0} items/s; per item (start to end) median {Percentile(durations, 0.5):0} ms, p90 {Percentile(durations, 0.9):0} ms, " +
            $"max {(durations.Count == 0 ? 0 : durations[^1]):0} ms.");
        return 0;
    }

    private static double Percentile(List<double> sorted, double fraction) =>
        sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(fraction * sorted.Count) - 1)];

    /// <summary>What every item needs, done directly with the same agent and concurrency: worktree add with a new branch, the agent, add, commit, worktree remove.</summary>
    private static async Task<double> TimeRawAsync(int size, int repositories, int concurrency)
    {
        using var temp = new TempDirectory("amp-bench-raw");
        var repos = Enumerable.Range(0, repositories).Select(i => CreateRepository(temp.Combine($"repo-{i:D2}"))).ToArray();
        var agent = WriteInstantAgent(temp.Combine("instant-agent.sh"));
        var next = -1;
        // Raw git cannot add and remove worktrees of one repository at once: a `worktree remove` that meets
        // another's half-made entry fails ("failed to read .git/worktrees/<x>/commondir"). So, as the
        // product's repository lock does, those two steps take turns per repository; the rest overlaps.
        var registry = repos.ToDictionary(r => r, _ => new SemaphoreSlim(1, 1));
        await DiskWriteBack.WaitAsync();
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Math.Max(1, concurrency)).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < size; i = Interlocked.Increment(ref next))
            {
                var repo = repos[i % repos.Length];
                var worktree = Path.Combine(repo, ".worktrees", $"raw-{i}");
                await registry[repo].WaitAsync();
                try
                {
                    await GitAsync(repo, "worktree", "add", "--quiet", "-b", $"raw/{i}", worktree, "main");
                }
                finally
                {
                    registry[repo].Release();
                }
                var turn = await ProcessRunner.RunAsync(new ProcessSpec("/bin/sh", [agent]) { WorkingDirectory = worktree, StandardInput = $"Write instant.txt ({i})" },
                    (Func<OutputLine, LineDecision>?)null);
                if (turn.ExitCode != 0)
                {
                    throw new InvalidOperationException($"the agent failed: {turn.StandardError}");
                }
                await GitAsync(worktree, "add", "--all");
                await GitAsync(worktree, "-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "--quiet", "-m", "amp: instant");
                await registry[repo].WaitAsync();
                try
                {
                    await GitAsync(repo, "worktree", "remove", worktree);
                }
                finally
                {
                    registry[repo].Release();
                }
            }
        }))).ConfigureAwait(false);
        return watch.Elapsed.TotalMilliseconds;
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
        TestRepository.GitIn(root, "config", "user.name", "bench");
        TestRepository.GitIn(root, "config", "user.email", "bench@example.com");
        return root;
    }

    /// <summary>A shell script that speaks the stream protocol at once: it reads the prompt, prints init, one usage-bearing message, writes a file, then success.</summary>
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

    /// <summary>One task with as many prompts as it takes, over the repositories: items = prompts × repositories, trimmed to the size by the last prompt count.</summary>
    private static string WriteBatch(string path, string agent, IReadOnlyList<string> repos, int size, int concurrency)
    {
        var promptsPerRepo = Math.Max(1, size / repos.Count);
        var prompts = string.Join(", ", Enumerable.Range(1, promptsPerRepo).Select(i => $"\"Write instant.txt ({i})\""));
        var repositories = string.Join(", ", repos.Take(Math.Min(repos.Count, size)).Select(r => $"\"{r}\""));
        File.WriteAllText(path, $$"""
            version: 3
            metadata:
              name: "bench"
            execution:
              concurrency: {{concurrency}}
              timeout_sec: 3600
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

    private static string DefaultCli() => Path.Combine(
        typeof(BatchBench).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "CliDirectory").Value!, "amp-sessions.dll");

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static string? Value(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}
