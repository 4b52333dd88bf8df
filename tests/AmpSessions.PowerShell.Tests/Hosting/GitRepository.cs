using System.Diagnostics;

namespace AmpSessions.PowerShell.Tests.Hosting;

/// <summary>Real git repositories for the tests, made with the git CLI (a test identity on the command line only).</summary>
public static class GitRepository
{
    public static string Create(string path)
    {
        Directory.CreateDirectory(Path.Combine(path, "src"));
        Git(path, "init", "--quiet", "--initial-branch=main");
        File.WriteAllText(Path.Combine(path, "README.md"), "# sample\n");
        File.WriteAllText(Path.Combine(path, "src", "greet.ts"), "export function hello(name: string): string {\n  return `Hello, ${name}`\n}\n");
        Git(path, "add", "--all");
        Git(path, "commit", "--quiet", "-m", "initial commit");
        return path;
    }

    /// <summary>Runs git in <paramref name="directory"/> with a test identity given for this call alone; returns stdout trimmed.</summary>
    public static string Git(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = directory };
        foreach (var argument in new[] { "-c", "user.name=Test User", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false" }.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var errorTask = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', arguments)} failed in {directory}: {errorTask.Result}");
        }
        return output.Trim();
    }

    public static void DeleteFolder(string path)
    {
        if (!Directory.Exists(path))
        {
            return;
        }
        // git writes read-only object files; clear the flag so Windows can delete them.
        foreach (var file in Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories))
        {
            File.SetAttributes(file, FileAttributes.Normal);
        }
        Directory.Delete(path, recursive: true);
    }
}
