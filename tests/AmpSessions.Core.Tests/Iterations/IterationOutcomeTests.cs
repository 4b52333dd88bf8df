using AmpSessions.Core.Agents;
using AmpSessions.Core.Iterations;
using AmpSessions.Core.Sessions;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Iterations;

/// <summary>Each way a turn can end, through IterationRunner with the fake agent: status, message, records, commit.</summary>
public sealed class IterationOutcomeTests : IDisposable
{
    private readonly IterationTestBed bed = new();

    public void Dispose() => bed.Dispose();

    [Fact]
    public async Task A_successful_turn_commits_an_amp_summary_with_trailers_and_records_everything()
    {
        var session = await bed.NewSessionAsync();
        var mainHead = bed.Repo.Git("rev-parse", "HEAD");

        var iteration = await bed.IterateAsync(session);

        Assert.Equal(IterationStatus.Succeeded, iteration.Status);
        Assert.Null(iteration.Error);
        Assert.Equal(1, iteration.Number);
        Assert.Equal(session.Prompt, iteration.Prompt);
        Assert.Equal(IterationTestBed.FakeAgent.Replace("\"", ""), iteration.Agent);
        Assert.Equal(new TokenUsage(21, 218, 15_636, 30_626), iteration.Tokens);
        Assert.Equal(46_501, iteration.TotalTokens);
        Assert.Equal(new Dictionary<string, int> { ["Read"] = 1, ["edit_file"] = 1 }, iteration.ToolCalls);
        Assert.Matches("^T-[0-9a-f-]{36}$", iteration.ThreadId);
        Assert.NotNull(iteration.EndedAt);
        Assert.True(iteration.Duration > TimeSpan.Zero);
        Assert.Empty(iteration.ProtocolWarnings);
        Assert.Null(iteration.ScriptPassed);

        var head = bed.GitInWorktree(session, "rev-parse", "HEAD");
        Assert.Equal(head, iteration.CommitSha);
        Assert.Equal(session.BaseCommit, bed.GitInWorktree(session, "rev-parse", "HEAD^"));
        var subject = bed.GitInWorktree(session, "log", "-1", "--format=%s");
        Assert.Equal("amp: " + iteration.Summary, subject);
        Assert.True(subject.Length <= 72, $"subject of {subject.Length} characters: {subject}");
        Assert.StartsWith("amp: Renamed hello to greet in src/greet.ts.", subject);
        Assert.DoesNotContain("\n", iteration.Summary);
        Assert.Equal(session.Id, Trailer(session, "Amp-Session"));
        Assert.Equal("1", Trailer(session, "Amp-Iteration"));
        Assert.Equal(iteration.ThreadId, Trailer(session, "Amp-Thread"));
        Assert.Equal(["src/greet.ts"], iteration.ChangedFiles);
        Assert.Equal("src/greet.ts", bed.GitInWorktree(session, "show", "--format=", "--name-only", "HEAD"));
        Assert.Equal("", bed.GitInWorktree(session, "status", "--porcelain"));

        var saved = bed.Reload(session);
        Assert.Equal(SessionStatus.Idle, saved.Status);
        Assert.Null(saved.StatusMessage);
        Assert.Equal(iteration.ThreadId, saved.ThreadId);
        Assert.NotNull(saved.LastRunAt);
        var stored = Assert.Single(bed.Context.Iterations.List(session.Id));
        Assert.Equal((iteration.Id, iteration.Status, iteration.CommitSha, iteration.Tokens), (stored.Id, stored.Status, stored.CommitSha, stored.Tokens));

        var transcript = File.ReadAllLines(iteration.TranscriptPath!);
        Assert.Equal(8, transcript.Length);
        Assert.StartsWith(bed.Context.Data.SessionLogs(session.Id), iteration.TranscriptPath);

        // The user's checkout is theirs: nothing there moved.
        Assert.Equal(mainHead, bed.Repo.Git("rev-parse", "HEAD"));
        Assert.Equal("", bed.Repo.Git("status", "--porcelain"));
        Assert.Contains("export function hello(", bed.Repo.ReadFile("src/greet.ts"));
    }

