using AmpSessions.Core.Errors;
using AmpSessions.Core.Sessions;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Sessions;

public sealed class SessionLookupTests : IDisposable
{
    private readonly TestRepository repo = new();
    private readonly SessionManager manager;

    public SessionLookupTests() => manager = new SessionManager(AmpContext.Open(repo.Scratch("data")));

    public void Dispose() => repo.Dispose();

    private Task<Session> CreateAsync(string name) =>
        manager.CreateAsync(new NewSessionRequest { RepoPath = repo.Root, Name = name, Prompt = "work on " + name });

    [Fact]
    public async Task FindByName_returns_every_session_with_exactly_that_name()
    {
        var first = await CreateAsync("Rename greet");
        var second = await CreateAsync("Rename greet");
        await CreateAsync("Rename greeting");

        var found = manager.FindByName("Rename greet");

        Assert.Equal(new[] { first.Id, second.Id }.Order(), found.Select(s => s.Id).Order());
    }

    [Fact]
    public async Task FindByName_does_not_match_an_id_prefix_and_says_so()
    {
        var session = await CreateAsync("Rename greet");

        var error = Assert.Throws<SessionNotFoundException>(() => manager.FindByName(session.Id[..4]));

        Assert.Equal("AmpSessionNotFound", error.ErrorId);
        Assert.Equal(ErrorKind.NotFound, error.Kind);
        Assert.Equal(session.Id[..4], error.Target);
    }
}
