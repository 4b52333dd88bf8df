using System.Text.Json;
using AmpSessions.Testing;

namespace AmpSessions.Cli.Tests;

/// <summary>
/// Issue 13's acceptance: a repository with .amp-sessions.yaml, a .worktreeinclude, a setup script and
/// two slash commands; two sessions created in parallel each get the included files, a finished setup,
/// distinct ports and the expanded prompt; the agent and the test script see the ports; cleanup
/// removes all of it; the main checkout is untouched.
/// </summary>
public sealed class ReadyWorktreeAcceptanceTests : IDisposable
{
    private readonly CliSessionBed bed = new();
    private readonly string registry;

    public ReadyWorktreeAcceptanceTests()
    {
        registry = bed.Repo.Scratch("port-registry");
        bed.Cli.Environment["AMP_SESSIONS_PORT_REGISTRY"] = registry;
        bed.Cli.Environment["AMP_SESSIONS_NOTIFICATIONS"] = "0";
        var repo = bed.Repo;
        repo.WriteFile(".gitignore", ".env.local\n.setup/\n");
        repo.WriteFile(".worktreeinclude", ".env.local\n");
        repo.WriteFile("scripts/setup.sh", "mkdir -p .setup && echo \"$AMP_SESSION_PORT\" > .setup/port && cp .env.local .setup/env-seen\n");
        repo.WriteFile(".amp-sessions.yaml", $"""
            # the team's settings, committed with the code
            agent: fake
            setup: sh scripts/setup.sh
            ports: 4
            port_range: 42400-42499
            agents:
              fake:
                command: ["{TestPaths.FakeAgent}"]
            """);
        repo.WriteFile(".amp-sessions/commands/fix-ci.md", "---\ndescription: Fix a failing CI job\nparameters:\n  job:\n---\nThe CI job {job} is failing: find out why and fix it.\n");
        repo.WriteFile(".amp-sessions/commands/ship.md", "---\ndescription: Build a feature\nparameters:\n  feature:\n  tests: unit\n---\nBuild {feature} with {tests} tests.\n");
        repo.CommitAll("configuration, include file, setup script, two slash commands");
        repo.WriteFile(".env.local", "API_URL=http://localhost:3000\n");
    }

    public void Dispose() => bed.Dispose();

