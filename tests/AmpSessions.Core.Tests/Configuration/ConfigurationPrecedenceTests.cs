using AmpSessions.Core.Configuration;
using AmpSessions.Core.Sessions;
using AmpSessions.Core.Templates;

namespace AmpSessions.Core.Tests.Configuration;

/// <summary>Built-in &lt; user file &lt; repository file &lt; template / session &lt; parameters, and every value names its source.</summary>
public sealed class ConfigurationPrecedenceTests : IDisposable
{
    private readonly ConfigurationTestBed bed = new();

    public void Dispose() => bed.Dispose();

    [Fact]
    public void Built_in_defaults_are_the_source_when_no_file_says_anything()
    {
        var configuration = bed.Load();

        AssertSetting(configuration.Get("environment"), "production", ConfigurationSources.Default);
        AssertSetting(configuration.Get("agent"), "amp", ConfigurationSources.Default);
        AssertSetting(configuration.Get("ports"), 10L, ConfigurationSources.Default);
        AssertSetting(configuration.Get("port_range"), "20000-29999", ConfigurationSources.Default);
        Assert.Null(configuration.Get("setup").Value);
        Assert.Equal(["ci", "production"], configuration.Environments.Keys.Order(StringComparer.Ordinal));
        Assert.True(configuration.Environment("ci").Ci);
        Assert.True(configuration.Preset("full-auto").AllowAll);
    }

    [Fact]
    public void The_CI_variable_makes_ci_the_default_environment()
    {
        using var ci = new ConfigurationTestBed(new Dictionary<string, string?> { ["CI"] = "true" });

        AssertSetting(ci.Load().Get("environment"), "ci", ConfigurationSources.Default);
    }

    [Fact]
    public void Each_layer_overrides_the_one_below_and_names_itself_as_the_source()
    {
        // Each layer sets setup; the highest one that sets it wins, and says so.
        bed.WriteUserFile("setup: user-setup\nports: 4\n");
        var user = bed.Load();
        AssertSetting(user.Get("setup"), "user-setup", bed.Service.UserFile);
        AssertSetting(user.Get("ports"), 4L, bed.Service.UserFile);
        AssertSetting(user.Get("environment"), "production", ConfigurationSources.Default);

        bed.WriteRepoFile("setup: repo-setup\nenvironment: ci\n");
        var repository = bed.Load();
        AssertSetting(repository.Get("setup"), "repo-setup", bed.RepoFile);
        AssertSetting(repository.Get("environment"), "ci", bed.RepoFile);
        AssertSetting(repository.Get("ports"), 4L, bed.Service.UserFile);

        var template = new SessionTemplate { Name = "tpl", Prompt = "p", Setup = "template-setup", Environment = "production", CreatedAt = DateTimeOffset.UnixEpoch };
        var withTemplate = bed.Load(ConfigurationService.TemplateLayer(template));
        AssertSetting(withTemplate.Get("setup"), "template-setup", "template tpl");
        AssertSetting(withTemplate.Get("environment"), "production", "template tpl");

        var session = Session("abc12345") with { Environment = "ci", Preset = "read-only" };
        var withSession = bed.Load(ConfigurationService.TemplateLayer(template), ConfigurationService.SessionLayer(session));
        AssertSetting(withSession.Get("environment"), "ci", "session abc12345");
        AssertSetting(withSession.Get("preset"), "read-only", "session abc12345");
        AssertSetting(withSession.Get("setup"), "template-setup", "template tpl");

        var withParameters = withSession.With(ConfigurationService.ParameterLayer(new Dictionary<string, object?> { ["environment"] = "production", ["ports"] = "2" }));
        AssertSetting(withParameters.Get("environment"), "production", ConfigurationSources.Parameter);
        AssertSetting(withParameters.Get("ports"), 2L, ConfigurationSources.Parameter);
        AssertSetting(withParameters.Get("preset"), "read-only", "session abc12345");
    }

