using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using AmpSessions.Core;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Bench;

/// <summary>
/// Times the product's `new` (SessionManager.CreateAsync) against the raw git it needs
/// (`git branch` + `git worktree add`), interleaved run by run after a warm-up, and prints
/// medians, p90 and the ratio of medians. Cleanup between runs is outside the timed region.
/// </summary>
internal static class NewBenchmark
{
    public const double Target = 1.25;

    public static async Task<int> MainAsync(string[] args)
    {
        BenchOptions? options;
        try
        {
            options = BenchOptions.Parse(args);
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine($"bench: {ex.Message}\n{BenchOptions.Usage}");
            return 2;
        }
        if (options is null)
        {
            Console.Error.WriteLine(BenchOptions.Usage);
            return 2;
        }

        Console.WriteLine($"Generating a repository of {options.Files} files...");
        var repo = BenchRepository.Generate(options.Files);
        try
        {
            return await MeasureAsync(repo, options);
        }
        finally
        {
            if (options.Keep)
            {
                Console.WriteLine($"kept: {repo.Root}");
            }
            else
            {
                repo.Dispose();
            }
        }
    }

    private static async Task<int> MeasureAsync(BenchRepository repo, BenchOptions options)
    {
        Console.WriteLine($"  {repo.Root}: {repo.TrackedFileCount()} tracked files");
        var dataDirectory = Path.Combine(repo.Scratch, "data");
        // One context for all runs, as a PowerShell pipeline or a long-lived front end would hold it.
        var context = AmpContext.Open(new AmpContextOptions { DataDirectory = dataDirectory });
        var manager = new SessionManager(context);

        await ReportGitCallsAsync(repo, dataDirectory);

        var product = new List<TimeSpan>();
        var raw = new List<TimeSpan>();
        var cli = new List<TimeSpan>();
        var total = options.Warmup + options.Runs;
        for (var run = 0; run < total; run++)
        {
            var measured = run >= options.Warmup;
            // Rotate which goes first, so none always runs on a warmer cache.
            var sides = options.Cli ? 3 : 2;
            for (var turn = 0; turn < sides; turn++)
            {
                // Each side starts once the disk has written back the worktree the side before made and removed.
                await DiskWriteBack.WaitAsync();
                switch ((turn + run) % sides)
                {
                    case 0:
                    {
                        var elapsed = await TimeProductAsync(manager, repo.Root, run);
                        if (measured) product.Add(elapsed);
                        RemoveSessions(repo, context);
                        break;
                    }
                    case 1:
                    {
                        var elapsed = TimeRawGit(repo, run);
                        if (measured) raw.Add(elapsed);
                        RemoveRaw(repo, run);
                        break;
                    }
                    default:
                    {
                        var elapsed = await TimeCliAsync(options.CliPath, repo.Root, dataDirectory, run);
                        if (measured) cli.Add(elapsed);
                        RemoveSessions(repo, context);
                        break;
                    }
                }
            }
            Console.Write(measured ? "." : "w");
        }
        Console.WriteLine();

        Console.WriteLine();
        Console.WriteLine($"{options.Runs} runs after {options.Warmup} warm-up, {options.Files} files, {Environment.ProcessorCount} cores:");
        Console.WriteLine($"  {"",-38} {"median",9} {"p90",9} {"min",9}");
        Print("raw git (branch + worktree add)", raw);
        Print("new (SessionManager.CreateAsync)", product);
        if (options.Cli)
        {
            Print("CLI process (amp-sessions new)", cli);
        }
        var ratio = Median(product).TotalMilliseconds / Median(raw).TotalMilliseconds;
        // Each run times both side by side, so the paired difference is the product's own cost with
        // less of the machine's noise in it than either time alone.
        var overhead = product.Zip(raw, (p, r) => p - r).ToList();
        Console.WriteLine($"  {"overhead of new (paired new - raw)",-38} {Ms(Median(overhead)),9} {Ms(Percentile(overhead, 0.9)),9} {Ms(overhead.Min()),9}");
        Console.WriteLine();
        Console.WriteLine($"ratio new/raw (medians): {ratio.ToString("0.00", CultureInfo.InvariantCulture)}  (target <= {Target.ToString("0.00", CultureInfo.InvariantCulture)}: {(ratio <= Target ? "met" : "NOT met")})");
        if (options.Cli)
        {
            Console.WriteLine($"ratio CLI/raw (medians): {(Median(cli).TotalMilliseconds / Median(raw).TotalMilliseconds).ToString("0.00", CultureInfo.InvariantCulture)}  (the whole process, start-up included; target <= {Target.ToString("0.00", CultureInfo.InvariantCulture)})");
        }
        return 0;
    }

    private static string WorktreePath(string root, string name) => Path.Combine(root, SessionManager.WorktreesFolder, name);

    private static async Task<TimeSpan> TimeProductAsync(SessionManager manager, string root, int run)
    {
        var request = new NewSessionRequest { RepoPath = root, BaseBranch = "main", Name = $"bench run {run}", Prompt = "benchmark" };
        var clock = Stopwatch.StartNew();
        await manager.CreateAsync(request);
        return clock.Elapsed;
    }

