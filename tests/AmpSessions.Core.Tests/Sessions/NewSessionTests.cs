using AmpSessions.Core.Errors;
using AmpSessions.Core.Sessions;
using AmpSessions.Testing;
using Microsoft.Data.Sqlite;

namespace AmpSessions.Core.Tests.Sessions;

/// <summary>`new`, and every kind of bad input the issue lists: one clear error and nothing left behind.</summary>
public sealed class NewSessionTests : IDisposable
{
    private readonly SessionTestBed bed = new();

    public void Dispose() => bed.Dispose();

    private async Task<AmpSessionsException> FailsLeavingNothingAsync(NewSessionRequest request, string errorId)
    {
        var before = bed.Capture();
        var ex = await Assert.ThrowsAnyAsync<AmpSessionsException>(() => bed.Manager.CreateAsync(request));
        Assert.Equal(errorId, ex.ErrorId);
        await bed.AssertNothingLeftBehindAsync(before);
        return ex;
    }

    private NewSessionRequest Request(string? repo = null, string name = "Fix login", string prompt = "fix it", string? baseBranch = "main") =>
        new() { RepoPath = repo ?? bed.Repo.Root, Name = name, Prompt = prompt, BaseBranch = baseBranch };

    [Fact]
    public async Task New_creates_branch_worktree_exclude_and_an_idle_row_without_touching_the_main_checkout()
    {
        var session = await bed.KeepingMainCheckoutAsync(() => bed.NewAsync("Rename greet", "rename hello to greet"));

        Assert.Equal(SessionStatus.Idle, session.Status);
        Assert.Matches("^[a-z][a-z2-9]{7}$", session.Id);
        Assert.Matches(@"^amp/rename-greet/\d{8}-\d{6}$", session.BranchName);
        Assert.Equal(bed.Repo.Path(".worktrees", session.Id), session.WorktreePath);
        Assert.Equal(bed.Repo.Root, session.RepoRoot);
        Assert.Equal("main", session.BaseBranch);
        Assert.Equal(bed.Repo.Git("rev-parse", "main"), session.BaseCommit);
        Assert.True(File.Exists(Path.Combine(session.WorktreePath, "src", "greet.ts")));
        Assert.Equal(session.BranchName, SessionTestBed.GitIn(session, "branch", "--show-current"));
        Assert.Equal(session.BaseCommit, bed.Repo.Git("rev-parse", session.BranchName));
        Assert.Contains(".worktrees/", File.ReadAllLines(bed.Repo.Path(".git", "info", "exclude")));
        Assert.Equal("", bed.Repo.Git("status", "--porcelain", "--untracked-files=all"));
        var row = bed.Context.Sessions.Get(session.Id)!;
        Assert.Equal(SessionStatus.Idle, row.Status);
        Assert.Equal(session.BranchName, row.BranchName);
        await SessionTestBed.AssertLockFreeAsync(bed.Repo.Path(".git"));
    }

    [Fact]
    public async Task The_exclude_line_is_added_once()
    {
        await bed.NewAsync("one");
        await bed.NewAsync("two");

        Assert.Single(File.ReadAllLines(bed.Repo.Path(".git", "info", "exclude")), l => l == ".worktrees/");
    }

    [Fact]
    public async Task Without_a_base_the_branch_checked_out_in_the_main_worktree_is_used()
    {
        bed.Repo.Git("checkout", "--quiet", "-b", "develop");

        var session = await bed.NewAsync(baseBranch: null);

        Assert.Equal("develop", session.BaseBranch);
    }

    [Fact]
    public async Task A_path_inside_the_repository_or_a_session_worktree_means_the_main_repository()
    {
        var first = await bed.NewAsync("first");

        var fromSubfolder = await bed.NewAsync("second", repoPath: bed.Repo.Path("src"));
        var fromWorktree = await bed.NewAsync("third", repoPath: first.WorktreePath);

        Assert.Equal(bed.Repo.Root, fromSubfolder.RepoRoot);
        Assert.Equal(bed.Repo.Root, fromWorktree.RepoRoot);
        Assert.Equal(bed.Repo.Path(".worktrees", fromWorktree.Id), fromWorktree.WorktreePath);
    }

    [Fact]
    public async Task Two_sessions_with_the_same_name_in_the_same_second_get_distinct_branches()
    {
        using var fixedBed = new SessionTestBed(clock: new FixedClock(new DateTimeOffset(2025, 3, 4, 5, 6, 7, TimeSpan.Zero)));

        var a = await fixedBed.NewAsync("Same name");
        var b = await fixedBed.NewAsync("Same name");

        Assert.Equal("amp/same-name/20250304-050607", a.BranchName);
        Assert.Equal("amp/same-name/20250304-050607-2", b.BranchName);
        Assert.NotEqual(a.WorktreePath, b.WorktreePath);
    }

