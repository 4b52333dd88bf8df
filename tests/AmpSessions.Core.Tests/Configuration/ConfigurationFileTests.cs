using AmpSessions.Core.Agents;
using AmpSessions.Core.Batches;
using AmpSessions.Core.Configuration;

namespace AmpSessions.Core.Tests.Configuration;

/// <summary>The configuration files: every key read, every problem reported with file:line:column, as the batch file does.</summary>
public sealed class ConfigurationFileTests : IDisposable
{
    private readonly ConfigurationTestBed bed = new();

    public void Dispose() => bed.Dispose();

    private const string Full = """
        # Everything a repository file can say.
        environment: local
        agent: fast
        preset: safe-edit
        setup: npm ci
        setup_timeout_sec: 600
        ports: 4
        port_range: 30000-30999

        environments:
          local:
            command_prefix: node ./amp/dist/main.js
            amp_server_url: http://localhost:7002
            env: { AMP_LOG_LEVEL: debug }
            settings_file: ./amp-settings.json
          ci:
            ci: true
            allowed_modes: [low, medium]
            preset: full-auto

        agents:
          fast:
            type: amp
            agent_mode: low
            mcp_servers: [github]
            skills: [./skills]
            toolbox_paths: [./tools]
            allowed_tools: [Bash]
          reviewer:
            type: claude
            model_override: sonnet
            preset: read-only
          custom:
            type: exec
            command: ./bin/agent --stream

        mcp_servers:
          github:
            command: npx
            args: [-y, "@modelcontextprotocol/server-github"]
            env: { GITHUB_TOKEN: "${GITHUB_TOKEN}" }
          docs:
            url: https://mcp.example.com/sse
            headers: { Authorization: "Bearer ${DOCS_TOKEN}" }

        presets:
          careful:
            description: git only
            permissions:
              - tool: Bash
                matches: { cmd: ["git status*", "git diff*"] }
                action: allow
              - { tool: Bash, action: delegate, to: ./approve.sh, context: thread }

        commands:
          release-notes:
            description: Draft release notes
            parameters:
              since: { default: v1.0, description: the tag to start from }
              audience:
            prompt: Write release notes since {since} for {audience}; keep {{braces}}.
        """;

    [Fact]
    public void A_full_repository_file_reads_every_key()
    {
        bed.WriteRepoFile(Full);

        var configuration = bed.Load();

        Assert.Equal("local", configuration.EnvironmentName);
        Assert.Equal("fast", configuration.AgentName);
        Assert.Equal("npm ci", configuration.SetupCommand);
        Assert.Equal(TimeSpan.FromMinutes(10), configuration.SetupTimeout);
        Assert.Equal(4, configuration.Ports);
        Assert.Equal(new PortRange(30000, 30999), configuration.PortRange);
        var local = configuration.Environment("local");
        Assert.Equal(["node", "./amp/dist/main.js"], local.Command);
        Assert.Equal("http://localhost:7002", local.AmpServerUrl);
        Assert.Equal("debug", local.Env["AMP_LOG_LEVEL"]);
        Assert.Equal(bed.Repo.Path("amp-settings.json"), local.SettingsFile);
        Assert.Equal(11, local.Line);
        var ci = configuration.Environment("ci");
        Assert.True(ci.Ci);
        Assert.True(ci.AllowsMode("medium"));
        Assert.False(ci.AllowsMode("high"));
        Assert.Equal("full-auto", ci.Preset);
        var fast = configuration.Agents["fast"];
        Assert.Equal(AgentDialect.Amp, fast.Type);
        Assert.Equal("low", fast.AgentMode);
        Assert.Equal(["github"], fast.McpServers);
        Assert.Equal([bed.Repo.Path("skills")], fast.Skills);
        Assert.Equal([bed.Repo.Path("tools")], fast.ToolboxPaths);
        Assert.Equal(AgentDialect.Claude, configuration.Agents["reviewer"].Type);
        Assert.Equal(new AgentSpec(AgentDialect.Plain, [bed.Repo.Path("bin", "agent"), "--stream"]).Command, configuration.Agents["custom"].Spec([]).Command);
        var github = configuration.McpServer("github");
        Assert.Equal("npx", github.Command);
        Assert.Equal("${GITHUB_TOKEN}", github.Env["GITHUB_TOKEN"]);
        Assert.Equal("https://mcp.example.com/sse", configuration.McpServer("docs").Url);
        var careful = configuration.Preset("careful");
        Assert.Equal(["allow Bash cmd=git status*|git diff*", "delegate Bash to ./approve.sh (thread)"], careful.Permissions.Select(p => p.ToString()));
        var notes = configuration.Command("release-notes");
        Assert.Equal(["since", "audience"], notes.Parameters.Select(p => p.Name));
        Assert.Equal("v1.0", notes.Parameters[0].Default);
        Assert.True(notes.Parameters[1].Required);
        Assert.Equal(bed.RepoFile, notes.Source);
    }

