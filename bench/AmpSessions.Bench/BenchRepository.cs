using System.Diagnostics;
using System.Text;

namespace AmpSessions.Bench;

/// <summary>A generated repository of nested folders and text files, committed on main.</summary>
internal sealed class BenchRepository : IDisposable
{
    private BenchRepository(string root, string scratch)
    {
        Root = root;
        Scratch = scratch;
    }

    public string Root { get; }
    /// <summary>A folder beside the repository for the data directory and helper scripts.</summary>
    public string Scratch { get; }

    public static BenchRepository Generate(int fileCount)
    {
        var top = Path.Combine(Path.GetTempPath(), $"amp-bench-{Guid.NewGuid():N}"[..21]);
        var root = Path.Combine(top, "repo");
        var scratch = Path.Combine(top, "scratch");
        Directory.CreateDirectory(root);
        Directory.CreateDirectory(scratch);
        // About 25 files per folder, three levels deep, a few hundred bytes each, like a source tree.
        var random = new Random(42);
        for (var i = 0; i < fileCount; i++)
        {
            var folder = Path.Combine(root, "src", $"area{i / 1000:D2}", $"module{i / 100 % 10:D2}", $"part{i / 25 % 4}");
            Directory.CreateDirectory(folder);
            var text = new StringBuilder();
            var lines = 8 + random.Next(24);
            for (var line = 0; line < lines; line++)
            {
                text.Append("export const value").Append(line).Append(" = ").Append(random.Next()).Append(";\n");
            }
            File.WriteAllText(Path.Combine(folder, $"file{i:D5}.ts"), text.ToString());
        }
        File.WriteAllText(Path.Combine(root, "README.md"), "# benchmark repository\n");
        var repo = new BenchRepository(root, scratch);
        repo.Git("init", "--quiet", "--initial-branch=main");
        repo.Git("add", "--all");
        repo.Git("-c", "user.name=Bench", "-c", "user.email=bench@example.com", "commit", "--quiet", "-m", "generated");
        return repo;
    }

    /// <summary>Runs git the plainest way (the baseline): a process, output read and dropped, exit code checked.</summary>
    public void Git(params string[] arguments)
    {
        var startInfo = new ProcessStartInfo("git")
        {
            WorkingDirectory = Root,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        using var process = Process.Start(startInfo)!;
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', arguments)} failed: {stderr.Result}");
        }
    }

    public int TrackedFileCount()
    {
        var startInfo = new ProcessStartInfo("git", ["ls-files", "-z"]) { WorkingDirectory = Root, RedirectStandardOutput = true };
        using var process = Process.Start(startInfo)!;
        var count = process.StandardOutput.ReadToEnd().Count(c => c == '\0');
        process.WaitForExit();
        return count;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path.GetDirectoryName(Root)!, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
