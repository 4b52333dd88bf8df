using AmpSessions.Testing;

namespace AmpSessions.Cli.Tests;

/// <summary>`demo`, tried as a new user would: a fresh data directory, no Amp, no key, no git identity.</summary>
public sealed class DemoCommandTests : IDisposable
{
    private readonly TempDirectory temp = new("demo");
    private readonly CliRunner cli;

    public DemoCommandTests()
    {
        cli = new CliRunner(temp.Combine("fresh-data"));
        var home = temp.Combine("home");
        Directory.CreateDirectory(home);
        cli.Environment["HOME"] = home;
        cli.Environment["XDG_CONFIG_HOME"] = null;
        cli.Environment["XDG_DATA_HOME"] = null;
        cli.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        cli.Environment["AMP_API_KEY"] = null;
        cli.Environment["AMP_SESSIONS_AGENT"] = null;
        cli.Environment["AMP_SESSIONS_NOTIFICATIONS"] = "0";
        foreach (var name in new[] { "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL" })
        {
            cli.Environment[name] = null;
        }
    }

    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task Demo_runs_a_whole_session_and_prints_the_diff()
    {
        var folder = temp.Combine("sample");

        var result = await cli.RunAsync("demo", "--dir", folder);

        Assert.True(result.ExitCode == 0, result.ToString());
        var stdout = result.StandardOutput;
        Assert.Contains("▶ iteration 1 with amp:", stdout);
        Assert.Contains("  tool:  edit_file", stdout);
        Assert.Contains($"Sample repository: {folder}", stdout);
        Assert.Matches(@"Session [a-z0-9]+ ""Rename hello to greet"" \[Archived\] on amp/rename-hello-to-greet/\d{8}-\d{6}", stdout);
        Assert.Matches(@"Squashed and merged into main: [0-9a-f]{7} -> [0-9a-f]{7} \(FastForwardInWorktree\)", stdout);
        Assert.Contains("Succeeded", stdout);
        Assert.Contains("  tests:   passed", stdout);
        Assert.Contains("Diff against main:\ndiff --git a/src/greet.ts b/src/greet.ts", stdout);
        Assert.Contains("\n-export function hello(name: string): string {\n+export function greet(name: string): string {\n", stdout);
        // Tokens are input + output (26 + 159); the demo agent's cache reads and writes are counted apart.
        Assert.Matches(@"Timeline:\n  [0-9a-f]{7}  iteration 1  185 tokens  test Passed  amp: Renamed hello to greet in src/greet\.ts\.", stdout);
        Assert.Contains("Try next:", stdout);
        // The demo commits as a user with no git identity would (the documented fallback), and its
        // squashed change is merged into main and checked out there, with the worktree cleaned up.
        Assert.Equal("AmpSessions <amp-sessions@localhost>", TestRepository.GitIn(folder, "log", "-1", "--format=%an <%ae>", "main"));
        Assert.Equal("Rename hello to greet", TestRepository.GitIn(folder, "log", "-1", "--format=%s", "main"));
        Assert.Contains("export function greet(", File.ReadAllText(Path.Combine(folder, "src", "greet.ts")));
        Assert.Empty(Directory.GetDirectories(Path.Combine(folder, ".worktrees")));
    }

    [Fact]
    public async Task Demo_json_is_one_object_with_the_iteration_the_diff_and_the_timeline()
    {
        var result = await cli.RunAsync("demo", "--dir", temp.Combine("sample"), "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var demo = CliSessionBed.Json(result);
        Assert.Equal("Succeeded", demo.GetProperty("iteration").GetProperty("status").GetString());
        Assert.True(demo.GetProperty("iteration").GetProperty("scriptPassed").GetBoolean());
        Assert.Contains("+export function greet(", demo.GetProperty("diff").GetProperty("patch").GetString());
        Assert.Equal("Commit", demo.GetProperty("timeline")[0].GetProperty("kind").GetString());
        Assert.Contains("▶ iteration 1", result.StandardError);
    }

    [Fact]
    public async Task Demo_refuses_a_folder_that_is_not_empty()
    {
        var folder = temp.Combine("taken");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "keep.txt"), "mine");

        var result = await cli.RunAsync("demo", "--dir", folder, "--json");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("AmpDemoFolderNotEmpty", CliSessionBed.Json(result).GetProperty("error").GetProperty("id").GetString());
        Assert.Equal(["keep.txt"], Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName));
    }
}