    [Fact]
    public async Task Quotes_substitutions_backticks_semicolons_and_newlines_in_name_and_prompt_are_kept_as_text()
    {
        const string name = "Fix \"login\" 'now'; $(touch pwned) `touch pwned` && rm -rf x\nsecond line";
        const string prompt = "Prompt with \"quotes\", 'single', $(touch pwned), `touch pwned`; echo done\nline two\n";

        var session = await bed.KeepingMainCheckoutAsync(() => bed.NewAsync(name, prompt));

        var stored = bed.Manager.Resolve(session.Id);
        Assert.Equal(name, stored.Name);
        Assert.Equal(prompt, stored.Prompt);
        // The slug keeps letters and digits only, cut at 40 characters.
        Assert.Matches(@"^amp/fix-login-now-touch-pwned-touch-pwned-rm/\d{8}-\d{6}$", session.BranchName);
        Assert.True(bed.BranchExists(session.BranchName));
        Assert.False(File.Exists(bed.Repo.Path("pwned")));
        Assert.False(File.Exists(Path.Combine(session.WorktreePath, "pwned")));
        Assert.False(File.Exists("pwned"));
    }

    [Theory]
    [InlineData("Ünïcödé café naïve", "unicode-cafe-naive")]
    [InlineData("Привет мир 日本", "привет-мир-日本")]
    [InlineData("  spaces   everywhere  ", "spaces-everywhere")]
    public async Task Names_with_spaces_and_non_ascii_letters_make_valid_branches(string name, string slug)
    {
        var session = await bed.NewAsync(name);

        Assert.StartsWith($"amp/{slug}/", session.BranchName);
        Assert.Equal(session.BranchName, SessionTestBed.GitIn(session, "branch", "--show-current"));
        Assert.Equal(name.Trim(), bed.Manager.Resolve(session.Id).Name);
    }

    [Fact]
    public async Task A_repository_path_with_spaces_and_non_ascii_letters_works()
    {
        using var spaced = new SessionTestBed("my répo ü space");

        var session = await spaced.KeepingMainCheckoutAsync(() => spaced.NewAsync());

        Assert.EndsWith(Path.Combine("my répo ü space", ".worktrees", session.Id), session.WorktreePath);
        Assert.True(File.Exists(Path.Combine(session.WorktreePath, "README.md")));
        Assert.Equal(session.Id, spaced.Manager.Resolve(session.Id).Id);
    }

    // ---- bad input ----

    [Fact]
    public async Task A_path_that_does_not_exist()
    {
        var missing = bed.Repo.Path("no", "such", "folder");

        var ex = await FailsLeavingNothingAsync(Request(missing), "AmpRepositoryNotFound");

        Assert.Contains(missing, ex.Message);
        Assert.Contains("give the path of a Git checkout", ex.Message);
        Assert.False(Directory.Exists(missing));
    }

    [Fact]
    public async Task An_empty_repository_path()
    {
        var ex = await FailsLeavingNothingAsync(Request(" "), "AmpRepositoryPathEmpty");

        Assert.Contains("give the path of a Git checkout", ex.Message);
    }

    [Fact]
    public async Task A_folder_that_is_not_a_repository()
    {
        var plain = bed.Repo.Scratch("plain folder");

        var ex = await FailsLeavingNothingAsync(Request(plain), "AmpNotARepository");

        Assert.Contains("git init", ex.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(plain));
    }

    [Fact]
    public async Task A_bare_repository()
    {
        var bare = Path.Combine(bed.Repo.Scratch("bare"), "repo.git");
        bed.Repo.Git("clone", "--quiet", "--bare", bed.Repo.Root, bare);
        var refsBefore = TestRepository.GitIn(bare, "for-each-ref");

        var ex = await FailsLeavingNothingAsync(Request(bare), "AmpBareRepository");

        Assert.Contains("clone it", ex.Message);
        Assert.Equal(refsBefore, TestRepository.GitIn(bare, "for-each-ref"));
        Assert.False(Directory.Exists(Path.Combine(bare, "worktrees")));
        Assert.False(Directory.Exists(Path.Combine(bare, ".worktrees")));
    }

    [Fact]
    public async Task An_unknown_base_branch()
    {
        var ex = await FailsLeavingNothingAsync(Request(baseBranch: "no-such-branch"), "AmpBaseBranchNotFound");

        Assert.Contains("'no-such-branch'", ex.Message);
        Assert.Contains("main", ex.Message);
    }

    [Fact]
    public async Task A_repository_with_no_commits()
    {
        using var empty = new TestRepository("empty", initialCommit: false);

        var ex = await FailsLeavingNothingAsync(Request(empty.Root), "AmpRepositoryEmpty");

        Assert.Contains("first commit", ex.Message);
        Assert.Equal("", empty.Git("for-each-ref"));
        Assert.False(Directory.Exists(empty.Path(".worktrees")));
        Assert.False(Directory.Exists(empty.Path(".git", "worktrees")));
        await SessionTestBed.AssertLockFreeAsync(empty.Path(".git"));
    }