    private static TimeSpan TimeRawGit(BenchRepository repo, int run)
    {
        var branch = $"bench/raw-{run}";
        var clock = Stopwatch.StartNew();
        repo.Git("branch", branch, "main");
        repo.Git("worktree", "add", "--quiet", WorktreePath(repo.Root, $"raw-{run}"), branch);
        return clock.Elapsed;
    }

    private static async Task<TimeSpan> TimeCliAsync(string? cliPath, string root, string dataDirectory, int run)
    {
        var cli = cliPath ?? Path.GetFullPath(Path.Combine(
            typeof(NewBenchmark).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "CliDirectory").Value!, "amp-sessions.dll"));
        // A .dll runs on `dotnet` (the JIT build); anything else is an executable (the native AOT build).
        var onDotnet = cli.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
        var startInfo = new ProcessStartInfo(onDotnet ? "dotnet" : cli)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (onDotnet)
        {
            startInfo.ArgumentList.Add(cli);
        }
        foreach (var argument in new[] { "new", "--repo", root, "--base", "main", "--name", $"bench cli {run}", "--prompt", "benchmark", "--data-dir", dataDirectory })
        {
            startInfo.ArgumentList.Add(argument);
        }
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(startInfo)!;
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        var elapsed = clock.Elapsed;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"the CLI failed: {await stderr}");
        }
        return elapsed;
    }

    private static void RemoveSessions(BenchRepository repo, AmpContext context)
    {
        foreach (var session in context.Sessions.List())
        {
            repo.Git("worktree", "remove", "--force", session.WorktreePath);
            repo.Git("branch", "-D", session.BranchName);
            context.Sessions.Delete(session.Id);
        }
    }

    private static void RemoveRaw(BenchRepository repo, int run)
    {
        repo.Git("worktree", "remove", "--force", WorktreePath(repo.Root, $"raw-{run}"));
        repo.Git("branch", "-D", $"bench/raw-{run}");
    }

    /// <summary>
    /// Runs `new` through a git that logs its arguments and start/end times, and prints the last of
    /// three runs (warm) as a timeline: the gaps between git calls are the product's own work
    /// (store, lock, exclude file). The logging adds a few milliseconds to each git call.
    /// </summary>
    private static async Task ReportGitCallsAsync(BenchRepository repo, string dataDirectory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        var log = Path.Combine(repo.Scratch, "git-calls.log");
        var wrapper = Path.Combine(repo.Scratch, "timing-git");
        File.WriteAllText(wrapper,
            "#!/bin/sh\n" +
            "start=$(date +%s%N)\n" +
            "git \"$@\"\n" +
            "code=$?\n" +
            $"printf '%s %s %s\\n' \"$start\" \"$(date +%s%N)\" \"$*\" >> '{log}'\n" +
            "exit $code\n");
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var context = AmpContext.Open(new AmpContextOptions { DataDirectory = dataDirectory, GitExecutable = wrapper });
        var manager = new SessionManager(context);
        string[] calls = [];
        long began = 0;
        TimeSpan total = default;
        for (var run = 0; run < 3; run++)
        {
            File.Delete(log);
            began = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;
            var clock = Stopwatch.StartNew();
            await manager.CreateAsync(new NewSessionRequest { RepoPath = repo.Root, BaseBranch = "main", Name = "count git calls", Prompt = "p" });
            total = clock.Elapsed;
            calls = File.ReadAllLines(log);
            RemoveSessions(repo, context);
        }
        Console.WriteLine($"git calls in one `new` ({calls.Length}; the raw baseline makes 2), warm, {Ms(total)} in all:");
        Console.WriteLine($"  {"start",9} {"took",9}");
        foreach (var call in calls)
        {
            var parts = call.Split(' ', 3);
            var start = (long.Parse(parts[0], CultureInfo.InvariantCulture) - began) / 1e6;
            var took = (long.Parse(parts[1], CultureInfo.InvariantCulture) - long.Parse(parts[0], CultureInfo.InvariantCulture)) / 1e6;
            Console.WriteLine($"  {start.ToString("0.0", CultureInfo.InvariantCulture),6} ms {took.ToString("0.0", CultureInfo.InvariantCulture),6} ms  git {parts[2]}");
        }
    }

    private static TimeSpan Median(List<TimeSpan> values) => Percentile(values, 0.5);

    private static TimeSpan Percentile(List<TimeSpan> values, double p)
    {
        var sorted = values.Order().ToArray();
        // Nearest rank, so with 10 runs p90 is the 9th value.
        var rank = (int)Math.Ceiling(p * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }

    private static void Print(string label, List<TimeSpan> values) =>
        Console.WriteLine($"  {label,-38} {Ms(Median(values)),9} {Ms(Percentile(values, 0.9)),9} {Ms(values.Min()),9}");

    private static string Ms(TimeSpan t) => t.TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture) + " ms";
}
