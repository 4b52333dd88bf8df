using System.Text;
using System.Text.RegularExpressions;
using AmpSessions.Core.Processes;
using AmpSessions.Testing;

namespace AmpSessions.Cli.Tests;

/// <summary>
/// The API key and token-shaped values never reach logs, the database, error messages or --json
/// output, and .env files are never opened.
/// </summary>
public sealed partial class SecretsTests : IDisposable
{
    private readonly CliSessionBed bed = new();
    private readonly string key = "sgamp_test_" + Guid.NewGuid().ToString("N");
    private readonly List<CliResult> outputs = [];

    public SecretsTests()
    {
        bed.Cli.Environment["AMP_API_KEY"] = key;
        // The fake refuses to work without the key, which proves the key does reach the agent.
        bed.Cli.Environment["FAKE_AMP_REQUIRE_KEY"] = "1";
        bed.Cli.Environment["AMP_SESSIONS_NOTIFICATIONS"] = "0";
    }

    public void Dispose() => bed.Dispose();

    private async Task<CliResult> RunAsync(params string[] arguments)
    {
        var result = await bed.RunAsync(arguments);
        outputs.Add(result);
        return result;
    }

    private string Scenario(string name, string json)
    {
        var path = Path.Combine(bed.Repo.Scratch("scenarios"), name + ".json");
        File.WriteAllText(path, json.Replace("KEY", key));
        return "script:" + path;
    }

    [Fact]
    public async Task A_whole_session_with_an_agent_that_prints_the_key_writes_it_nowhere()
    {
        var leaky = Scenario("leaky", """
            {"steps": [
              {"stderr": "debug: using key KEY"},
              {"raw": "token dump: KEY"},
              {"text": "Your key is KEY, by the way.", "usage": {"input_tokens": 1, "output_tokens": 2}},
              {"toolUse": {"name": "Bash", "input": {"cmd": "echo KEY"}}, "result": "KEY"},
              {"toolUse": {"name": "edit_file", "input": {"path": "$CWD/src/greet.ts", "old_str": "hello", "new_str": "greet"}}, "result": "ok"},
              {"success": "Done; authenticated with KEY."}
            ]}
            """);
        var failing = Scenario("failing", """{"steps": [{"error": "The server rejected KEY"}]}""");
        var crashing = Scenario("crashing", """{"steps": [{"stderr": "fatal: bad credentials KEY"}, {"exit": 2}]}""");
        var id = await bed.NewSessionAsync("--script", "echo \"script sees $AMP_API_KEY\"; echo \"and $AMP_API_KEY\" >&2");

        bed.Scenario = leaky;
        var succeeded = await RunAsync("iterate", id, "--json");
        await RunAsync("iterate", id);
        bed.Scenario = failing;
        var failed = await RunAsync("iterate", id, "--json");
        bed.Scenario = crashing;
        var crashed = await RunAsync("iterate", id);
        await RunAsync("run", id);
        await RunAsync("run", id, "--json");
        foreach (var command in new[] { "iterations", "timeline", "status", "diff" })
        {
            await RunAsync(command, id);
            await RunAsync(command, id, "--json");
        }
        await RunAsync("list", "--json");
        var unknown = await RunAsync("iterate", key, "--json");
        var refused = await RunAsync("set", id, "--env", $"AMP_API_KEY={key}", "--json");

        // The runs did what they should, so there was something to leak.
        Assert.True(succeeded.ExitCode == 0, succeeded.ToString());
        Assert.Equal("Failed", CliSessionBed.Json(failed).GetProperty("status").GetString());
        Assert.Contains("The server rejected [REDACTED]", failed.StandardOutput);
        Assert.Contains("fatal: bad credentials [REDACTED]", crashed.StandardOutput);
        Assert.Contains("Your key is [REDACTED], by the way.", outputs[1].StandardOutput);
        Assert.Equal("AmpSessionNotFound", CliSessionBed.Json(unknown).GetProperty("error").GetProperty("id").GetString());
        Assert.Equal("AmpSecretNotStored", CliSessionBed.Json(refused).GetProperty("error").GetProperty("id").GetString());
        Assert.All(bed.Invocations, call => Assert.True(call.ApiKeySet));
        Assert.Equal(4, bed.Invocations.Count);

        var secretPart = key["sgamp_test_".Length..];
        foreach (var output in outputs)
        {
            Assert.DoesNotContain(secretPart, output.StandardOutput);
            Assert.DoesNotContain(secretPart, output.StandardError);
        }
        var files = Directory.EnumerateFiles(bed.DataDirectory, "*", SearchOption.AllDirectories).ToArray();
        Assert.Contains(files, f => f.EndsWith("amp-sessions.db", StringComparison.Ordinal));
        Assert.Contains(files, f => f.EndsWith("iteration-1.jsonl", StringComparison.Ordinal));
        Assert.Contains(files, f => Path.GetFileName(f).StartsWith("script-", StringComparison.Ordinal));
        foreach (var file in files)
        {
            var bytes = File.ReadAllBytes(file);
            Assert.False(Contains(bytes, Encoding.UTF8.GetBytes(secretPart)), $"{file} holds the key");
            Assert.False(Contains(bytes, Encoding.Unicode.GetBytes(secretPart)), $"{file} holds the key (UTF-16)");
        }
        // The commit the agent's final message named says nothing of the key either.
        Assert.DoesNotContain(secretPart, TestRepository.GitIn(bed.Worktree(id), "log", "--format=%B"));
        Assert.Contains("[REDACTED]", File.ReadAllText(Path.Combine(bed.DataDirectory, "logs", id, "iteration-1.jsonl")));
    }