    [Fact]
    public void Problems_are_reported_with_file_line_and_column_all_at_once()
    {
        bed.WriteRepoFile("""
            portz: 3
            ports: many
            port_range: 10-20
            environments:
              ci:
                allowed_modes: low
                ci: maybe
                amp_server_url: ftp://x
            agents:
              bad name: {}
              x:
                type: robot
            mcp_servers:
              gh:
                env: { GITHUB_TOKEN: ghp_abcdefghijklmnopqrstuvwxyz0123456789 }
            presets:
              p:
                permissions:
                  - { tool: Bash, action: maybe }
                  - { tool: Bash, action: delegate }
            """);

        var ex = Assert.Throws<ConfigurationFileException>(() => bed.Load());

        var errors = ex.Errors.Select(e => $"{e.Line}:{e.Column} {e.Kind}").ToList();
        Assert.Equal(
        [
            "1:1 UnknownKey",
            "2:8 WrongType",
            "3:13 InvalidValue",
            "8:21 InvalidValue",
            "7:9 WrongType",
            "10:3 InvalidValue",
            "12:11 InvalidValue",
            "15:5 MissingKey",
            "15:10 InvalidValue",
            "19:31 InvalidValue",
            "20:9 MissingKey",
        ], errors);
        Assert.All(ex.Errors, e => Assert.Equal(bed.RepoFile, e.FilePath));
        Assert.StartsWith($"{bed.RepoFile}:1:1: Unknown key 'portz' in the configuration file: did you mean 'ports'?", ex.Message);
        Assert.Contains("(and 10 more problems): `amp-sessions config validate` lists them all.", ex.Message);
        Assert.Equal("AmpConfigFileInvalid", ex.ErrorId);
        Assert.DoesNotContain("ghp_", string.Join("\n", ex.Errors.Select(e => e.Message)));
    }

    [Fact]
    public void Secrets_may_be_literal_only_in_the_private_user_file()
    {
        const string server = "mcp_servers:\n  gh:\n    command: npx\n    env: { GITHUB_TOKEN: ghp_abcdefghijklmnopqrstuvwxyz0123456789, DEBUG: \"1\" }\n";
        bed.WriteUserFile(server);
        Assert.Equal("ghp_abcdefghijklmnopqrstuvwxyz0123456789", bed.Load().McpServer("gh").Env["GITHUB_TOKEN"]);
        // Shown to people masked, never as written.
        Assert.Equal("[REDACTED]", bed.Load().Get("mcp_servers.gh.env.GITHUB_TOKEN").Value);
        Assert.Equal("1", bed.Load().Get("mcp_servers.gh.env.DEBUG").Value);

        bed.WriteRepoFile(server);
        var ex = Assert.Throws<ConfigurationFileException>(() => bed.Load());
        Assert.Contains("env.GITHUB_TOKEN of MCP server 'gh' holds a secret in a committed file: write `GITHUB_TOKEN: ${GITHUB_TOKEN}`", ex.Message);
    }