    [Fact]
    public void A_named_entry_from_a_higher_layer_replaces_the_lower_one_whole()
    {
        bed.WriteUserFile("""
            environments:
              local:
                amp_server_url: http://localhost:7002
                env: { AMP_LOG_LEVEL: debug }
            presets:
              read-only:
                allowed_tools: [Read]
            """);
        bed.WriteRepoFile("""
            environments:
              local:
                command_prefix: node ./dev/main.js
            """);

        var configuration = bed.Load();

        var local = configuration.Environment("local");
        // The program resolves against the file's folder; its arguments stay as written (they run in the worktree).
        Assert.Equal(["node", "./dev/main.js"], local.Command);
        Assert.Null(local.AmpServerUrl);
        Assert.Equal(bed.RepoFile, configuration.Get("environments.local.command_prefix").Source);
        Assert.Throws<Errors.AmpSessionsException>(() => configuration.Get("environments.local.nope"));
        // The user's preset replaced the built-in one of that name.
        Assert.Equal(["Read"], configuration.Preset("read-only").AllowedTools);
        Assert.Equal(bed.Service.UserFile, configuration.Get("presets.read-only.allowed_tools").Source);
        Assert.Equal(ConfigurationLayerKind.User, configuration.Get("presets.read-only").Layer);
        Assert.Equal(ConfigurationSources.Default, configuration.Get("presets.safe-edit").Source);
    }

    [Fact]
    public void List_gives_every_key_with_its_source_and_the_effective_preset_rules()
    {
        bed.WriteRepoFile("""
            preset: careful
            presets:
              careful:
                permissions:
                  - { tool: Bash, matches: { cmd: "git *" }, action: allow }
                  - { tool: Bash, action: reject, message: ask a person }
                disallowed_tools: [edit_file]
            """);

        var list = bed.Load().List();

        Assert.All(ConfigurationKeys.Settings, setting => Assert.Contains(list, s => s.Key == setting.Key));
        Assert.All(list, s => Assert.False(string.IsNullOrEmpty(s.Source)));
        var permissions = Assert.Single(list, s => s.Key == EffectiveConfiguration.PermissionsKey);
        Assert.Equal(bed.RepoFile, permissions.Source);
        Assert.Equal(["allow Bash cmd=git *", "reject Bash", "reject edit_file"], (IEnumerable<string>)permissions.Value!);
        Assert.Contains(list, s => s.Key == "presets.careful.disallowed_tools" && s.Source == bed.RepoFile);
        Assert.Contains(list, s => s.Key == "commands.fix-ci.prompt" && s.Source == ConfigurationSources.Default);
    }

    [Fact]
    public async Task A_session_query_reads_its_repository_and_its_own_values()
    {
        bed.WriteRepoFile("environment: ci\nsetup: make\n");
        var session = await bed.Sessions.CreateAsync(new NewSessionRequest { RepoPath = bed.Repo.Root, Name = "cfg", Prompt = "p", Preset = "safe-edit" });

        var configuration = await bed.Service.LoadAsync(new ConfigurationQuery { Session = session.Id });

        AssertSetting(configuration.Get("preset"), "safe-edit", $"session {session.Id}");
        AssertSetting(configuration.Get("environment"), "ci", bed.RepoFile);
        AssertSetting(configuration.Get("setup"), "make", bed.RepoFile);
    }

    [Fact]
    public void Allow_all_tools_on_a_session_is_the_full_auto_preset()
    {
        var configuration = bed.Load(ConfigurationService.SessionLayer(Session("s1") with { AllowAllTools = true, Preset = "read-only" }));

        AssertSetting(configuration.Get("preset"), "full-auto", "session s1");
        Assert.Equal(["allow every tool (--dangerously-allow-all)"], (IEnumerable<string>)configuration.Get("permissions").Value!);
    }

    [Fact]
    public void Unknown_keys_and_names_are_clear_errors()
    {
        var configuration = bed.Load();

        var unknown = Assert.Throws<Errors.AmpSessionsException>(() => configuration.Get("portz"));
        Assert.Equal("AmpConfigKeyUnknown", unknown.ErrorId);
        var entry = Assert.Throws<Errors.AmpSessionsException>(() => configuration.Get("environments.staging"));
        Assert.Contains("No environments entry is named 'staging' (defined: ci, production)", entry.Message);
        var environment = Assert.Throws<Errors.AmpSessionsException>(() => configuration.Environment("staging"));
        Assert.Equal("AmpEnvironmentUnknown", environment.ErrorId);
        Assert.Contains($"define it under 'environments' in {bed.RepoFile}", environment.Message);
    }

    private static void AssertSetting(ConfigSetting setting, object expected, string source)
    {
        Assert.Equal(expected, setting.Value);
        Assert.Equal(source, setting.Source);
    }

    private Session Session(string id) => new()
    {
        Id = id,
        Name = "n",
        Prompt = "p",
        RepoRoot = bed.Repo.Root,
        BaseBranch = "main",
        BaseCommit = "0000000",
        BranchName = "amp/n/x",
        WorktreePath = bed.Repo.Path(".worktrees", id),
        Status = SessionStatus.Idle,
        CreatedAt = DateTimeOffset.UnixEpoch,
        UpdatedAt = DateTimeOffset.UnixEpoch,
    };
}