    [Fact]
    public async Task An_env_file_the_agent_leaves_is_never_committed_even_where_the_repository_does_not_ignore_it()
    {
        var session = await bed.NewSessionAsync();
        File.WriteAllText(Path.Combine(session.WorktreePath, ".env"), "API_TOKEN=never-commit-me\n");
        Directory.CreateDirectory(Path.Combine(session.WorktreePath, "config"));
        File.WriteAllText(Path.Combine(session.WorktreePath, "config", ".env.local"), "API_TOKEN=never-commit-me\n");

        var iteration = await bed.IterateAsync(session);

        Assert.Equal(IterationStatus.Succeeded, iteration.Status);
        Assert.Equal(["src/greet.ts"], iteration.ChangedFiles);
        var committed = TestRepository.GitIn(session.WorktreePath, "ls-tree", "-r", "--name-only", "HEAD");
        Assert.DoesNotContain(".env", committed);
        Assert.True(File.Exists(Path.Combine(session.WorktreePath, ".env")));
    }

    [Fact]
    public async Task A_turn_that_changes_nothing_makes_no_commit()
    {
        var session = await bed.NewSessionAsync();
        var first = await bed.IterateAsync(session);

        // The same edit again finds nothing to replace: the agent succeeds, the worktree is unchanged.
        var second = await bed.IterateAsync(session);

        Assert.Equal(IterationStatus.Succeeded, second.Status);
        Assert.Null(second.CommitSha);
        Assert.Empty(second.ChangedFiles);
        Assert.NotNull(second.Summary);
        Assert.Equal(first.CommitSha, bed.GitInWorktree(session, "rev-parse", "HEAD"));
        Assert.Equal("1", bed.GitInWorktree(session, "rev-list", "--count", $"{session.BaseCommit}..HEAD"));
    }

    [Fact]
    public async Task No_commit_leaves_the_agents_changes_in_the_worktree()
    {
        var session = await bed.NewSessionAsync();

        var iteration = await bed.IterateAsync(session, new IterateRequest { Session = session.Id, NoCommit = true });

        Assert.Equal(IterationStatus.Succeeded, iteration.Status);
        Assert.Null(iteration.CommitSha);
        Assert.Equal(session.BaseCommit, bed.GitInWorktree(session, "rev-parse", "HEAD"));
        Assert.Equal("M src/greet.ts", bed.GitInWorktree(session, "status", "--porcelain"));
    }

    [Fact]
    public async Task Approval_needed_awaits_input_naming_the_tool_and_how_to_allow_it()
    {
        var session = await bed.NewSessionAsync("approval-blocked");

        var iteration = await bed.IterateAsync(session);

        Assert.Equal(IterationStatus.AwaitingInput, iteration.Status);
        Assert.Contains("approval for Bash", iteration.Error);
        // The stored text is shown by both front ends, so it says what to do in words; the error raised for the
        // failed iteration says it in each front end's own (amp-sessions set ... / Set-AmpSession ...).
        Assert.Contains("allow it in the session's settings", iteration.Error);
        var failure = new IterationFailedException(iteration);
        Assert.Equal("AmpIterationAwaitingInput", failure.ErrorId);
        Assert.Same(iteration, failure.Target);
        Assert.Contains($"`amp-sessions set {session.Id} --allow-tool <tool>` (or --allow-all-tools)", failure.Render(Core.Errors.RemedyStyle.CommandLine));
        Assert.Contains($"Set-AmpSession -Id {session.Id} -AllowTool '<tool>' (or -AllowAllTools)", failure.Render(Core.Errors.RemedyStyle.PowerShell));
        Assert.Null(iteration.CommitSha);
        Assert.Null(iteration.Summary);
        Assert.Equal(new Dictionary<string, int> { ["Bash"] = 1 }, iteration.ToolCalls);
        var saved = bed.Reload(session);
        Assert.Equal(SessionStatus.AwaitingInput, saved.Status);
        Assert.Equal(iteration.Error, saved.StatusMessage);
        // The thread waits for the person too: the next turn continues it.
        Assert.Equal(iteration.ThreadId, saved.ThreadId);

        // Allowing the tool is the person's answer: the session is ready again and the rule goes to Amp.
        var allowed = await bed.Sessions.UpdateAsync(session.Id, new SessionUpdate { AllowTools = ["Bash"] });
        Assert.Equal(SessionStatus.Idle, allowed.Status);
        await bed.UseScenarioAsync(session, "success-edit");
        var next = await bed.IterateAsync(session);
        Assert.Equal(IterationStatus.Succeeded, next.Status);
        var arguments = bed.Invocations[^1].Arguments;
        Assert.Equal(["threads", "continue", iteration.ThreadId!], arguments.Take(3));
        Assert.Contains("--settings-file", arguments);
        Assert.DoesNotContain("--dangerously-allow-all", arguments);
    }

