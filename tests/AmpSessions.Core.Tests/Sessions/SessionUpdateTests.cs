using System.Text.Json;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Sessions;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Sessions;

public sealed class SessionUpdateTests : IDisposable
{
    private readonly TestRepository repo = new();
    private readonly string dataDirectory;
    private readonly SessionManager manager;

    public SessionUpdateTests()
    {
        dataDirectory = repo.Scratch("data");
        manager = new SessionManager(AmpContext.Open(dataDirectory));
    }

    public void Dispose() => repo.Dispose();

    private Task<Session> CreateAsync() => manager.CreateAsync(new NewSessionRequest
    {
        RepoPath = repo.Root,
        Name = "Rename greet",
        Prompt = "rename hello to greet",
        ScriptCommand = "npm test",
        ModelOverride = "model-a",
        AgentMode = "smart",
        Notes = "keep the API",
    });

    [Fact]
    public async Task Changes_the_given_fields_and_stores_them()
    {
        var session = await CreateAsync();

        var updated = await manager.UpdateAsync(session.Id, new SessionUpdate
        {
            Name = "  Rename greeting  ",
            ScriptCommand = "dotnet test",
            ModelOverride = "model-b",
            AgentMode = "rush",
            Notes = "mind the callers",
        });

        var stored = new SessionManager(AmpContext.Open(dataDirectory)).Resolve(session.Id);
        AssertSameRow(updated, stored);
        Assert.Equal("Rename greeting", stored.Name);
        Assert.Equal("dotnet test", stored.ScriptCommand);
        Assert.Equal("model-b", stored.ModelOverride);
        Assert.Equal("rush", stored.AgentMode);
        Assert.Equal("mind the callers", stored.Notes);
        Assert.Equal(session.BranchName, stored.BranchName);
        Assert.Equal(session.Prompt, stored.Prompt);
        Assert.True(stored.UpdatedAt >= session.UpdatedAt);
        Assert.Equal(stored.Id, manager.Resolve("Rename greeting").Id);
    }

    [Fact]
    public async Task Null_keeps_a_field_and_empty_clears_it()
    {
        var session = await CreateAsync();

        var updated = await manager.UpdateAsync(session.Id, new SessionUpdate { ScriptCommand = "", Notes = "   " });

        Assert.Null(updated.ScriptCommand);
        Assert.Null(updated.Notes);
        Assert.Equal("Rename greet", updated.Name);
        Assert.Equal("model-a", updated.ModelOverride);
        Assert.Equal("smart", updated.AgentMode);
        Assert.Null(manager.Resolve(session.Id).ScriptCommand);
    }

    [Fact]
    public async Task An_update_with_nothing_to_change_is_refused()
    {
        var session = await CreateAsync();

        var error = await Assert.ThrowsAsync<AmpSessionsException>(() => manager.UpdateAsync(session.Id, new SessionUpdate()));

        Assert.Equal("AmpSessionUpdateEmpty", error.ErrorId);
        Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
        AssertSameRow(session, manager.Resolve(session.Id));
    }

    [Theory]
    [InlineData("   ", "AmpSessionNameEmpty")]
    [InlineData("!!! ???", "AmpSessionNameInvalid")]
    public async Task A_name_that_cannot_name_a_session_is_refused_and_nothing_changes(string name, string errorId)
    {
        var session = await CreateAsync();

        var error = await Assert.ThrowsAsync<AmpSessionsException>(() => manager.UpdateAsync(session.Id, new SessionUpdate { Name = name, Notes = "changed" }));

        Assert.Equal(errorId, error.ErrorId);
        AssertSameRow(session, manager.Resolve(session.Id));
    }

    [Theory]
    [InlineData(SessionStatus.Running)]
    [InlineData(SessionStatus.Evaluating)]
    public async Task A_session_that_is_running_is_not_changed(SessionStatus status)
    {
        var session = await CreateAsync();
        var busy = session with { Status = status };
        // A running session is one whose iteration holds its lock (a Running row nobody holds reads Interrupted).
        using var running = SessionLock.Acquire(manager.Context, session.Id, "iteration");
        manager.Context.Sessions.Update(busy);

        var error = await Assert.ThrowsAsync<AmpSessionsException>(() => manager.UpdateAsync(session.Id, new SessionUpdate { Notes = "changed" }));

        Assert.Equal("AmpSessionBusy", error.ErrorId);
        Assert.Equal(ErrorKind.ResourceBusy, error.Kind);
        AssertSameRow(busy, manager.Resolve(session.Id));
    }

    [Fact]
    public async Task An_unknown_session_is_a_not_found_error()
    {
        var error = await Assert.ThrowsAsync<SessionNotFoundException>(() => manager.UpdateAsync("nosuchid", new SessionUpdate { Notes = "x" }));

        Assert.Equal("AmpSessionNotFound", error.ErrorId);
        Assert.Equal("nosuchid", error.Target);
    }

    // Records compare lists by reference; the stored row is compared field by field through JSON.
    private static void AssertSameRow(Session expected, Session actual) =>
        Assert.Equal(JsonSerializer.Serialize(expected), JsonSerializer.Serialize(actual));

    [Theory]
    [InlineData(false, false, DiffScope.All)]
    [InlineData(true, false, DiffScope.Staged)]
    [InlineData(false, true, DiffScope.Unstaged)]
    public void The_diff_switches_choose_a_scope(bool staged, bool unstaged, DiffScope expected) =>
        Assert.Equal(expected, DiffScopes.FromSwitches(staged, unstaged));

    [Fact]
    public void Both_diff_switches_at_once_are_a_usage_error()
    {
        var error = Assert.Throws<AmpSessionsException>(() => DiffScopes.FromSwitches(true, true));
        Assert.Equal("AmpUsageConflictingOptions", error.ErrorId);
    }
}