    [Fact]
    [Trait("Platform", "Linux")]
    public async Task Env_files_are_never_opened()
    {
        bed.Repo.WriteFile(".gitignore", ".env\n");
        bed.Repo.CommitAll("ignore .env");
        var secretLine = $"AMP_API_KEY={key}\n";
        bed.Repo.WriteFile(".env", secretLine);
        var id = await bed.NewSessionAsync("--script", "grep -q 'function greet' src/greet.ts");
        File.WriteAllText(Path.Combine(bed.Worktree(id), ".env"), secretLine);
        bed.Scenario = "success-edit";
        string[][] commands = [["iterate", id], ["run", id], ["diff", id], ["status", id], ["timeline", id], ["commit", id, "-m", "nothing"]];
        var envFiles = new[] { bed.Repo.Path(".env"), Path.Combine(bed.Worktree(id), ".env") };

        if (ExecutableLocator.Find("strace") is { } strace)
        {
            // Every open by the CLI, git, the agent and the script, whatever the reason.
            var traces = bed.Repo.Scratch("trace");
            foreach (var command in commands)
            {
                var spec = bed.Cli.Spec(command);
                await ProcessRunner.RunAsync(new ProcessSpec(strace, ["-f", "-qq", "-e", "trace=open,openat,openat2,creat,truncate,execve", "-o", Path.Combine(traces, command[0] + ".log"),
                    spec.FileName, .. spec.Arguments]) { Environment = spec.Environment, Timeout = TimeSpan.FromMinutes(3) }, (Func<OutputLine, LineDecision>?)null);
            }
            var traced = Directory.GetFiles(traces).SelectMany(File.ReadAllLines).ToArray();
            Assert.Contains(traced, line => line.Contains("fake-amp", StringComparison.Ordinal));
            Assert.Contains(traced, line => line.Contains("src/greet.ts", StringComparison.Ordinal));
            // execve lines only name arguments (git is told to leave .env files out); opens are what count.
            Assert.DoesNotContain(traced.Where(line => !line.Contains("execve(", StringComparison.Ordinal)), line => EnvFile().IsMatch(line));
        }
        else
        {
            // Without strace, the access time: set far back, any read moves it (relatime included). A control
            // file read by the test proves this filesystem records reads at all.
            var control = bed.Repo.Scratch("control") + "/read-me.txt";
            File.WriteAllText(control, "x");
            foreach (var file in envFiles.Append(control))
            {
                File.SetLastAccessTimeUtc(file, new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc));
            }
            foreach (var command in commands)
            {
                await bed.RunAsync(command);
            }
            File.ReadAllBytes(control);
            Assert.True(File.GetLastAccessTimeUtc(control).Year > 2000,
                "neither strace nor access times can show what is opened here: install strace (apt-get install strace)");
            Assert.All(envFiles, file => Assert.Equal(2000, File.GetLastAccessTimeUtc(file).Year));
        }
        // The session really ran: the agent (with its key) and the script both did their work.
        Assert.True(Assert.Single(bed.Invocations).ApiKeySet);
        Assert.Contains("export function greet(", File.ReadAllText(Path.Combine(bed.Worktree(id), "src", "greet.ts")));
        Assert.All(envFiles, file => Assert.Equal(secretLine, File.ReadAllText(file)));
    }

    [GeneratedRegex(@"(^|[/""])\.env(\.[A-Za-z0-9_-]+)?""")]
    private static partial Regex EnvFile();

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