    [Fact]
    public void Markdown_commands_are_read_with_front_matter_and_positioned_errors()
    {
        var folder = bed.Repo.Path(".amp-sessions", "commands");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "fix-ci.md"), "---\ndescription: Fix a CI job\nparameters:\n  job:\n  attempts: 3\n---\nFix {job} within {attempts} tries.\n");
        File.WriteAllText(Path.Combine(folder, "plain.md"), "Say {what}.\n");

        var configuration = bed.Load();

        var fix = configuration.Command("fix-ci");
        Assert.Equal("Fix a CI job", fix.Description);
        Assert.Equal("Fix {job} within {attempts} tries.", fix.Template);
        Assert.Equal(Path.Combine(folder, "fix-ci.md"), fix.Source);
        Assert.Equal(["what"], configuration.Command("plain").Parameters.Select(p => p.Name));

        File.WriteAllText(Path.Combine(folder, "bad.md"), "---\ndescription: x\nparamters: {}\n---\nbody\n");
        File.WriteAllText(Path.Combine(folder, "empty.md"), "---\ndescription: nothing\n---\n");
        bed.WriteRepoFile("commands:\n  plain:\n    prompt: again\n");
        var ex = Assert.Throws<ConfigurationFileException>(() => bed.Load());
        var errors = ex.Errors.Select(e => $"{Path.GetFileName(e.FilePath)}:{e.Line}:{e.Column} {e.Kind}").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["bad.md:3:1 UnknownKey", "empty.md:1:1 MissingKey", "plain.md:1:1 DuplicateId"], errors);
    }

    [Fact]
    public void An_empty_or_comment_only_file_is_a_valid_empty_layer()
    {
        bed.WriteRepoFile("# nothing yet\n\n");
        Assert.Equal("production", bed.Load().EnvironmentName);
    }

    [Fact]
    public void Batch_files_read_environments_and_agents_with_the_same_readers()
    {
        var folder = bed.Repo.Scratch("batch");
        Directory.CreateDirectory(Path.Combine(folder, "repo"));
        var file = Path.Combine(folder, "batch.yaml");
        File.WriteAllText(file, """
            version: 3
            environments:
              gated:
                allowed_modes: [low]
                settings_file: ./settings.json
            agents:
              - id: ok
                environment: gated
                agent_mode: low
              - id: reviewer
                type: claude
                preset: read-only
                environment: ci
              - id: greedy
                environment: gated
                agent_mode: high
            tasks:
              - { id: t, type: batch, prompts: [go], repositories: [./repo] }
            """);

        var ex = Assert.Throws<BatchFileException>(() => BatchFileParser.Load(file));
        var error = Assert.Single(ex.Errors);
        Assert.Equal((16, 17, BatchFileErrorKind.InvalidValue), (error.Line, error.Column, error.Kind));
        Assert.Contains("uses mode 'high', which environment 'gated' does not allow (allowed: low)", error.Message);

        File.WriteAllText(file, File.ReadAllText(file).Replace("agent_mode: high", "agent_mode: low"));
        var definition = BatchFileParser.Load(file);
        Assert.Equal(Path.Combine(folder, "settings.json"), definition.Environments[0].SettingsFile);
        var reviewer = definition.Agent("reviewer");
        Assert.Equal(AgentDialect.Claude, reviewer.Type);
        Assert.Equal("read-only", reviewer.Preset);
        Assert.Equal(AgentDialect.Claude, definition.Runtime(reviewer).Resolved.Dialect);
        Assert.Equal(["claude"], definition.Runtime(reviewer).Resolved.Command);
        Assert.Equal("claude", SessionBatchItemRunner.AgentSpecFor(definition.Runtime(reviewer)));
    }
}
