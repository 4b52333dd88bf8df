using AmpSessions.Core.Errors;
using AmpSessions.Core.Git;
using AmpSessions.Core.Processes;
using AmpSessions.Core.Sessions;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Sessions;

public sealed class SessionCommitTests : IDisposable
{
    private readonly SessionTestBed bed = new();

    public void Dispose() => bed.Dispose();

    private static string Log(Session session, string format) => SessionTestBed.GitIn(session, "log", "-1", "--format=" + format);

    [Fact]
    public async Task Commit_records_every_manual_change_untracked_files_included()
    {
        var session = await bed.NewAsync();
        SessionTestBed.WriteIn(session, "README.md", "# edited by hand\n");
        SessionTestBed.WriteIn(session, "new dir/ünïcode file.txt", "new\n");
        File.Delete(Path.Combine(session.WorktreePath, "src", "greet.ts"));

        var result = await bed.KeepingMainCheckoutAsync(() => bed.Manager.CommitAsync(session.Id, "Tidy the readme\n\nA longer body\nover two lines."));

        Assert.Equal(session.Id, result.SessionId);
        Assert.Equal("Tidy the readme", result.Subject);
        Assert.Equal(bed.Repo.Git("rev-parse", session.BranchName), result.Commit);
        var files = result.Files.ToDictionary(f => f.Path, f => f.Change);
        Assert.Equal(FileChangeKind.Modified, files["README.md"]);
        Assert.Equal(FileChangeKind.Added, files["new dir/ünïcode file.txt"]);
        Assert.Equal(FileChangeKind.Deleted, files["src/greet.ts"]);
        Assert.Equal(3, files.Count);
        Assert.Equal("Tidy the readme\n\nA longer body\nover two lines.", Log(session, "%B").TrimEnd());
        Assert.Equal("", SessionTestBed.GitIn(session, "status", "--porcelain", "--untracked-files=all"));
        Assert.Equal(session.BaseCommit, bed.Repo.Git("rev-parse", "main"));
    }

    [Theory]
    [InlineData("#42 fix the greeting")]
    [InlineData("Fix \"quotes\", $(touch pwned) and `ticks`; done")]
    public async Task The_message_is_kept_as_written(string message)
    {
        var session = await bed.NewAsync();
        SessionTestBed.WriteIn(session, "README.md", "changed\n");

        var result = await bed.Manager.CommitAsync(session.Id, message);

        Assert.Equal(message, result.Subject);
        Assert.Equal(message, Log(session, "%s"));
        Assert.False(File.Exists(Path.Combine(session.WorktreePath, "pwned")));
    }

    [Theory]
    [InlineData("")]
    [InlineData("  \n\t ")]
    public async Task An_empty_message_is_refused_before_anything_is_staged(string message)
    {
        var session = await bed.NewAsync();
        SessionTestBed.WriteIn(session, "README.md", "changed\n");
        SessionTestBed.WriteIn(session, "untracked.txt", "u\n");
        var status = SessionTestBed.GitIn(session, "status", "--porcelain", "--untracked-files=all");

        var ex = await bed.FailsKeepingMainCheckoutAsync<AmpSessionsException>(() => bed.Manager.CommitAsync(session.Id, message));

        Assert.Equal("AmpCommitMessageEmpty", ex.ErrorId);
        Assert.Contains("--message", ex.Message);
        Assert.Equal(session.BaseCommit, SessionTestBed.GitIn(session, "rev-parse", "HEAD"));
        Assert.Equal(status, SessionTestBed.GitIn(session, "status", "--porcelain", "--untracked-files=all"));
    }

    [Fact]
    public async Task Nothing_to_commit_is_a_clear_error_and_no_empty_commit()
    {
        var session = await bed.NewAsync();

        var ex = await Assert.ThrowsAsync<AmpSessionsException>(() => bed.Manager.CommitAsync(session.Id, "nothing"));

        Assert.Equal("AmpNothingToCommit", ex.ErrorId);
        Assert.Contains("no changes", ex.Message);
        Assert.Equal(session.BaseCommit, bed.Repo.Git("rev-parse", session.BranchName));
    }

    [Fact]
    public async Task Commit_in_a_worktree_deleted_by_hand_is_a_clear_error()
    {
        var session = await bed.NewAsync();
        Directory.Delete(session.WorktreePath, recursive: true);

        var ex = await Assert.ThrowsAsync<AmpSessionsException>(() => bed.Manager.CommitAsync(session.Id, "message"));

        Assert.Equal("AmpWorktreeMissing", ex.ErrorId);
    }

    [Fact]
    public async Task A_user_without_a_git_identity_still_gets_a_commit_with_the_fallback_identity()
    {
        var session = await bed.NewAsync();
        SessionTestBed.WriteIn(session, "README.md", "changed without an identity\n");
        var emptyHome = bed.Repo.Scratch("empty home");
        var noIdentity = new Dictionary<string, string?>
        {
            ["HOME"] = emptyHome,
            ["XDG_CONFIG_HOME"] = null,
            ["GIT_CONFIG_NOSYSTEM"] = "1",
            ["GIT_CONFIG_GLOBAL"] = null,
            ["GIT_AUTHOR_NAME"] = null,
            ["GIT_AUTHOR_EMAIL"] = null,
            ["GIT_COMMITTER_NAME"] = null,
            ["GIT_COMMITTER_EMAIL"] = null,
            ["EMAIL"] = null,
        };
        // The test means something only if git really finds no identity in this environment.
        var probe = await ProcessRunner.RunAsync(new ProcessSpec("git", ["config", "user.name"]) { WorkingDirectory = session.WorktreePath, Environment = noIdentity });
        Assert.Equal(1, probe.ExitCode);
        var cli = new CliRunner(bed.DataDirectory);
        foreach (var (name, value) in noIdentity)
        {
            cli.Environment[name] = value;
        }

        var result = await cli.RunAsync("commit", session.Id, "--message", "no identity here");

        Assert.True(result.ExitCode == 0, result.ToString());
        var fallback = $"{GitClient.FallbackName} <{GitClient.FallbackEmail}>";
        Assert.Equal("AmpSessions <amp-sessions@localhost>", fallback);
        Assert.Equal($"{fallback}|{fallback}|no identity here", Log(session, "%an <%ae>|%cn <%ce>|%s"));
    }
}
