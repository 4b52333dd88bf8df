using AmpSessions.Core.Sessions;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Sessions;

public sealed class SessionRepairTests : IDisposable
{
    private readonly SessionTestBed bed = new();

    public void Dispose() => bed.Dispose();

    private Task<RepairReport> RepairAsync(bool reattach = false, bool archiveMissing = false, bool prune = false, bool allRepositories = false) =>
        bed.KeepingMainCheckoutAsync(() => bed.Manager.RepairAsync(new RepairRequest
        {
            RepoPath = allRepositories ? null : bed.Repo.Root,
            Reattach = reattach,
            ArchiveMissing = archiveMissing,
            Prune = prune,
        }));

    private async Task<Session> SessionWithDeletedWorktreeAsync()
    {
        var session = await bed.NewAsync();
        SessionTestBed.CommitIn(session, "kept.txt", "on the branch\n", "kept");
        Directory.Delete(session.WorktreePath, recursive: true);
        return session;
    }

    [Fact]
    public async Task A_consistent_repository_is_healthy()
    {
        await bed.NewAsync();

        Assert.True((await RepairAsync()).IsHealthy);
        Assert.True((await RepairAsync(allRepositories: true)).IsHealthy);
    }

    [Fact]
    public async Task A_worktree_deleted_by_hand_is_reported_and_its_stale_metadata_pruned()
    {
        var session = await SessionWithDeletedWorktreeAsync();

        var report = await RepairAsync();

        var missing = Assert.Single(report.Findings, f => f.Kind == RepairFindingKind.WorktreeMissing);
        Assert.Equal(session.Id, missing.SessionId);
        Assert.Equal(session.WorktreePath, missing.Path);
        Assert.StartsWith("none:", missing.Action);
        var stale = Assert.Single(report.Findings, f => f.Kind == RepairFindingKind.StaleWorktreeMetadata);
        Assert.Equal(session.Id, stale.SessionId);
        Assert.DoesNotContain(session.WorktreePath, bed.Repo.Git("worktree", "list", "--porcelain"));
        Assert.Equal(SessionStatus.Idle, bed.Manager.Resolve(session.Id).Status);
        Assert.True(bed.BranchExists(session.BranchName));
    }

    [Fact]
    public async Task Reattach_recreates_the_worktree_from_its_branch()
    {
        var session = await SessionWithDeletedWorktreeAsync();

        var report = await RepairAsync(reattach: true);

        Assert.Equal("re-attached from its branch", Assert.Single(report.Findings, f => f.Kind == RepairFindingKind.WorktreeMissing).Action);
        Assert.Equal("on the branch\n", File.ReadAllText(Path.Combine(session.WorktreePath, "kept.txt")));
        Assert.Equal(session.BranchName, SessionTestBed.GitIn(session, "branch", "--show-current"));
        Assert.True((await bed.Manager.GetStateAsync(session.Id)).WorktreePresent);
        Assert.True((await RepairAsync()).IsHealthy);
    }

    [Fact]
    public async Task Archive_missing_archives_the_session_and_keeps_its_branch()
    {
        var session = await SessionWithDeletedWorktreeAsync();

        var report = await RepairAsync(archiveMissing: true);

        Assert.Equal("archived (the branch is kept)", Assert.Single(report.Findings, f => f.Kind == RepairFindingKind.WorktreeMissing).Action);
        Assert.Equal(SessionStatus.Archived, bed.Manager.Resolve(session.Id).Status);
        Assert.True(bed.BranchExists(session.BranchName));
        Assert.True((await RepairAsync()).IsHealthy);
    }

    [Fact]
    public async Task An_orphaned_worktree_is_reported_and_pruned_when_clean()
    {
        await bed.NewAsync();
        var orphan = bed.Repo.Path(".worktrees", "orphan1");
        bed.Repo.Git("worktree", "add", "--quiet", "-b", "orphan-branch", orphan);

        var reported = Assert.Single((await RepairAsync()).Findings);
        Assert.Equal((RepairFindingKind.OrphanedWorktree, orphan, (string?)null), (reported.Kind, reported.Path, reported.SessionId));
        Assert.StartsWith("none:", reported.Action);
        Assert.True(Directory.Exists(orphan));

        var pruned = Assert.Single((await RepairAsync(prune: true)).Findings);
        Assert.Equal("removed (it was clean)", pruned.Action);
        Assert.False(Directory.Exists(orphan));
        Assert.DoesNotContain(orphan, bed.Repo.Git("worktree", "list", "--porcelain"));
        Assert.True((await RepairAsync()).IsHealthy);
    }

    [Fact]
    public async Task A_dirty_orphaned_worktree_is_kept_by_prune()
    {
        var orphan = bed.Repo.Path(".worktrees", "orphan2");
        bed.Repo.Git("worktree", "add", "--quiet", "-b", "orphan-branch", orphan);
        File.WriteAllText(Path.Combine(orphan, "work.txt"), "someone's work\n");

        var finding = Assert.Single((await RepairAsync(prune: true)).Findings);

        Assert.Equal("kept: it has uncommitted changes", finding.Action);
        Assert.Equal("someone's work\n", File.ReadAllText(Path.Combine(orphan, "work.txt")));
    }

