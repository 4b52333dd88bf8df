using System.Text.Json;
using AmpSessions.Core.Agents;
using AmpSessions.Core.Configuration;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Iterations;
using AmpSessions.Core.Sessions;
using AmpSessions.Core.Tests.Iterations;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Configuration;

/// <summary>
/// Issue 10 items 10 and 15: an MCP configuration is validated when it is given, its secrets are
/// references resolved only when a turn starts, into a private file removed after the turn, never in
/// the database, the session's JSON or the agent's command line.
/// </summary>
[Trait("Platform", "Posix")]
public sealed class McpSecretsTests : IDisposable
{
    private const string Token = "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB";
    private readonly IterationTestBed bed = new();

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("AMPTEST_GITHUB_TOKEN", null);
        bed.Dispose();
    }

    /// <summary>An agent that keeps a copy of its --mcp-config file and the file's mode, then runs the fake.</summary>
    private (string Agent, string Copy, string Mode) CapturingAgent()
    {
        var folder = bed.Repo.Scratch("capture");
        var copy = Path.Combine(folder, "mcp.json");
        var mode = Path.Combine(folder, "mode");
        var script = ExecutableScript.Write(Path.Combine(bed.Repo.Scratch("agent-bin"), "capture-mcp"), $$"""
            previous=""
            for argument in "$@"; do
              if [ "$previous" = "--mcp-config" ]; then cp "$argument" '{{copy}}'; stat -c %a "$argument" > '{{mode}}'; stat -c %a "$(dirname "$argument")" >> '{{mode}}'; fi
              previous="$argument"
            done
            exec '{{TestPaths.FakeAgent}}' "$@"
            """);
        return ($"amp:/bin/sh {script}", copy, mode);
    }

    [Fact]
    public async Task A_named_servers_token_reaches_the_agent_only_in_a_private_file_that_is_gone_after_the_turn()
    {
        File.WriteAllText(bed.Repo.Path(ConfigurationKeys.RepositoryFileName), """
            mcp_servers:
              github:
                command: npx
                args: [-y, "@modelcontextprotocol/server-github"]
                env: { GITHUB_TOKEN: "${AMPTEST_GITHUB_TOKEN}" }
            """);
        var (agent, copy, mode) = CapturingAgent();
        var session = await bed.NewSessionAsync(agent: agent);
        session = await bed.Sessions.UpdateAsync(session.Id, new SessionUpdate { McpServers = ["github"] });

        // Without the variable the turn does not start, and nothing is recorded.
        var missing = await Assert.ThrowsAsync<AmpSessionsException>(() => bed.IterateAsync(session));
        Assert.Equal("AmpSecretVariableMissing", missing.ErrorId);
        Assert.Empty(bed.Context.Iterations.List(session.Id));

        Environment.SetEnvironmentVariable("AMPTEST_GITHUB_TOKEN", Token);
        var iteration = await bed.IterateAsync(session);

        Assert.Equal(IterationStatus.Succeeded, iteration.Status);
        using (var given = JsonDocument.Parse(File.ReadAllText(copy)))
        {
            Assert.Equal(Token, given.RootElement.GetProperty("github").GetProperty("env").GetProperty("GITHUB_TOKEN").GetString());
        }
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(["600", "700"], File.ReadAllLines(mode));
        }
        var argv = Assert.Single(bed.Invocations).Arguments;
        Assert.DoesNotContain(argv, a => a.Contains(Token, StringComparison.Ordinal));
        var mcpPath = argv[argv.ToList().IndexOf("--mcp-config") + 1];
        Assert.StartsWith(Path.Combine(bed.Context.Data.Root, RunFiles.FolderName), mcpPath);
        Assert.False(File.Exists(mcpPath));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(bed.Context.Data.Root, RunFiles.FolderName)));
        foreach (var database in Directory.EnumerateFiles(bed.Context.Data.Root, "amp-sessions.db*"))
        {
            Assert.DoesNotContain(Token, File.ReadAllText(database));
        }
        Assert.DoesNotContain(Token, File.ReadAllText(iteration.TranscriptPath!));
    }

    [Fact]
    public async Task A_sessions_own_mcp_config_is_validated_when_given()
    {
        var session = await bed.NewSessionAsync();

        var broken = await Assert.ThrowsAsync<AmpSessionsException>(() => bed.Sessions.UpdateAsync(session.Id, new SessionUpdate { McpConfig = "{bad" }));
        Assert.Equal("AmpMcpConfigInvalid", broken.ErrorId);
        Assert.StartsWith("The MCP configuration is not valid JSON (line 1, character 2:", broken.Message);

        var shape = await Assert.ThrowsAsync<AmpSessionsException>(() => bed.Sessions.UpdateAsync(session.Id, new SessionUpdate { McpConfig = """{"gh": {"args": ["x"]}}""" }));
        Assert.Contains("server 'gh' has neither a command (text) nor a url (text)", shape.Message);

        var literal = await Assert.ThrowsAsync<AmpSessionsException>(() => bed.Sessions.UpdateAsync(session.Id,
            new SessionUpdate { McpConfig = "{\"gh\": {\"command\": \"npx\", \"env\": {\"GITHUB_TOKEN\": \"" + Token + "\"}}}" }));
        Assert.Equal("AmpSecretNotStored", literal.ErrorId);
        Assert.DoesNotContain(Token, literal.Message);
        Assert.Contains("write it as \"GITHUB_TOKEN\": \"${GITHUB_TOKEN}\"", literal.Message);

        var notAFile = await Assert.ThrowsAsync<AmpSessionsException>(() => bed.Sessions.UpdateAsync(session.Id, new SessionUpdate { McpConfig = "servers.json" }));
        Assert.Contains("is neither JSON (it does not start with {) nor an existing file", notAFile.Message);

        // Nothing of the refused values reached the row.
        Assert.Null(bed.Reload(session).McpConfig);

        var file = Path.Combine(bed.Repo.Scratch("mcp"), "servers.json");
        File.WriteAllText(file, """{"mcpServers": {"gh": {"command": "npx", "env": {"GITHUB_TOKEN": "${GITHUB_TOKEN}"}}}}""");
        var relative = Path.GetRelativePath(Directory.GetCurrentDirectory(), file);
        var updated = await bed.Sessions.UpdateAsync(session.Id, new SessionUpdate { McpConfig = relative });
        Assert.Equal(file, updated.McpConfig);
        var reference = await bed.Sessions.UpdateAsync(session.Id, new SessionUpdate { McpConfig = """{"gh": {"command": "npx", "env": {"GITHUB_TOKEN": "${GITHUB_TOKEN}", "DEBUG": "1"}}}""" });
        Assert.Contains("${GITHUB_TOKEN}", reference.McpConfig);
    }

    [Fact]
    public async Task Each_iteration_records_its_environment_preset_and_rules()
    {
        File.WriteAllText(bed.Repo.Path(ConfigurationKeys.RepositoryFileName), "preset: safe-edit\n");
        var session = await bed.NewSessionAsync();

        var iteration = await bed.IterateAsync(session);

        Assert.Equal("production", iteration.Environment);
        Assert.Equal("safe-edit", iteration.Preset);
        Assert.Equal("allow Bash cmd=git status*", iteration.Permissions[0]);
        var settings = Assert.Single(bed.Invocations).Arguments;
        Assert.Contains("--settings-file", settings);
        var again = await bed.IterateAsync(session, new IterateRequest { Session = session.Id, Overrides = new RunOverrides { Preset = "full-auto" } });
        Assert.Equal(["allow every tool (--dangerously-allow-all)"], again.Permissions);
        Assert.Contains("--dangerously-allow-all", bed.Invocations[1].Arguments);
    }
}
