using AmpSessions.Core;
using AmpSessions.Core.Sessions;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Sessions;

public sealed class SessionLifecycleTests : IDisposable
{
    private readonly TestRepository repo = new();
    private readonly SessionManager manager;

    public SessionLifecycleTests()
    {
        manager = new SessionManager(AmpContext.Open(repo.Scratch("data")));
    }

    public void Dispose() => repo.Dispose();

    [Fact]
    public async Task New_creates_branch_worktree_exclude_and_idle_row()
    {
        var session = await manager.CreateAsync(new NewSessionRequest { RepoPath = repo.Root, BaseBranch = "main", Name = "Rename greet", Prompt = "rename hello to greet" });

        Assert.Equal(SessionStatus.Idle, session.Status);
        Assert.Matches(@"^amp/rename-greet/\d{8}-\d{6}$", session.BranchName);
        Assert.Equal(repo.Path(".worktrees", session.Id), session.WorktreePath);
        Assert.True(File.Exists(Path.Combine(session.WorktreePath, "src", "greet.ts")));
        Assert.Equal(session.BranchName, TestRepository.GitIn(session.WorktreePath, "branch", "--show-current"));
        Assert.Contains(".worktrees/", File.ReadAllText(repo.Path(".git", "info", "exclude")));
        Assert.Equal("", repo.Git("status", "--porcelain"));
        Assert.Equal(session.BranchName, manager.Resolve(session.Id[..4]).BranchName);
    }
}
