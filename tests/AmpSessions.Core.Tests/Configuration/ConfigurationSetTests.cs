using AmpSessions.Core.Configuration;
using AmpSessions.Core.Errors;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Configuration;

/// <summary>Set-AmpConfig / `config set`: one key changed in place, comments kept, nothing written when the result would be invalid.</summary>
public sealed class ConfigurationSetTests : IDisposable
{
    private readonly ConfigurationTestBed bed = new();

    public void Dispose() => bed.Dispose();

    private const string Commented = """
        # team settings
        setup: npm ci   # install dependencies

        environments:
          ci:
            ci: true
            allowed_modes: [low]   # cheap only

        # agents below
        agents:
          fast: {agent_mode: "low"}   # quick
        """;

    [Fact]
    public async Task Setting_keys_keeps_comments_order_and_the_rest_of_the_file()
    {
        bed.WriteRepoFile(Commented + "\n");

        await Set("environments.ci.allowed_modes", new[] { "low", "medium" });
        await Set("agents.fast.model_override", "gpt-5");
        await Set("environments.local.amp_server_url", "http://localhost:7002");
        await Set("environments.local.env.AMP_LOG_LEVEL", "debug");
        await Set("setup", "npm ci --prefer-offline");
        var ports = await Set("ports", "5");

        Assert.Equal("""
            # team settings
            setup: npm ci --prefer-offline   # install dependencies

            environments:
              ci:
                ci: true
                allowed_modes: [low, medium]   # cheap only
              local:
                amp_server_url: http://localhost:7002
                env:
                  AMP_LOG_LEVEL: debug

            # agents below
            agents:
              fast: {agent_mode: "low", model_override: gpt-5}   # quick
            ports: 5

            """.ReplaceLineEndings("\n"), File.ReadAllText(bed.RepoFile));
        Assert.Equal(5L, ports.Value);
        Assert.Equal(bed.RepoFile, ports.Source);
        Assert.Equal(["low", "medium"], bed.Load().Environment("ci").AllowedModes);
    }

    [Fact]
    public async Task Removing_a_key_takes_out_its_line_and_value()
    {
        bed.WriteRepoFile(Commented + "\n");

        await Set("environments.ci.allowed_modes", null);
        var removed = await Set("agents.fast.agent_mode", null);

        var text = File.ReadAllText(bed.RepoFile);
        Assert.DoesNotContain("allowed_modes", text);
        Assert.DoesNotContain("cheap only", text);
        Assert.Contains("  fast: {}   # quick", text);
        Assert.Contains("    ci: true\n", text);
        Assert.Null(removed.Value);
    }

    [Fact]
    public async Task Values_that_would_make_the_file_invalid_are_refused_and_nothing_is_written()
    {
        bed.WriteRepoFile(Commented + "\n");
        var before = File.ReadAllText(bed.RepoFile);

        var range = await Assert.ThrowsAsync<AmpSessionsException>(() => Set("ports", "99999"));
        Assert.Equal("'ports' must be between 0 and 1000, not 99999.", range.Message);
        var url = await Assert.ThrowsAsync<ConfigurationFileException>(() => Set("environments.ci.amp_server_url", "ftp://nowhere"));
        Assert.Contains("is not an http(s) URL", url.Message);
        await Set("mcp_servers.gh.command", "npx");
        before = File.ReadAllText(bed.RepoFile);
        var secret = await Assert.ThrowsAsync<ConfigurationFileException>(() => Set("mcp_servers.gh.env.GITHUB_TOKEN", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"));
        Assert.Contains("holds a secret in a committed file", secret.Message);
        var unknown = await Assert.ThrowsAsync<AmpSessionsException>(() => Set("environments.ci.colour", "blue"));
        Assert.Equal("AmpConfigKeyUnknown", unknown.ErrorId);
        var structured = await Assert.ThrowsAsync<AmpSessionsException>(() => Set("presets.p.permissions", "x"));
        Assert.Equal("AmpConfigKeyNotSettable", structured.ErrorId);

        Assert.Equal(before, File.ReadAllText(bed.RepoFile));
    }

    [Fact]
    [Trait("Platform", "Posix")]
    public async Task The_user_file_is_created_private_and_a_secret_may_live_there()
    {
        await bed.Service.SetAsync("mcp_servers.gh.command", "npx", ConfigurationScope.User, bed.Repo.Root);
        var setting = await bed.Service.SetAsync("mcp_servers.gh.env.GITHUB_TOKEN", "ghp_abcdefghijklmnopqrstuvwxyz0123456789", ConfigurationScope.User, bed.Repo.Root);

        Assert.Equal("[REDACTED]", setting.Value);
        Assert.Equal(bed.Service.UserFile, setting.Source);
        Assert.StartsWith("# Your AmpSessions configuration", File.ReadAllText(bed.Service.UserFile));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(bed.Service.UserFile));
        }
        Assert.Equal("npx", bed.Load().McpServer("gh").Command);
    }

    [Fact]
    public async Task Quoting_keeps_text_that_would_read_as_something_else()
    {
        bed.WriteRepoFile("");
        foreach (var text in new[] { "true", "123", "a: b", "# not a comment", "[x]", "line\nbreak", "it's \"quoted\"" })
        {
            await Set("agents.a.model_override", text);
            Assert.Equal(text, bed.Load().Agents["a"].ModelOverride);
        }
    }

    [Fact]
    public async Task The_repository_scope_needs_a_repository()
    {
        using var outside = new TempDirectory();
        var ex = await Assert.ThrowsAsync<AmpSessionsException>(() => bed.Service.SetAsync("ports", "3", ConfigurationScope.Repository, null, outside.Path));
        Assert.Equal("AmpRepositoryRequired", ex.ErrorId);
    }

    private Task<ConfigSetting> Set(string key, object? value) => bed.Service.SetAsync(key, value, ConfigurationScope.Repository, bed.Repo.Root);
}
