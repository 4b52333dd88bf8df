using AmpSessions.Core.Errors;
using AmpSessions.Core.Git;
using AmpSessions.Core.Sessions;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Sessions;

/// <summary>Finding sessions (id, prefix, name), listing them and their live status.</summary>
public sealed class SessionQueryTests : IDisposable
{
    private readonly SessionTestBed bed = new(idGenerator: new IdSequence("abcd2345", "abcd6789", "xyzw2345", "mnpq2345").Next);

    public void Dispose() => bed.Dispose();

    [Fact]
    public async Task A_session_is_found_by_id_unique_prefix_or_name()
    {
        var first = await bed.NewAsync("Fix login");
        var second = await bed.NewAsync("Tidy up");

        Assert.Equal(first.Id, bed.Manager.Resolve("abcd2345").Id);
        Assert.Equal(first.Id, bed.Manager.Resolve("abcd2").Id);
        Assert.Equal(second.Id, bed.Manager.Resolve("abcd6").Id);
        Assert.Equal(second.Id, bed.Manager.Resolve("Tidy up").Id);
        Assert.Equal(first.Id, bed.Manager.Resolve("  Fix login ").Id);
    }

    [Fact]
    public async Task An_ambiguous_prefix_is_a_clear_error_naming_the_candidates()
    {
        await bed.NewAsync("Fix login");
        await bed.NewAsync("Tidy up");

        var ex = Assert.Throws<SessionNotFoundException>(() => bed.Manager.Resolve("abcd"));

        Assert.Equal("AmpSessionAmbiguous", ex.ErrorId);
        Assert.Contains("abcd2345 \"Fix login\"", ex.Message);
        Assert.Contains("abcd6789 \"Tidy up\"", ex.Message);
        Assert.Contains("more of the id", ex.Message);
    }

    [Fact]
    public async Task Two_sessions_with_one_name_make_the_name_ambiguous()
    {
        await bed.NewAsync("Same");
        await bed.NewAsync("Same");

        Assert.Equal("AmpSessionAmbiguous", Assert.Throws<SessionNotFoundException>(() => bed.Manager.Resolve("Same")).ErrorId);
    }

    [Theory]
    [InlineData("zzzz")]
    [InlineData("")]
    [InlineData("%")]
    public async Task An_unknown_session_is_a_clear_error_everywhere(string reference)
    {
        var session = await bed.NewAsync();
        var before = bed.Capture();

        Assert.Equal("AmpSessionNotFound", Assert.Throws<SessionNotFoundException>(() => bed.Manager.Resolve(reference)).ErrorId);
        Assert.Equal("AmpSessionNotFound", (await Assert.ThrowsAsync<SessionNotFoundException>(() => bed.Manager.GetStateAsync(reference))).ErrorId);
        await Assert.ThrowsAsync<SessionNotFoundException>(() => bed.Manager.DiffAsync(reference));
        await Assert.ThrowsAsync<SessionNotFoundException>(() => bed.Manager.CommitAsync(reference, "message"));
        await Assert.ThrowsAsync<SessionNotFoundException>(() => bed.Manager.CleanupAsync(reference, force: true));
        await Assert.ThrowsAsync<SessionNotFoundException>(() => bed.Manager.OpenAsync(reference, "true"));

        await bed.AssertNothingLeftBehindAsync(before, rows: 1);
        Assert.Equal(SessionStatus.Idle, bed.Manager.Resolve(session.Id).Status);
    }

    [Fact]
    public async Task List_filters_by_repository_and_status_newest_first()
    {
        using var other = new TestRepository("other");
        var a1 = await bed.NewAsync("a one");
        var a2 = await bed.NewAsync("a two");
        var b1 = await bed.NewAsync("b one", repoPath: other.Root);
        await bed.Manager.CleanupAsync(a2.Id);

        Assert.Equal([b1.Id, a2.Id, a1.Id], (await bed.Manager.ListAsync()).Select(s => s.Id));
        Assert.Equal([a2.Id, a1.Id], (await bed.Manager.ListAsync(bed.Repo.Root)).Select(s => s.Id));
        Assert.Equal([a2.Id, a1.Id], (await bed.Manager.ListAsync(a1.WorktreePath)).Select(s => s.Id));
        Assert.Equal([b1.Id], (await bed.Manager.ListAsync(other.Root)).Select(s => s.Id));
        Assert.Equal([a2.Id], (await bed.Manager.ListAsync(status: SessionStatus.Archived)).Select(s => s.Id));
        Assert.Equal([a1.Id], (await bed.Manager.ListAsync(bed.Repo.Root, SessionStatus.Idle)).Select(s => s.Id));
        Assert.Empty(await bed.Manager.ListAsync(other.Root, SessionStatus.Archived));
    }

    [Fact]
    public async Task Listing_an_unknown_repository_is_a_clear_error()
    {
        var ex = await Assert.ThrowsAsync<AmpSessionsException>(() => bed.Manager.ListAsync(bed.Repo.Path("missing")));

        Assert.Equal("AmpRepositoryNotFound", ex.ErrorId);
    }

    [Fact]
    public async Task Status_reports_ahead_behind_changed_files_and_the_worktree()
    {
        var session = await bed.NewAsync();
        var baseCommit = session.BaseCommit;
        SessionTestBed.CommitIn(session, "src/one.ts", "1\n", "one");
        var head = SessionTestBed.CommitIn(session, "src/two.ts", "2\n", "two");
        bed.Repo.WriteFile("MAIN.md", "main moved on\n");
        var baseHead = bed.Repo.CommitAll("main side");
        SessionTestBed.WriteIn(session, "README.md", "edited\n");
        SessionTestBed.WriteIn(session, "notes/untracked ü.txt", "new\n");
        SessionTestBed.GitIn(session, "add", "README.md");
        SessionTestBed.WriteIn(session, "src/greet.ts", "changed\n");

        var state = await bed.KeepingMainCheckoutAsync(() => bed.Manager.GetStateAsync(session.Id));

        Assert.True(state.WorktreePresent);
        Assert.True(state.BranchPresent);
        Assert.Equal(session.BranchName, state.CurrentBranch);
        Assert.Equal(head, state.Head);
        Assert.Equal(baseHead, state.BaseHead);
        Assert.Equal(baseCommit, state.MergeBase);
        Assert.Equal((2, 1), (state.Ahead, state.Behind));
        Assert.True(state.HasUncommittedChanges);
        Assert.False(state.RebaseInProgress);
        Assert.Empty(state.ConflictedPaths);
        var changes = state.ChangedFiles.ToDictionary(c => c.Path);
        Assert.Equal(3, changes.Count);
        Assert.True(changes["README.md"].IsStaged);
        Assert.True(changes["src/greet.ts"].IsUnstaged);
        Assert.Equal(StatusEntryKind.Untracked, changes["notes/untracked ü.txt"].Kind);
    }

    [Fact]
    public async Task Status_of_a_worktree_deleted_by_hand_says_it_is_missing()
    {
        var session = await bed.NewAsync();
        SessionTestBed.CommitIn(session, "kept.txt", "on the branch\n", "kept");
        Directory.Delete(session.WorktreePath, recursive: true);

        var state = await bed.Manager.GetStateAsync(session.Id);

        Assert.False(state.WorktreePresent);
        Assert.True(state.BranchPresent);
        Assert.Equal(bed.Repo.Git("rev-parse", session.BranchName), state.Head);
        Assert.Equal((1, 0), (state.Ahead, state.Behind));
        Assert.Empty(state.ChangedFiles);
    }
}
