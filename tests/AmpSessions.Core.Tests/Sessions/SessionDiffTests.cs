using AmpSessions.Core.Errors;
using AmpSessions.Core.Git;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Core.Tests.Sessions;

public sealed class SessionDiffTests : IDisposable
{
    private readonly SessionTestBed bed = new();

    public void Dispose() => bed.Dispose();

    /// <summary>One change of every kind: committed, staged, unstaged and untracked; and the base moving on.</summary>
    private async Task<Session> SessionWithEveryKindOfChangeAsync()
    {
        var session = await bed.NewAsync();
        SessionTestBed.CommitIn(session, "src/greet.ts", "export const committed = true\n", "committed change");
        SessionTestBed.WriteIn(session, "staged ñ.txt", "staged\n");
        SessionTestBed.GitIn(session, "add", "staged ñ.txt");
        SessionTestBed.WriteIn(session, "README.md", "# unstaged edit\n");
        SessionTestBed.WriteIn(session, "dir/untracked file.txt", "untracked\n");
        bed.Repo.WriteFile("only-on-main.txt", "the base moved on\n");
        bed.Repo.CommitAll("main moves on");
        return session;
    }

    private static string WorktreeStatus(Session session) => SessionTestBed.GitIn(session, "--no-optional-locks", "status", "--porcelain=v2", "--untracked-files=all");

