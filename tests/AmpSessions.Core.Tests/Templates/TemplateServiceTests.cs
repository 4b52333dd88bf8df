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
}