    [Fact]
    public async Task A_folder_under_worktrees_that_git_does_not_know_is_reported_and_kept()
    {
        bed.Repo.WriteFile(".worktrees/stray/file.txt", "stray\n");

        var finding = Assert.Single((await RepairAsync(prune: true)).Findings);

        Assert.Equal(RepairFindingKind.OrphanedWorktree, finding.Kind);
        Assert.Equal("kept: not a git worktree and not empty", finding.Action);
        Assert.True(File.Exists(bed.Repo.Path(".worktrees", "stray", "file.txt")));
    }

    [Fact]
    public async Task Stale_metadata_of_a_worktree_outside_the_sessions_is_pruned()
    {
        var elsewhere = Path.Combine(bed.Repo.Scratch("elsewhere"), "wt");
        bed.Repo.Git("worktree", "add", "--quiet", "-b", "elsewhere-branch", elsewhere);
        Directory.Delete(elsewhere, recursive: true);

        var finding = Assert.Single((await RepairAsync()).Findings);

        Assert.Equal((RepairFindingKind.StaleWorktreeMetadata, elsewhere, (string?)null), (finding.Kind, finding.Path, finding.SessionId));
        Assert.DoesNotContain("prunable", bed.Repo.Git("worktree", "list", "--porcelain"));
    }

    private Session InitializingRow(string id, DateTimeOffset updatedAt) => new()
    {
        Id = id,
        Name = "interrupted",
        Prompt = "p",
        RepoRoot = bed.Repo.Root,
        BaseBranch = "main",
        BaseCommit = bed.Repo.Git("rev-parse", "main"),
        BranchName = $"amp/interrupted/{id}",
        WorktreePath = bed.Repo.Path(".worktrees", id),
        Status = SessionStatus.Initializing,
        CreatedAt = updatedAt,
        UpdatedAt = updatedAt,
    };

    [Fact]
    public async Task An_interrupted_creation_is_cleaned_at_once()
    {
        // No process holds its session lock: the `new` that wrote it is gone (no waiting five minutes).
        var row = InitializingRow("intr2345", DateTimeOffset.UtcNow);
        bed.Context.Sessions.Insert(row);
        // What `new` had done when it stopped: the exclude line, the branch, the worktree.
        AmpSessions.Core.Git.GitExcludes.Ensure(bed.Repo.Path(".git"), SessionManager.WorktreesFolder + "/");
        bed.Repo.Git("branch", row.BranchName, "main");
        bed.Repo.Git("worktree", "add", "--quiet", row.WorktreePath, row.BranchName);

        var report = await RepairAsync();

        var finding = Assert.Single(report.Findings);
        Assert.Equal((RepairFindingKind.InterruptedCreate, row.Id), (finding.Kind, finding.SessionId));
        Assert.Null(bed.Context.Sessions.Get(row.Id));
        Assert.False(bed.BranchExists(row.BranchName));
        Assert.False(Directory.Exists(row.WorktreePath));
        Assert.DoesNotContain(row.WorktreePath, bed.Repo.Git("worktree", "list", "--porcelain"));
    }

    [Fact]
    public async Task A_creation_still_in_progress_is_left_alone()
    {
        // `new` holds the session lock from before it writes the row until the session is Idle, and it
        // waits for the repository lock meanwhile: repair must not archive, re-attach or remove it.
        var row = InitializingRow("busy2345", DateTimeOffset.UtcNow);
        using var creating = SessionLock.Acquire(bed.Context, row.Id, "new");
        bed.Context.Sessions.Insert(row);

        var report = await RepairAsync(reattach: true, archiveMissing: true, prune: true);

        Assert.DoesNotContain(report.Findings, f => f.SessionId == row.Id);
        Assert.Equal(SessionStatus.Initializing, bed.Context.Sessions.Get(row.Id)!.Status);
        Assert.False(Directory.Exists(row.WorktreePath));
        Assert.False(bed.BranchExists(row.BranchName));
    }

    [Fact]
    public async Task A_missing_repository_is_reported_and_archived_on_request()
    {
        using var doomed = new TestRepository("doomed");
        var session = await bed.NewAsync(repoPath: doomed.Root);
        Directory.Delete(doomed.Root, recursive: true);

        var reported = await bed.Manager.RepairAsync(new RepairRequest());
        var archived = await bed.Manager.RepairAsync(new RepairRequest { ArchiveMissing = true });

        Assert.Equal(RepairFindingKind.RepositoryMissing, Assert.Single(reported.Findings).Kind);
        Assert.Equal("archived", Assert.Single(archived.Findings).Action);
        Assert.Equal(SessionStatus.Archived, bed.Manager.Resolve(session.Id).Status);
    }
}
