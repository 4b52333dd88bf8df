using System.Text.Json;
using AmpSessions.Testing;

namespace AmpSessions.Cli.Tests;

/// <summary>`config get|list|set|validate` as a user runs them: a process, a real repository, real files.</summary>
public sealed class ConfigCommandTests : IDisposable
{
    private readonly TestRepository repo = new();
    private readonly CliRunner cli;

    public ConfigCommandTests() => cli = new CliRunner(repo.Scratch("data"));

    public void Dispose() => repo.Dispose();

    private string RepoFile => repo.Path(".amp-sessions.yaml");

    [Fact]
    public async Task Get_json_prints_exactly_key_value_and_source()
    {
        repo.WriteFile(".amp-sessions.yaml", "ports: 3\nenvironments:\n  ci:\n    ci: true\n    allowed_modes: [low]\n");

        var ports = await cli.RunAsync(["config", "get", "ports", "--json"], repo.Root, TimeSpan.FromMinutes(1));
        var modes = await cli.RunAsync(["config", "get", "environments.ci.allowed_modes", "--json"], repo.Root, TimeSpan.FromMinutes(1));
        var fallback = await cli.RunAsync(["config", "get", "environment", "--json", "--repo", repo.Root]);

        Assert.True(ports.ExitCode == 0, ports.ToString());
        using (var json = JsonDocument.Parse(ports.StandardOutput))
        {
            Assert.Equal(["key", "value", "source"], json.RootElement.EnumerateObject().Select(p => p.Name));
            Assert.Equal("ports", json.RootElement.GetProperty("key").GetString());
            Assert.Equal(3, json.RootElement.GetProperty("value").GetInt32());
            Assert.Equal(RepoFile, json.RootElement.GetProperty("source").GetString());
        }
        using (var json = JsonDocument.Parse(modes.StandardOutput))
        {
            Assert.Equal(["low"], json.RootElement.GetProperty("value").EnumerateArray().Select(e => e.GetString()));
        }
        using (var json = JsonDocument.Parse(fallback.StandardOutput))
        {
            Assert.Equal("production", json.RootElement.GetProperty("value").GetString());
            Assert.Equal("default", json.RootElement.GetProperty("source").GetString());
        }
    }

    [Fact]
    public async Task Set_writes_the_user_file_or_with_a_scope_the_repository_file_and_list_shows_the_sources()
    {
        var user = await cli.RunAsync(["config", "set", "environment", "ci"], repo.Root, TimeSpan.FromMinutes(1));
        var repository = await cli.RunAsync(["config", "set", "environments.ci.allowed_modes", "low", "medium", "--scope", "repository"], repo.Root, TimeSpan.FromMinutes(1));
        var list = await cli.RunAsync(["config", "list"], repo.Root, TimeSpan.FromMinutes(1));

        Assert.True(user.ExitCode == 0, user.ToString());
        Assert.Equal($"environment: ci  (from {Path.Combine(cli.DataDirectory, "config.yaml")})\n", user.StandardOutput);
        Assert.True(repository.ExitCode == 0, repository.ToString());
        Assert.Equal("environments:\n  ci:\n    allowed_modes: [low, medium]\n", File.ReadAllText(RepoFile).Split('\n', 2)[1]);
        var lines = list.StandardOutput.Split('\n');
        Assert.Matches(@"^KEY +VALUE +SOURCE$", lines[0]);
        Assert.Contains(lines, l => l.StartsWith("environment ", StringComparison.Ordinal) && l.EndsWith(Path.Combine(cli.DataDirectory, "config.yaml"), StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("environments.ci.allowed_modes ", StringComparison.Ordinal) && l.Contains("[low, medium]") && l.EndsWith(RepoFile, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Validate_lists_every_problem_as_file_line_column_and_fails()
    {
        repo.WriteFile(".amp-sessions.yaml", "portz: 3\nenvironments:\n  ci: [x]\n");
        repo.WriteFile(".amp-sessions/commands/review.md", "---\ndescription: [\n---\nbody\n");

        var result = await cli.RunAsync(["config", "validate", "--repo", repo.Root]);
        var json = await cli.RunAsync(["config", "validate", "--repo", repo.Root, "--json"]);

        Assert.Equal(1, result.ExitCode);
        var lines = result.StandardOutput.TrimEnd().Split('\n');
        Assert.StartsWith($"{RepoFile}:1:1: Unknown key 'portz' in the configuration file: did you mean 'ports'?", lines[0]);
        Assert.StartsWith($"{RepoFile}:3:7: Environment 'ci' must be a mapping of keys", lines[1]);
        Assert.StartsWith($"{repo.Path(".amp-sessions", "commands", "review.md")}:3:1: YAML syntax error", lines[2]);
        Assert.Equal("3 problems in 2 file(s).", lines[3]);
        Assert.Equal(1, json.ExitCode);
        using var document = JsonDocument.Parse(json.StandardOutput);
        Assert.Equal(3, document.RootElement.GetProperty("errors").GetArrayLength());
        Assert.False(document.RootElement.GetProperty("isValid").GetBoolean());
    }

    [Fact]
    public async Task A_broken_file_makes_get_fail_with_one_line_naming_the_first_problem()
    {
        repo.WriteFile(".amp-sessions.yaml", "ports: lots\n");

        var result = await cli.RunAsync(["config", "get", "ports"], repo.Root, TimeSpan.FromMinutes(1));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"amp-sessions: {RepoFile}:1:8: 'ports' in the configuration file must be a whole number, not 'lots'.\n", result.StandardError);
    }

    [Fact]
    public async Task Edit_refuses_where_there_is_no_editor()
    {
        cli.Environment["CI"] = "true";

        var result = await cli.RunAsync(["config", "edit"], repo.Root, TimeSpan.FromMinutes(1));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("There is no editor here (a CI run, or no terminal): change keys with `amp-sessions config set <key> <value>` instead.", result.StandardError);
        Assert.False(File.Exists(Path.Combine(cli.DataDirectory, "config.yaml")));
    }
}
