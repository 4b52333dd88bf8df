using AmpSessions.Core.Errors;
using AmpSessions.Core.Integration;

namespace AmpSessions.Core.Tests.Integration;

public sealed class RebaseConflictExceptionTests : IntegrationTestBase
{
    [Fact]
    public async Task A_conflicted_rebase_becomes_the_error_AmpRebaseConflict_naming_the_paths_and_the_worktree()
    {
        var session = await ConflictingSessionAsync();
        var conflict = await Integration.RebaseAsync(session.Id);

        var error = new RebaseConflictException(conflict);

        Assert.Equal("AmpRebaseConflict", error.ErrorId);
        Assert.Equal(ErrorKind.Conflict, error.Kind);
        Assert.Equal(session.Id, error.Target);
        Assert.Same(conflict, error.Result);
        Assert.Contains("in 1 file (src/greet.ts)", error.Message, StringComparison.Ordinal);
        Assert.Contains("amp: greet politely", error.Message, StringComparison.Ordinal);
        Assert.Contains(session.WorktreePath, error.Message, StringComparison.Ordinal);
        // What to do is a structured remedy each front end renders in its own words (it was front-end-neutral prose before remedies).
        Assert.DoesNotContain("amp-sessions", error.Problem, StringComparison.Ordinal);
        Assert.Contains($"`amp-sessions rebase {session.Id} --continue`", error.Render(RemedyStyle.CommandLine), StringComparison.Ordinal);
        Assert.Contains($"Update-AmpSession -Id {session.Id} -Continue (or -Abort", error.Render(RemedyStyle.PowerShell), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_a_conflicted_rebase_is_a_conflict()
    {
        var session = await ConflictingSessionAsync();
        await Integration.RebaseAsync(session.Id);
        var aborted = await Integration.AbortRebaseAsync(session.Id);

        Assert.Equal(RebaseOutcome.Aborted, aborted.Outcome);
        Assert.Throws<ArgumentException>(() => new RebaseConflictException(aborted));
    }
}
