using AmpSessions.Core.Errors;
using AmpSessions.Core.Iterations;
using AmpSessions.Core.Sessions;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Iterations;

/// <summary>
/// Issue 10 item 1: an agent that moves the worktree off the session branch (a branch of its own, a
/// detached HEAD) must not get its work lost: after the turn the worktree is back on the session
/// branch with the work on it, and cleanup never drops a commit that no kept ref reaches.
/// </summary>
[Trait("Platform", "Posix")]
public sealed class AgentMovesHeadTests : IDisposable
{
    private readonly IterationTestBed bed = new();

    public void Dispose() => bed.Dispose();

    private Task<Session> SessionWithAgentAsync(string body) =>
        bed.NewSessionAsync(agent: ShellAgent.Write(Path.Combine(bed.Repo.Scratch("agent"), "agent.sh"), body));

    private void AssertOnSessionBranch(Session session) =>
        Assert.Equal("refs/heads/" + session.BranchName, bed.GitInWorktree(session, "symbolic-ref", "HEAD"));

    [Theory]
    [InlineData("git checkout --quiet -b agent-branch")]
    [InlineData("git checkout --quiet --detach")]
    public async Task Commits_made_off_the_session_branch_join_it(string leave)
    {
        var session = await SessionWithAgentAsync($"{leave}\necho agent > agent.txt\ngit add agent.txt\ngit commit --quiet -m 'agent commit'\n");

        var iteration = await bed.IterateAsync(session);

        Assert.Equal(IterationStatus.Succeeded, iteration.Status);
        AssertOnSessionBranch(session);
        Assert.Equal("agent commit", bed.Repo.Git("log", "-1", "--format=%s", session.BranchName));
        Assert.Contains(iteration.Warnings, w => w.Contains("left the worktree", StringComparison.Ordinal));
        var state = await bed.Sessions.GetStateAsync(session.Id);
        Assert.Equal(1, state.Ahead);
        Assert.Empty(state.ChangedFiles);
    }

    [Fact]
    public async Task A_head_that_does_not_build_on_the_branch_is_backed_up_and_its_files_committed_on_the_branch()
    {
        var session = await bed.NewSessionAsync();
        bed.GitInWorktree(session, "commit", "--allow-empty", "--quiet", "-m", "earlier work");
        var earlier = bed.Repo.Git("rev-parse", session.BranchName);
        var agent = ShellAgent.Write(Path.Combine(bed.Repo.Scratch("agent"), "agent.sh"),
            "git checkout --quiet --detach HEAD~1\necho agent > agent.txt\ngit add agent.txt\ngit commit --quiet -m 'agent commit elsewhere'\n");
        bed.Context.Sessions.Update(bed.Context.Sessions.Get(session.Id)! with { Agent = agent });

        var iteration = await bed.IterateAsync(session);

        AssertOnSessionBranch(session);
        Assert.Equal(earlier, bed.Repo.Git("rev-parse", session.BranchName + "~1"));
        Assert.Equal("agent\n", File.ReadAllText(Path.Combine(session.WorktreePath, "agent.txt")));
        Assert.Contains("agent.txt", bed.Repo.Git("show", "--name-only", "--format=", session.BranchName));
        var backup = Assert.Single(iteration.Warnings, w => w.Contains("refs/amp-sessions/", StringComparison.Ordinal));
        var backupRef = backup.Split(' ').Single(word => word.StartsWith("refs/amp-sessions/", StringComparison.Ordinal));
        Assert.Equal("agent commit elsewhere", bed.Repo.Git("log", "-1", "--format=%s", backupRef));
    }

    [Fact]
    public async Task Cleanup_refuses_to_drop_commits_only_a_detached_head_reaches_and_force_keeps_them()
    {
        var session = await bed.NewSessionAsync();
        bed.GitInWorktree(session, "checkout", "--quiet", "--detach");
        bed.GitInWorktree(session, "commit", "--allow-empty", "--quiet", "-m", "on a detached head");
        var stray = bed.GitInWorktree(session, "rev-parse", "HEAD");

        var refused = await Assert.ThrowsAsync<AmpSessionsException>(() => bed.Sessions.CleanupAsync(session.Id));
        Assert.Equal("AmpCleanupWouldLoseWork", refused.ErrorId);
        Assert.Contains("1 commit on the worktree's HEAD that no branch reaches", refused.Message);
        Assert.True(Directory.Exists(session.WorktreePath));

        var forced = await bed.Sessions.CleanupAsync(session.Id, force: true);
        Assert.Equal(SessionStatus.Archived, forced.Session.Status);
        Assert.Contains(stray, bed.Repo.Git("for-each-ref", "--format=%(objectname)", "refs/amp-sessions/"));
    }
}