    [Fact]
    public async Task Two_sessions_made_at_once_are_each_ready_and_cleanup_takes_it_all_back()
    {
        var before = MainCheckoutState.Capture(bed.Repo.Root);
        var envBefore = File.ReadAllText(bed.Repo.Path(".env.local"));

        var made = await Task.WhenAll(
            bed.RunAsync("new", "--repo", bed.Repo.Root, "--name", "fix the build", "--prompt", "/fix-ci job=build", "--json"),
            bed.RunAsync("new", "--repo", bed.Repo.Root, "--name", "ship login", "--prompt", "/ship login", "--json"));

        Assert.All(made, r => Assert.True(r.ExitCode == 0, r.ToString()));
        var sessions = made.Select(CliSessionBed.Json).ToArray();
        var ids = sessions.Select(s => s.GetProperty("id").GetString()!).ToArray();
        Assert.Equal("The CI job build is failing: find out why and fix it.", sessions[0].GetProperty("prompt").GetString());
        Assert.Equal("Build login with unit tests.", sessions[1].GetProperty("prompt").GetString());
        var ports = sessions.Select(s => s.GetProperty("ports").GetProperty("first").GetInt32()).ToArray();
        Assert.NotEqual(ports[0], ports[1]);
        Assert.All(ports, p => Assert.InRange(p, 42400, 42496));
        Assert.True(Math.Abs(ports[0] - ports[1]) >= 4, "the blocks do not overlap");
        for (var i = 0; i < 2; i++)
        {
            var worktree = bed.Worktree(ids[i]);
            Assert.Equal("Idle", sessions[i].GetProperty("status").GetString());
            Assert.Equal(envBefore, File.ReadAllText(Path.Combine(worktree, ".env.local")));
            Assert.Equal(envBefore, File.ReadAllText(Path.Combine(worktree, ".setup", "env-seen")));
            Assert.Equal(ports[i].ToString(System.Globalization.CultureInfo.InvariantCulture), File.ReadAllText(Path.Combine(worktree, ".setup", "port")).Trim());
            Assert.Contains("# passed after", File.ReadAllText(Path.Combine(bed.DataDirectory, "logs", ids[i], "setup.log")));
        }
        Assert.Equal(2, Directory.EnumerateFiles(registry, "*.json").Count());

        // The agent and the test script see the session's port; a follow-up slash command expands too.
        bed.Cli.Environment["FAKE_AMP_SCENARIO"] = "success-edit";
        var set = await bed.RunAsync("set", ids[0], "--script", $"test \"$AMP_SESSION_PORT\" = {ports[0]}");
        Assert.True(set.ExitCode == 0, set.ToString());
        var iterate = await bed.RunAsync("iterate", ids[0], "--prompt", "/ship feature=search tests=e2e", "--json");
        Assert.True(iterate.ExitCode == 0, iterate.ToString());
        var iteration = CliSessionBed.Json(iterate);
        Assert.True(iteration.GetProperty("scriptPassed").GetBoolean());
        Assert.Equal("Build search with e2e tests.", iteration.GetProperty("prompt").GetString());
        var call = Assert.Single(bed.Invocations);
        Assert.Equal(ports[0].ToString(System.Globalization.CultureInfo.InvariantCulture), call.Environment["AMP_SESSION_PORT"]);
        Assert.StartsWith("Build search with e2e tests.", call.StandardInput);

        foreach (var id in ids)
        {
            var cleanup = await bed.RunAsync("cleanup", id, "--force");
            Assert.True(cleanup.ExitCode == 0, cleanup.ToString());
            Assert.False(Directory.Exists(bed.Worktree(id)));
        }
        Assert.Empty(Directory.EnumerateFiles(registry, "*.json"));
        Assert.Equal(before, MainCheckoutState.Capture(bed.Repo.Root));
        Assert.Equal(envBefore, File.ReadAllText(bed.Repo.Path(".env.local")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(bed.Repo.Path(".worktrees")));
    }

    [Fact]
    public async Task A_failing_setup_leaves_a_session_in_Error_that_says_where_the_log_is()
    {
        bed.Repo.WriteFile("scripts/setup.sh", "echo 'npm ERR! missing package'; exit 2\n");
        bed.Repo.CommitAll("a broken setup");

        var made = await bed.RunAsync("new", "--repo", bed.Repo.Root, "--name", "broken", "--prompt", "/ship feature=x");

        Assert.Equal(1, made.ExitCode);
        var id = made.StandardOutput.Split('\n')[0].Split(' ')[2];
        var log = Path.Combine(bed.DataDirectory, "logs", id, "setup.log");
        Assert.Contains($"amp-sessions: session {id} was created, but setup `sh scripts/setup.sh` exited 2 (log: {log}); fix the cause and run it in the worktree, or clean up the session.", made.StandardError);
        Assert.Contains("npm ERR! missing package", File.ReadAllText(log));
        var status = CliSessionBed.Json(await bed.RunAsync("status", id, "--json"));
        Assert.Equal("Error", status.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Unknown_slash_commands_and_missing_parameters_are_one_line_errors_and_make_nothing()
    {
        var unknown = await bed.RunAsync("new", "--repo", bed.Repo.Root, "--name", "x", "--prompt", "/deploy now");
        var missing = await bed.RunAsync("new", "--repo", bed.Repo.Root, "--name", "x", "--prompt", "/fix-ci");
        var listed = await bed.RunAsync("commands", "--repo", bed.Repo.Root);

        Assert.Equal(1, unknown.ExitCode);
        Assert.StartsWith("amp-sessions: Unknown slash command '/deploy' (known: /agent-mode, /batch, /benchmark, /fix-ci, /mcp, /review, /ship, /test, /toolbox, /worktree)", unknown.StandardError);
        Assert.Equal("amp-sessions: /fix-ci needs job: give it like this: /fix-ci job=<job>.\n", missing.StandardError);
        Assert.False(Directory.Exists(bed.Repo.Path(".worktrees")) && Directory.EnumerateFileSystemEntries(bed.Repo.Path(".worktrees")).Any());
        Assert.True(listed.ExitCode == 0, listed.ToString());
        Assert.Contains($"/ship feature=<feature> [tests=unit]", listed.StandardOutput);
        Assert.Contains(bed.Repo.Path(".amp-sessions", "commands", "ship.md"), listed.StandardOutput);
    }
}
