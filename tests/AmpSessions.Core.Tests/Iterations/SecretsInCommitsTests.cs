using AmpSessions.Core.Errors;
using AmpSessions.Core.Iterations;
using AmpSessions.Core.Notifications;
using AmpSessions.Core.Sessions;
using AmpSessions.Core.Tests.Integration;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Iterations;

/// <summary>
/// Issue 10 item 12: no commit the product makes holds a secret it knows of or a well-known token;
/// credentials in URLs are redacted wherever output is kept; .env files are left out in any case.
/// </summary>
[Trait("Platform", "Posix")]
public sealed class SecretsInCommitsTests : IDisposable
{
    private const string UrlWithPassword = "postgres://app:hunter2-secret@db.example.com/app";
    private readonly IterationTestBed bed = new();
    private readonly RecordingNotifier notifier = new();

    public void Dispose() => bed.Dispose();

    private async Task<Session> SessionWithAgentAsync(string body, string finalMessage = "Did what the script says.", string? script = null)
    {
        var session = await bed.NewSessionAsync(agent: ShellAgent.Write(Path.Combine(bed.Repo.Scratch("agent"), "agent.sh"), body, finalMessage), script: script);
        var withNotifications = bed.Context.Sessions.Get(session.Id)! with { NotificationsEnabled = true };
        bed.Context.Sessions.Update(withNotifications);
        return withNotifications;
    }

    [Fact]
    public async Task A_token_in_the_agents_change_holds_the_commit_back_says_where_and_notifies()
    {
        var session = await SessionWithAgentAsync("mkdir -p config\nprintf 'region = eu\\naws_key = AKIAABCDEFGHIJKLMNOP\\n' > config/aws.ini\n");

        var iteration = await bed.IterateAsync(session, notifier: notifier);

        Assert.Equal(IterationStatus.Succeeded, iteration.Status);
        Assert.Null(iteration.CommitSha);
        var warning = Assert.Single(iteration.Warnings);
        Assert.Contains("an AWS access key id in config/aws.ini:2", warning);
        Assert.DoesNotContain("AKIAABCDEFGHIJKLMNOP", warning);
        Assert.Equal(bed.Repo.Git("rev-parse", "main"), bed.Repo.Git("rev-parse", session.BranchName));
        Assert.Equal("A  config/aws.ini", bed.GitInWorktree(session, "status", "--porcelain"));
        Assert.Contains(notifier.Sent, n => n.Title.Contains("secret", StringComparison.Ordinal) && n.SessionId == session.Id);
        Assert.Contains("commit held back", bed.Reload(session).StatusMessage);
    }

    [Fact]
    public async Task A_url_password_is_redacted_from_the_commit_message_transcript_and_script_log_and_holds_the_commit_back()
    {
        var session = await SessionWithAgentAsync($"echo 'DATABASE_URL={UrlWithPassword}' > settings.txt\n",
            finalMessage: $"Connected with {UrlWithPassword}", script: $"echo using {UrlWithPassword}");

        var iteration = await bed.IterateAsync(session, notifier: notifier);

        Assert.Null(iteration.CommitSha);
        Assert.Contains(iteration.Warnings, w => w.Contains("the password of a URL in settings.txt:1", StringComparison.Ordinal));
        Assert.DoesNotContain("hunter2-secret", iteration.Summary);
        Assert.DoesNotContain("hunter2-secret", File.ReadAllText(iteration.TranscriptPath!));
        var script = Assert.Single(bed.Context.Iterations.ListScriptRuns(session.Id));
        Assert.DoesNotContain("hunter2-secret", File.ReadAllText(script.OutputPath!));
        Assert.DoesNotContain("hunter2-secret", script.OutputTail);
    }

    [Fact]
    public async Task Env_files_in_any_letter_case_are_never_committed()
    {
        var session = await SessionWithAgentAsync("echo 'A=1' > .ENV\nmkdir -p config\necho 'B=2' > config/.Env.local\necho 'kept' > notes.txt\n");

        var iteration = await bed.IterateAsync(session, notifier: notifier);

        Assert.NotNull(iteration.CommitSha);
        Assert.Equal(["notes.txt"], iteration.ChangedFiles);
        Assert.Equal("notes.txt", bed.Repo.Git("show", "--name-only", "--format=", session.BranchName));
    }

    [Fact]
    public async Task A_manual_commit_of_a_token_is_refused_and_left_staged()
    {
        var session = await bed.NewSessionAsync();
        File.WriteAllText(Path.Combine(session.WorktreePath, "deploy.sh"), "curl -H 'Authorization: token ghp_0123456789abcdefghijABCDEFGHIJ' https://api\n");

        var refused = await Assert.ThrowsAsync<AmpSessionsException>(() => bed.Sessions.CommitAsync(session.Id, "Add deploy script"));

        Assert.Equal("AmpCommitHoldsSecret", refused.ErrorId);
        Assert.Contains("a GitHub token in deploy.sh:1", refused.Message);
        Assert.DoesNotContain("ghp_0123456789", refused.Message);
        Assert.Equal(bed.Repo.Git("rev-parse", "main"), bed.Repo.Git("rev-parse", session.BranchName));
    }
}
