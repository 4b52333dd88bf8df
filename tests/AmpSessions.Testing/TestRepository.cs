using AmpSessions.Core.Git;
using AmpSessions.Core.Processes;

namespace AmpSessions.Testing;

/// <summary>A real git repository in a temp folder with one commit on main.</summary>
public sealed class TestRepository : IDisposable
{
    private readonly TempDirectory temp;

    public TestRepository(string folderName = "repo", bool initialCommit = true)
    {
        temp = new TempDirectory("amp-repo");
        Root = temp.Combine(folderName);
        Directory.CreateDirectory(Root);
        Git("init", "--quiet", "--initial-branch=main");
        if (initialCommit)
        {
            WriteFile("README.md", "# sample\n");
            WriteFile("src/greet.ts", "export function hello(name: string): string {\n  return `Hello, ${name}`\n}\n");
            CommitAll("initial commit");
        }
    }

    public string Root { get; }

    /// <summary>A folder beside the repository for data directories and other files.</summary>
    public string Scratch(string name)
    {
        var path = temp.Combine(name);
        Directory.CreateDirectory(path);
        return path;
    }

    public string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    public void WriteFile(string relativePath, string content)
    {
        var full = Path(relativePath);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
    }

    public string ReadFile(string relativePath) => File.ReadAllText(Path(relativePath));

    /// <summary>Runs git in the repository (with a test identity) and returns stdout, trimmed.</summary>
    public string Git(params string[] arguments) => GitIn(Root, arguments);

    /// <summary>
    /// The batch tests' small repository at <paramref name="root"/>: src/greet.ts exporting
    /// <c>hello</c>, one commit on main (the fake agent's success-edit renames it to greet).
    /// </summary>
    public static string CreateGreetRepository(string root)
    {
        Directory.CreateDirectory(System.IO.Path.Combine(root, "src"));
        File.WriteAllText(System.IO.Path.Combine(root, "src", "greet.ts"), "export function hello(name: string): string {\n  return `Hello, ${name}`\n}\n");
        GitIn(System.IO.Path.GetDirectoryName(root)!, "init", "--quiet", "--initial-branch=main", root);
        GitIn(root, "add", "--all");
        GitIn(root, "commit", "--quiet", "-m", "initial");
        return root;
    }

    public static string GitIn(string directory, params string[] arguments)
    {
        var args = new List<string> { "-c", "user.name=Test User", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false" };
        args.AddRange(arguments);
        var result = ProcessRunner.RunAsync(new ProcessSpec("git", args)
        {
            WorkingDirectory = directory,
            Environment = GitClient.NonInteractiveEnvironment,
        }).GetAwaiter().GetResult();
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', arguments)} failed ({result.ExitCode}): {result.StandardError}");
        }
        return result.StandardOutput.Trim();
    }

    public string CommitAll(string message)
    {
        Git("add", "--all");
        Git("commit", "--quiet", "-m", message);
        return Git("rev-parse", "HEAD");
    }

    public void Dispose() => temp.Dispose();
}