    [Fact]
    public async Task The_default_diff_has_committed_staged_unstaged_and_untracked_changes_since_the_merge_base()
    {
        var session = await SessionWithEveryKindOfChangeAsync();
        var statusBefore = WorktreeStatus(session);

        var diff = await bed.KeepingMainCheckoutAsync(() => bed.Manager.DiffAsync(session.Id));

        Assert.Equal(DiffScope.All, diff.Scope);
        var files = diff.Files.ToDictionary(f => f.Path);
        Assert.Equal(["README.md", "dir/untracked file.txt", "src/greet.ts", "staged ñ.txt"], files.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(FileChangeKind.Modified, files["src/greet.ts"].Change);
        Assert.Equal(FileChangeKind.Added, files["staged ñ.txt"].Change);
        Assert.Equal(FileChangeKind.Added, files["dir/untracked file.txt"].Change);
        Assert.Contains("+export const committed = true", diff.Patch);
        Assert.DoesNotContain("only-on-main.txt", diff.Patch);
        Assert.Equal(diff.Files.Sum(f => f.AddedLineCount), diff.AddedLineCount);
        // Diffing never stages anything: the untracked file is still untracked.
        Assert.Equal(statusBefore, WorktreeStatus(session));
    }

    [Fact]
    public async Task The_staged_diff_is_the_index_only()
    {
        var session = await SessionWithEveryKindOfChangeAsync();

        var diff = await bed.Manager.DiffAsync(session.Id, DiffScope.Staged);

        var file = Assert.Single(diff.Files);
        Assert.Equal(("staged ñ.txt", FileChangeKind.Added), (file.Path, file.Change));
        Assert.Equal("staged", file.Hunks.Single().Lines.Single().Text);
    }

    [Fact]
    public async Task The_unstaged_diff_is_the_working_tree_against_the_index_untracked_included()
    {
        var session = await SessionWithEveryKindOfChangeAsync();
        var statusBefore = WorktreeStatus(session);

        var diff = await bed.Manager.DiffAsync(session.Id, DiffScope.Unstaged);

        Assert.Equal(["README.md", "dir/untracked file.txt"], diff.Files.Select(f => f.Path).Order(StringComparer.Ordinal));
        Assert.Equal(statusBefore, WorktreeStatus(session));
    }

    [Fact]
    public async Task Name_only_lists_the_files_without_a_patch()
    {
        var session = await SessionWithEveryKindOfChangeAsync();

        var diff = await bed.Manager.DiffAsync(session.Id, nameOnly: true);

        Assert.Equal("", diff.Patch);
        Assert.All(diff.Files, f => Assert.Empty(f.Hunks));
        var files = diff.Files.ToDictionary(f => f.Path);
        Assert.Equal(["README.md", "dir/untracked file.txt", "src/greet.ts", "staged ñ.txt"], files.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(FileChangeKind.Added, files["staged ñ.txt"].Change);
        Assert.Equal(FileChangeKind.Modified, files["README.md"].Change);
    }

    [Fact]
    public async Task Name_only_shows_renames_with_their_old_path()
    {
        var session = await bed.NewAsync();
        Directory.CreateDirectory(Path.Combine(session.WorktreePath, "lib"));
        SessionTestBed.GitIn(session, "mv", "src/greet.ts", "lib/greet ü.ts");

        var file = Assert.Single((await bed.Manager.DiffAsync(session.Id, nameOnly: true)).Files);

        Assert.Equal((FileChangeKind.Renamed, "lib/greet ü.ts", "src/greet.ts"), (file.Change, file.Path, file.OldPath));
    }

    [Fact]
    public async Task Name_only_of_a_clean_worktree_is_the_committed_change_and_matches_the_working_tree_snapshot()
    {
        // Everything committed (an edit, a rename, an addition, a deletion) and the base moved on: the
        // clean worktree is answered from two commits, the same names a snapshot of the working tree gives.
        var session = await bed.NewAsync();
        SessionTestBed.CommitIn(session, "src/greet.ts", "export const committed = true\n", "edit");
        Directory.CreateDirectory(Path.Combine(session.WorktreePath, "lib"));
        SessionTestBed.WriteIn(session, "lib/added ñ.txt", "added\n");
        SessionTestBed.GitIn(session, "mv", "README.md", "lib/README.md");
        SessionTestBed.GitIn(session, "add", "--all");
        SessionTestBed.GitIn(session, "commit", "--quiet", "-m", "rename and add");
        bed.Repo.WriteFile("only-on-main.txt", "the base moved on\n");
        bed.Repo.CommitAll("main moves on");
        var statusBefore = WorktreeStatus(session);
        Assert.Equal("", statusBefore);

        var clean = await bed.Manager.DiffAsync(session.Id, nameOnly: true);

        var snapshot = GitPorcelain.ParseNameStatus(SessionTestBed.GitIn(session, "diff", "--name-status", "-z", "-M", "--no-ext-diff", session.BaseCommit,
            await WorkingTreeSnapshot.WriteWorkingTreeAsync(new GitClient(session.WorktreePath))));
        Assert.Equal(snapshot.Select(n => (n.Path, n.OriginalPath, n.Change)), clean.Files.Select(f => (f.Path, f.OldPath, f.Change)));
        Assert.Equal(["lib/README.md", "lib/added ñ.txt", "src/greet.ts"], clean.Files.Select(f => f.Path).Order(StringComparer.Ordinal));
        Assert.Equal(FileChangeKind.Renamed, clean.Files.Single(f => f.Path == "lib/README.md").Change);

        // One untracked file makes it a working tree diff again.
        SessionTestBed.WriteIn(session, "new.txt", "new\n");
        var dirty = await bed.Manager.DiffAsync(session.Id, nameOnly: true);
        Assert.Contains(dirty.Files, f => f.Path == "new.txt" && f.Change == FileChangeKind.Added);
        Assert.Equal(4, dirty.Files.Count);
    }

    [Fact]
    public async Task A_session_without_changes_has_an_empty_diff()
    {
        var session = await bed.NewAsync();

        Assert.Empty((await bed.Manager.DiffAsync(session.Id)).Files);
        Assert.Empty((await bed.Manager.DiffAsync(session.Id, DiffScope.Staged)).Files);
        Assert.Empty((await bed.Manager.DiffAsync(session.Id, DiffScope.Unstaged, nameOnly: true)).Files);
    }

    [Fact]
    public async Task Diff_of_a_worktree_deleted_by_hand_is_a_clear_error()
    {
        var session = await bed.NewAsync();
        Directory.Delete(session.WorktreePath, recursive: true);

        var ex = await bed.FailsKeepingMainCheckoutAsync<AmpSessionsException>(() => bed.Manager.DiffAsync(session.Id));

        Assert.Equal("AmpWorktreeMissing", ex.ErrorId);
        Assert.Contains("repair --reattach", ex.Message);
    }
}