    [Fact]
    public async Task An_agent_error_fails_the_iteration_and_puts_the_session_in_error()
    {
        var session = await bed.NewSessionAsync("agent-error");

        var iteration = await bed.IterateAsync(session);

        Assert.Equal(IterationStatus.Failed, iteration.Status);
        Assert.Equal("The agent failed: Model provider returned an error: overloaded", iteration.Error);
        Assert.Null(iteration.CommitSha);
        var saved = bed.Reload(session);
        Assert.Equal(SessionStatus.Error, saved.Status);
        Assert.Equal(iteration.Error, saved.StatusMessage);
    }

    [Fact]
    public async Task A_turn_the_agent_reports_as_cancelled_is_recorded_as_cancelled()
    {
        var session = await bed.NewSessionAsync("cancelled");

        var iteration = await bed.IterateAsync(session);

        Assert.Equal(IterationStatus.Cancelled, iteration.Status);
        Assert.Contains("worktree left as it is", iteration.Error);
        Assert.Equal(new TokenUsage(9, 71, 15_231, 0), iteration.Tokens);
        Assert.Null(iteration.CommitSha);
        var saved = bed.Reload(session);
        Assert.Equal(SessionStatus.Idle, saved.Status);
        Assert.Equal("last iteration cancelled", saved.StatusMessage);
    }

    [Fact]
    public async Task An_unreachable_server_has_its_own_status_and_message()
    {
        var session = await bed.NewSessionAsync("unreachable", extraEnvironment: new Dictionary<string, string> { ["AMP_URL"] = "http://127.0.0.1:9" });

        var iteration = await bed.IterateAsync(session);

        Assert.Equal(IterationStatus.ServerUnreachable, iteration.Status);
        Assert.StartsWith("Amp could not reach its server at http://127.0.0.1:9 (", iteration.Error);
        Assert.Contains("Couldn't connect to the Amp server at https://ampcode.com/", iteration.Error);
        var saved = bed.Reload(session);
        Assert.Equal(SessionStatus.Error, saved.Status);
        // A thread that never started is not one to continue.
        Assert.Null(saved.ThreadId);
    }

    [Fact]
    public async Task Malformed_lines_are_recorded_as_protocol_warnings_and_the_turn_still_succeeds()
    {
        var session = await bed.NewSessionAsync("malformed");

        var iteration = await bed.IterateAsync(session);

        Assert.Equal(IterationStatus.Succeeded, iteration.Status);
        Assert.NotNull(iteration.CommitSha);
        var warning = Assert.Single(iteration.ProtocolWarnings);
        Assert.StartsWith("not JSON", warning);
        Assert.EndsWith("this is not json {", warning);
        Assert.Equal(iteration.ProtocolWarnings, bed.Context.Iterations.List(session.Id).Single().ProtocolWarnings);
        Assert.Contains("this is not json {", File.ReadAllLines(iteration.TranscriptPath!));
    }

    [Fact]
    public async Task A_run_without_a_result_line_crashed_with_the_stderr_tail_in_the_message()
    {
        var session = await bed.NewSessionAsync("no-result");

        var iteration = await bed.IterateAsync(session);

        Assert.Equal(IterationStatus.Crashed, iteration.Status);
        Assert.Equal("The agent ended without a result (exit 2): fatal: something broke", iteration.Error);
        Assert.Equal(new TokenUsage(9, 71, 15_231, 0), iteration.Tokens);
        Assert.Equal(SessionStatus.Error, bed.Reload(session).Status);
    }

    [Fact]
    public async Task An_older_builds_stream_succeeds_with_its_usage()
    {
        var session = await bed.NewSessionAsync("older-build");

        var iteration = await bed.IterateAsync(session);

        Assert.Equal(IterationStatus.Succeeded, iteration.Status);
        Assert.Equal(new TokenUsage(120, 12, 0, 0), iteration.Tokens);
        Assert.Equal("Done.", iteration.Summary);
        Assert.Null(iteration.CommitSha);
    }

    [Fact]
    public async Task A_missing_agent_program_is_recorded_and_reported()
    {
        var session = await bed.NewSessionAsync(agent: "amp:/nonexistent/amp-sessions-tests/fake");

        var error = await Assert.ThrowsAsync<AmpSessions.Core.Processes.ExecutableNotFoundException>(() => bed.IterateAsync(session));

        var iteration = Assert.Single(bed.Context.Iterations.List(session.Id));
        Assert.Equal(IterationStatus.Crashed, iteration.Status);
        Assert.Equal(error.Message, iteration.Error);
        Assert.Equal(SessionStatus.Error, bed.Reload(session).Status);
    }

    private string Trailer(Session session, string key) =>
        bed.GitInWorktree(session, "log", "-1", $"--format=%(trailers:key={key},valueonly)");
}
