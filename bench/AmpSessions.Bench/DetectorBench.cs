using System.Diagnostics;
using System.Globalization;
using AmpSessions.Core.Containment;

namespace AmpSessions.Bench;

/// <summary>
/// The main-checkout detector's cost per agent turn: the two fingerprints an iteration takes (before
/// and after the turn: one `git status` with every untracked file, one `for-each-ref`, and a SHA-256 of
/// every changed or untracked file) and their comparison, in process as an iteration runs them, against
/// one raw `git status --porcelain` process (what a person runs to see whether the checkout changed).
/// Measured on a clean checkout and on one with work in progress (modified and untracked files).
/// </summary>
public static class DetectorBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var files = int.Parse(Value(args, "--files") ?? "5000", CultureInfo.InvariantCulture);
        var runs = int.Parse(Value(args, "--runs") ?? "15", CultureInfo.InvariantCulture);
        using var repo = BenchRepository.Generate(files);
        Console.WriteLine($"  main checkout of {repo.TrackedFileCount()} files; {runs} runs each, after one warm-up");
        foreach (var dirty in new[] { false, true })
        {
            if (dirty)
            {
                // Work in progress: 50 modified tracked files and 20 untracked ones, all hashed by each fingerprint.
                foreach (var file in Directory.EnumerateFiles(Path.Combine(repo.Root, "src"), "*.ts", SearchOption.AllDirectories).Take(50))
                {
                    File.AppendAllText(file, "export const edited = 1;\n");
                }
                for (var i = 0; i < 20; i++)
                {
                    File.WriteAllText(Path.Combine(repo.Root, $"notes-{i}.md"), new string('x', 4096));
                }
            }
            var detector = new List<double>();
            var raw = new List<double>();
            for (var run = -1; run < runs; run++)
            {
                // Interleaved, alternating which goes first, so neither side always gets the warmer cache.
                var first = run % 2 == 0;
                var a = first ? await TimeDetectorAsync(repo.Root) : TimeRawStatus(repo);
                var b = first ? TimeRawStatus(repo) : await TimeDetectorAsync(repo.Root);
                if (run >= 0)
                {
                    detector.Add(first ? a : b);
                    raw.Add(first ? b : a);
                }
            }
            var label = dirty ? "with 50 modified and 20 untracked files" : "clean";
            Console.WriteLine($"  {label}:");
            Console.WriteLine($"    detector per turn (2 fingerprints + compare)  median {Median(detector),8:0.0} ms  (min {detector.Min():0.0})");
            Console.WriteLine($"    raw git: one git status --porcelain          median {Median(raw),8:0.0} ms  (min {raw.Min():0.0})");
            Console.WriteLine($"    ratio detector/raw git status: {Median(detector) / Median(raw):0.00}");
        }
        return 0;
    }

    private static async Task<double> TimeDetectorAsync(string root)
    {
        var clock = Stopwatch.StartNew();
        var before = await MainCheckoutFingerprint.CaptureAsync(root, "main", "git", CancellationToken.None);
        var after = await MainCheckoutFingerprint.CaptureAsync(root, "main", "git", CancellationToken.None);
        var changed = before!.Differences(after!, headExplained: false, baseExplained: false);
        clock.Stop();
        if (changed.Count != 0)
        {
            throw new InvalidOperationException("the checkout changed while it was measured: " + string.Join(", ", changed));
        }
        return clock.Elapsed.TotalMilliseconds;
    }

    private static double TimeRawStatus(BenchRepository repo)
    {
        var clock = Stopwatch.StartNew();
        repo.Git("status", "--porcelain");
        return clock.Elapsed.TotalMilliseconds;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string? Value(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}