    [Theory]
    [InlineData("!!! --- ???")]
    [InlineData("$()`;")]
    public async Task A_name_that_slugifies_to_nothing(string name)
    {
        var ex = await FailsLeavingNothingAsync(Request(name: name), "AmpSessionNameInvalid");

        Assert.Contains("letters or digits", ex.Message);
    }

    [Fact]
    public async Task An_empty_name_or_prompt()
    {
        await FailsLeavingNothingAsync(Request(name: "  "), "AmpSessionNameEmpty");
        await FailsLeavingNothingAsync(Request(prompt: "\n "), "AmpPromptEmpty");
    }

    [Fact]
    public async Task A_worktree_folder_that_already_exists()
    {
        using var fixedId = new SessionTestBed(idGenerator: () => "taken234");
        fixedId.Repo.WriteFile(".worktrees/taken234/keep.txt", "someone's files");
        var before = fixedId.Capture();

        var ex = await Assert.ThrowsAsync<AmpSessionsException>(() => fixedId.NewAsync());

        Assert.Equal("AmpWorktreePathExists", ex.ErrorId);
        Assert.Contains(fixedId.Repo.Path(".worktrees", "taken234"), ex.Message);
        Assert.Contains("repair", ex.Message);
        await fixedId.AssertNothingLeftBehindAsync(before);
        Assert.Equal("someone's files", fixedId.Repo.ReadFile(".worktrees/taken234/keep.txt"));
    }

    [Fact]
    public async Task A_branch_that_already_exists()
    {
        bed.Repo.Git("branch", "existing/branch");

        var ex = await FailsLeavingNothingAsync(Request() with { BranchName = "existing/branch" }, "AmpBranchExists");

        Assert.Contains("'existing/branch' already exists", ex.Message);
    }

    [Fact]
    public async Task An_invalid_explicit_branch_name()
    {
        var ex = await FailsLeavingNothingAsync(Request() with { BranchName = "bad..name" }, "AmpBranchNameInvalid");

        Assert.Contains("check-ref-format", ex.Message);
    }

    [Fact]
    public async Task A_git_failure_half_way_is_undone()
    {
        // A ref file where the branch's folder must go: making the branch amp/<slug>/... (`git worktree add -b`, which
        // makes it with its own `git branch`) fails after the row is written. The error names the git command that failed.
        bed.Repo.Git("branch", "amp/fix-login");

        var ex = await FailsLeavingNothingAsync(Request(name: "Fix login"), "AmpGitFailed");

        Assert.Contains("git worktree add", ex.Message);
        Assert.Contains("-b amp/fix-login/", ex.Message);
        Assert.Contains("cannot lock ref", ex.Message);
    }

    [Fact]
    public void A_read_only_database()
    {
        var database = Path.Combine(bed.DataDirectory, "amp-sessions.db");
        FileModes.MakeReadOnly(database);
        var before = bed.Capture();

        var ex = Assert.Throws<AmpSessionsException>(() => AmpContext.Open(bed.Options));

        Assert.Equal("AmpDatabaseReadOnly", ex.ErrorId);
        Assert.Equal(before, bed.Capture());
    }

    [Fact]
    public async Task A_database_locked_by_another_process()
    {
        using var locked = new SessionTestBed(busyTimeout: TimeSpan.FromMilliseconds(300));
        var before = locked.Capture();
        using var other = new SqliteConnection($"Data Source={Path.Combine(locked.DataDirectory, "amp-sessions.db")};Pooling=False");
        other.Open();
        using (var begin = other.CreateCommand())
        {
            begin.CommandText = "BEGIN EXCLUSIVE";
            begin.ExecuteNonQuery();
        }

        var ex = await Assert.ThrowsAsync<AmpSessionsException>(() => locked.NewAsync());

        Assert.Equal("AmpDatabaseLocked", ex.ErrorId);
        Assert.Contains("try again", ex.Message);
        Assert.Equal(before, locked.Capture());
        await SessionTestBed.AssertLockFreeAsync(locked.Repo.Path(".git"));
        other.Close();
        Assert.Empty(locked.Context.Sessions.List());
    }

    [Fact]
    public void A_data_directory_that_cannot_be_created()
    {
        var file = Path.Combine(bed.Repo.Scratch("files"), "plain-file");
        File.WriteAllText(file, "");

        var ex = Assert.Throws<AmpSessionsException>(() => AmpContext.Open(bed.Options with { DataDirectory = Path.Combine(file, "data") }));

        Assert.Equal("AmpDataDirectoryUnavailable", ex.ErrorId);
        Assert.Contains("AMP_SESSIONS_HOME", ex.Message);
    }
}
