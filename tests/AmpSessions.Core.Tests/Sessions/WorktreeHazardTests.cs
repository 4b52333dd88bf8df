using AmpSessions.Core.Errors;
using AmpSessions.Core.Iterations;
using AmpSessions.Core.Sessions;
using AmpSessions.Core.Tests.Iterations;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Sessions;

/// <summary>Issue 10 items 7 and 9: a symlinked .worktrees folder, and a stale index.lock found before the turn.</summary>
public sealed class WorktreeHazardTests : IDisposable
{
    private readonly IterationTestBed bed = new();

    public void Dispose() => bed.Dispose();

    [Fact]
    public async Task A_symlinked_worktrees_folder_keeps_sessions_present_and_cleanup_force_works()
    {
        var elsewhere = bed.Repo.Scratch("worktrees-elsewhere");
        Directory.CreateSymbolicLink(bed.Repo.Path(SessionManager.WorktreesFolder), elsewhere);
        var session = await bed.NewSessionAsync();
        // git records the resolved path.
        Assert.Contains(Path.Combine(elsewhere, session.Id), bed.Repo.Git("worktree", "list", "--porcelain"));

        var state = await bed.Sessions.GetStateAsync(session.Id);
        Assert.True(state.WorktreePresent);
        var report = await bed.Sessions.RepairAsync(new RepairRequest { RepoPath = bed.Repo.Root });
        Assert.Empty(report.Findings);
        Assert.Equal(IterationStatus.Succeeded, (await bed.IterateAsync(session)).Status);

        var cleaned = await bed.Sessions.CleanupAsync(session.Id, force: true);
        Assert.True(cleaned.WorktreeRemoved);
        Assert.False(Directory.Exists(Path.Combine(elsewhere, session.Id)));
        Assert.DoesNotContain(session.Id, bed.Repo.Git("worktree", "list", "--porcelain"));
    }

    [Fact]
    public async Task A_stale_index_lock_is_found_before_the_agent_runs_and_repair_reports_it()
    {
        var session = await bed.NewSessionAsync();
        var gitDir = bed.GitInWorktree(session, "rev-parse", "--path-format=absolute", "--git-dir");
        var indexLock = Path.Combine(gitDir, "index.lock");
        File.WriteAllText(indexLock, "");

        var refused = await Assert.ThrowsAsync<AmpSessionsException>(() => bed.IterateAsync(session));

        Assert.Equal("AmpIndexLocked", refused.ErrorId);
        Assert.Contains(indexLock, refused.Message);
        Assert.Empty(bed.Invocations);
        Assert.Empty(bed.Context.Iterations.List(session.Id));
        var finding = Assert.Single((await bed.Sessions.RepairAsync(new RepairRequest { RepoPath = bed.Repo.Root })).Findings);
        Assert.Equal(("IndexLocked", session.Id, indexLock), (finding.Kind.ToString(), finding.SessionId, finding.Path));

        File.Delete(indexLock);
        Assert.Equal(IterationStatus.Succeeded, (await bed.IterateAsync(session)).Status);
    }
}
