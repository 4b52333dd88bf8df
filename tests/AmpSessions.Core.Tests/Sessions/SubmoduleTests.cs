using AmpSessions.Core.Errors;
using AmpSessions.Core.Iterations;
using AmpSessions.Core.Sessions;
using AmpSessions.Core.Tests.Iterations;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Sessions;

/// <summary>
/// Issue 10 item 22: a session worktree with an initialized submodule (as GIT-WORKTREES.md
/// recommends) can be cleaned up, and an agent's edit inside the submodule is said, and kept.
/// </summary>
[Trait("Platform", "Posix")]
public sealed class SubmoduleTests : IDisposable
{
    private readonly IterationTestBed bed = new();
    private readonly TestRepository library = new("lib");

    public SubmoduleTests()
    {
        bed.Repo.Git("-c", "protocol.file.allow=always", "submodule", "add", "--quiet", library.Root, "vendor/lib");
        bed.Repo.Git("commit", "--quiet", "-m", "Add the library as a submodule");
    }

    public void Dispose()
    {
        bed.Dispose();
        library.Dispose();
    }

    private async Task<Session> SessionWithInitializedSubmoduleAsync(string? agentBody = null)
    {
        var agent = agentBody is null ? null : ShellAgent.Write(Path.Combine(bed.Repo.Scratch("agent"), "agent.sh"), agentBody);
        var session = await bed.NewSessionAsync(agent: agent);
        bed.GitInWorktree(session, "-c", "protocol.file.allow=always", "submodule", "update", "--init", "--quiet");
        return session;
    }

    [Fact]
    public async Task A_clean_worktree_with_an_initialized_submodule_is_cleaned_up()
    {
        var session = await SessionWithInitializedSubmoduleAsync();

        var result = await bed.Sessions.CleanupAsync(session.Id);

        Assert.True(result.WorktreeRemoved);
        Assert.Equal(SessionStatus.Archived, result.Session.Status);
        Assert.False(Directory.Exists(session.WorktreePath));
    }

    [Fact]
    public async Task An_agents_edit_inside_a_submodule_is_said_refused_by_cleanup_and_kept_by_a_forced_one()
    {
        var session = await SessionWithInitializedSubmoduleAsync("echo 'changed by the agent' > vendor/lib/README.md\n");

        var iteration = await bed.IterateAsync(session);

        Assert.Equal(IterationStatus.Succeeded, iteration.Status);
        Assert.Null(iteration.CommitSha);
        Assert.Contains(iteration.Warnings, w => w.Contains("inside the submodule vendor/lib", StringComparison.Ordinal));
        var refused = await Assert.ThrowsAsync<AmpSessionsException>(() => bed.Sessions.CleanupAsync(session.Id));
        Assert.Equal("AmpCleanupWouldLoseWork", refused.ErrorId);

        var forced = await bed.Sessions.CleanupAsync(session.Id, force: true);

        Assert.True(forced.WorktreeRemoved);
        var bundle = Assert.Single(Directory.GetFiles(bed.Context.Data.SessionBackups(session.Id), "*.bundle"));
        Assert.Contains(bundle, forced.Session.StatusMessage);
        var restored = bed.Repo.Scratch("restored");
        TestRepository.GitIn(restored, "clone", "--quiet", library.Root, "lib");
        var clone = Path.Combine(restored, "lib");
        TestRepository.GitIn(clone, "fetch", "--quiet", bundle, "refs/amp-sessions/kept");
        Assert.Equal("changed by the agent", TestRepository.GitIn(clone, "show", "FETCH_HEAD:README.md"));
    }

    [Fact]
    public async Task Commits_inside_a_submodule_that_no_remote_has_are_work_cleanup_would_lose()
    {
        var session = await SessionWithInitializedSubmoduleAsync();
        var inside = Path.Combine(session.WorktreePath, "vendor", "lib");
        TestRepository.GitIn(inside, "commit", "--allow-empty", "--quiet", "-m", "only in this worktree");
        bed.GitInWorktree(session, "commit", "--quiet", "-am", "Move the submodule");
        bed.Repo.Git("merge", "--quiet", "--ff-only", session.BranchName);

        var refused = await Assert.ThrowsAsync<AmpSessionsException>(() => bed.Sessions.CleanupAsync(session.Id));

        Assert.Contains("1 commit in the submodule vendor/lib that no remote has", refused.Message);
    }
}
