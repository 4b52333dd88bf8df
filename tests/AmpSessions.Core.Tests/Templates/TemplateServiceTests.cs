using AmpSessions.Core.Errors;
using AmpSessions.Core.Templates;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Templates;

public sealed class TemplateServiceTests : IDisposable
{
    private readonly TempDirectory data = new();

    public void Dispose() => data.Dispose();

    [Fact]
    public void Remove_returns_the_template_as_it_was_and_a_second_remove_is_not_found()
    {
        var templates = new TemplateService(AmpContext.Open(data.Path));
        templates.Save("add-tests", "Add unit tests", scriptCommand: "npm test");
        var stored = templates.Get("add-tests");

        var removed = templates.Remove("add-tests");

        Assert.Equal(stored, removed);
        Assert.Equal(("Add unit tests", "npm test"), (removed.Prompt, removed.ScriptCommand));
        Assert.Empty(templates.List());
        Assert.Equal("AmpTemplateNotFound", Assert.Throws<AmpSessionsException>(() => templates.Remove("add-tests")).ErrorId);
        Assert.Equal("AmpTemplateNotFound", Assert.Throws<AmpSessionsException>(() => templates.Get("add-tests")).ErrorId);
    }

    [Fact]
    public async Task A_template_is_a_configuration_layer_its_sessions_start_from()
    {
        using var repo = new TestRepository();
        repo.WriteFile(".amp-sessions.yaml", "mcp_servers:\n  github: { command: npx }\nports: 0\n");
        repo.WriteFile(".amp-sessions/commands/ship.md", "---\nparameters:\n  feature:\n---\nBuild {feature}.\n");
        repo.CommitAll("configuration");
        var context = AmpContext.Open(data.Path);
        var templates = new TemplateService(context);

        var saved = templates.Save("ship-login", "/ship feature=login", repo.Root, environment: "ci", agent: "claude", preset: "read-only",
            mcpServers: ["github"], setup: "echo ready > setup.out");
        var request = templates.Apply("ship-login", new AmpSessions.Core.Sessions.NewSessionRequest { RepoPath = "", Name = "from a template", Prompt = "", Preset = "safe-edit" });
        var session = await new AmpSessions.Core.Sessions.SessionManager(context).CreateAsync(request);

        Assert.Equal(("ci", "claude", "read-only", "echo ready > setup.out"), (saved.Environment, saved.Agent, saved.Preset, saved.Setup));
        Assert.Equal(["github"], templates.Get("ship-login").McpServers);
        // What new is given wins over the template; the template's slash command is expanded; its setup ran.
        Assert.Equal(("ci", "claude", "safe-edit"), (session.Environment, session.Agent, session.Preset));
        Assert.Equal(["github"], session.McpServers);
        Assert.Equal("Build login.", session.Prompt);
        Assert.Equal("ready\n", File.ReadAllText(Path.Combine(session.WorktreePath, "setup.out")));
        Assert.Equal("AmpEnvironmentUnknown", Assert.Throws<AmpSessionsException>(() => templates.Save("bad", "p", repo.Root, environment: "staging")).ErrorId);
        Assert.Equal("AmpMcpServerUnknown", Assert.Throws<AmpSessionsException>(() => templates.Save("bad", "p", repo.Root, mcpServers: ["linear"])).ErrorId);
        Assert.DoesNotContain(templates.List(), t => t.Name == "bad");
    }
}
