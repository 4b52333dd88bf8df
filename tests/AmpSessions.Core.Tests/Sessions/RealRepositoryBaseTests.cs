using AmpSessions.Core.Errors;
using AmpSessions.Core.Sessions;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Sessions;

/// <summary>Issue 10 items 23 and 24: the base on a detached HEAD, and sentences instead of raw git errors.</summary>
public sealed class RealRepositoryBaseTests : IDisposable
{
    private readonly SessionTestBed bed = new();

    public void Dispose() => bed.Dispose();

    private Task<Session> NewWithoutBaseAsync(TestRepository repo) => bed.Manager.CreateAsync(new NewSessionRequest
    {
        RepoPath = repo.Root,
        Name = "No base given",
        Prompt = "p",
    });

    [Fact]
    public async Task On_a_detached_head_the_remotes_default_branch_is_the_base_even_when_it_is_master()
    {
        using var origin = new TestRepository("origin");
        origin.Git("branch", "-m", "main", "master");
        var clone = bed.Repo.Scratch("clones");
        TestRepository.GitIn(clone, "clone", "--quiet", origin.Root, "work");
        var work = new TestRepositoryView(Path.Combine(clone, "work"));
        work.Git("checkout", "--quiet", "--detach");

        var session = await bed.Manager.CreateAsync(new NewSessionRequest { RepoPath = work.Root, Name = "Detached", Prompt = "p" });

        Assert.Equal("master", session.BaseBranch);
    }

    [Fact]
    public async Task On_a_detached_head_without_a_remote_the_error_says_to_pass_a_base_and_creates_nothing()
    {
        bed.Repo.Git("checkout", "--quiet", "--detach");

        var error = await Assert.ThrowsAsync<AmpSessionsException>(() => NewWithoutBaseAsync(bed.Repo));

        Assert.Equal("AmpBaseBranchNeeded", error.ErrorId);
        Assert.Contains("is detached", error.Message);
        Assert.Contains("--base <branch> (one of: main)", error.Message);
        Assert.Empty(bed.Context.Sessions.List());
    }

    [Fact]
    public async Task A_base_that_only_a_remote_has_is_named_with_how_to_base_on_it()
    {
        using var origin = new TestRepository("origin");
        origin.Git("branch", "develop");
        var clone = bed.Repo.Scratch("clones");
        TestRepository.GitIn(clone, "clone", "--quiet", origin.Root, "work");
        var work = new TestRepositoryView(Path.Combine(clone, "work"));

        var error = await Assert.ThrowsAsync<AmpSessionsException>(() =>
            bed.Manager.CreateAsync(new NewSessionRequest { RepoPath = work.Root, BaseBranch = "develop", Name = "Remote only", Prompt = "p" }));

        Assert.Equal("AmpBaseBranchOnlyRemote", error.ErrorId);
        Assert.Contains("the remote branch origin/develop exists", error.Message);
        Assert.Contains("git branch develop origin/develop", error.Message);
    }

    [Fact]
    public async Task A_tracked_file_named_worktrees_is_a_sentence_not_a_git_error()
    {
        bed.Repo.WriteFile(SessionManager.WorktreesFolder, "not a folder\n");
        bed.Repo.CommitAll("A file where the sessions' folder goes");

        var error = await Assert.ThrowsAsync<AmpSessionsException>(() => NewWithoutBaseAsync(bed.Repo));

        Assert.Equal("AmpWorktreesFolderIsAFile", error.ErrorId);
        Assert.Empty(bed.Context.Sessions.List());
    }

    /// <summary>A checkout made by git clone, addressed like a TestRepository.</summary>
    private sealed record TestRepositoryView(string Root)
    {
        public string Git(params string[] arguments) => TestRepository.GitIn(Root, arguments);
    }
}
