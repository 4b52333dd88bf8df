using System.Text;
using System.Text.Json.Nodes;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Iterations;
using AmpSessions.Core.Sessions;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Iterations;

/// <summary>What the agent is told (the context file and prompt) and which thread it continues.</summary>
public sealed class SessionContextTests : IDisposable
{
    private readonly IterationTestBed bed = new();

    public void Dispose() => bed.Dispose();

    private static string ContextPath(Session session) => Path.Combine(session.WorktreePath, ".amp-sessions", "context.md");

    [Fact]
    [Trait("Platform", "Posix")]
    public async Task The_context_file_has_goal_notes_diff_and_last_test_result_is_git_excluded_and_never_committed()
    {
        var session = await bed.NewSessionAsync(script: "grep -q 'function greet' src/greet.ts", notes: "Keep the change small.");

        var first = await bed.IterateAsync(session, new IterateRequest { Session = session.Id, Notes = "Mind the call sites." });

        var context = File.ReadAllText(ContextPath(session));
        Assert.Contains("## Goal\nIn src/greet.ts rename the function hello to greet.", context);
        Assert.Contains("## Notes\nKeep the change small.\nMind the call sites.", context);
        Assert.Contains("The work is checked by running `grep -q 'function greet' src/greet.ts`", context);
        Assert.Contains($"branch `{session.BranchName}`", context);
        Assert.Contains("## Changes so far (git diff -U0 against the base)\n(none yet)", context);
        Assert.Contains("## Last test result\n(no test run yet)", context);
        var stdin = bed.Invocations[0].StandardInput!;
        Assert.StartsWith(session.Prompt + "\n\n---\nSession context (also in .amp-sessions/context.md):", stdin);
        Assert.EndsWith(context, stdin);
        Assert.True(first.ScriptPassed);

        // Never committed, and ignored through the repository's info/exclude (so no worktree shows it).
        Assert.DoesNotContain(".amp-sessions", bed.GitInWorktree(session, "show", "--format=", "--name-only", "HEAD"));
        Assert.Equal(".amp-sessions/context.md", bed.GitInWorktree(session, "check-ignore", ".amp-sessions/context.md"));
        Assert.Equal("", bed.GitInWorktree(session, "status", "--porcelain"));
        Assert.Contains("/.amp-sessions/context.md", File.ReadAllText(bed.Repo.Path(".git", "info", "exclude")).Split('\n'));
        // Only that file: the repository's slash commands beside it can be committed.
        Sessions.SessionTestBed.WriteIn(session, ".amp-sessions/commands/fix-ci.md", "Fix {job}.\n");
        Assert.Equal("?? .amp-sessions/commands/fix-ci.md", bed.GitInWorktree(session, "status", "--porcelain", "--untracked-files=all"));
        File.Delete(Path.Combine(session.WorktreePath, ".amp-sessions", "commands", "fix-ci.md"));
        Assert.False(File.Exists(bed.Repo.Path(".gitignore")));

        // The next turn sees the session's diff and the test result, but only this turn's notes.
        await bed.IterateAsync(session);
        var second = File.ReadAllText(ContextPath(session));
        Assert.Contains("-export function hello(name: string): string {\n+export function greet(name: string): string {", second);
        Assert.Contains("src/greet.ts | 2 +-", second);
        Assert.Contains("## Last test result\n`grep -q 'function greet' src/greet.ts` passed (exit 0)", second);
        Assert.Contains("## Notes\nKeep the change small.\n", second);
        Assert.DoesNotContain("Mind the call sites.", second);
        Assert.DoesNotContain(".amp-sessions", second.Split("## Changes so far")[1]);
        Assert.EndsWith(second, bed.Invocations[1].StandardInput!);
        Assert.Equal(1, File.ReadAllText(bed.Repo.Path(".git", "info", "exclude")).Split('\n').Count(l => l == "/.amp-sessions/context.md"));
    }

    [Fact]
    public async Task Files_left_untracked_between_turns_show_in_the_next_context_and_secret_files_do_not()
    {
        var session = await bed.NewSessionAsync();
        await bed.IterateAsync(session);
        // Written by hand between turns, never staged: the next turn's diff is against the working tree, untracked files included.
        Sessions.SessionTestBed.WriteIn(session, "docs/notes.txt", "a hand-written note\n");
        Sessions.SessionTestBed.WriteIn(session, ".env", "API_TOKEN=do-not-show\n");

        await bed.IterateAsync(session);

        var changes = File.ReadAllText(ContextPath(session)).Split("## Changes so far")[1];
        Assert.Contains("+a hand-written note", changes);
        Assert.Contains("docs/notes.txt", changes);
        Assert.DoesNotContain("do-not-show", changes);
        Assert.DoesNotContain(".env", changes);
    }

    [Fact]
    public async Task A_shorter_context_replaces_a_longer_one_whole()
    {
        var session = await bed.NewSessionAsync();
        var notes = new string('n', 5000);
        await bed.IterateAsync(session, new IterateRequest { Session = session.Id, Notes = notes });
        Assert.Contains(notes, File.ReadAllText(ContextPath(session)));

        // The file is written over the last one and cut to length: nothing of the longer text may remain after the new one.
        await bed.IterateAsync(session);

        var second = File.ReadAllText(ContextPath(session));
        Assert.DoesNotContain("nnn", second);
        Assert.EndsWith(second, bed.Invocations[1].StandardInput!);
    }

    [Fact]
    [Trait("Platform", "Posix")]
    public async Task A_failing_test_result_shows_its_output_to_the_next_turn()
    {
        var session = await bed.NewSessionAsync(script: "echo 'expected 3 got 4'; exit 1");

        var first = await bed.IterateAsync(session);
        await bed.IterateAsync(session);

        Assert.False(first.ScriptPassed);
        Assert.Contains("## Last test result\n`echo 'expected 3 got 4'; exit 1` failed (exit 1)\n```\nexpected 3 got 4\n```", File.ReadAllText(ContextPath(session)));
    }

    [Fact]
    public async Task The_repositorys_own_agent_files_stay_byte_identical()
    {
        var agents = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes("# House rules\r\nUse tabs.\r\nNo trailing newline")).ToArray();
        var agent = Encoding.UTF8.GetBytes("Run `make check` before you stop.\n\n");
        File.WriteAllBytes(bed.Repo.Path("AGENTS.md"), agents);
        File.WriteAllBytes(bed.Repo.Path("AGENT.md"), agent);
        bed.Repo.CommitAll("agent instructions");
        var session = await bed.NewSessionAsync();

        var first = await bed.IterateAsync(session);
        await bed.IterateAsync(session);

        Assert.Equal(agents, File.ReadAllBytes(Path.Combine(session.WorktreePath, "AGENTS.md")));
        Assert.Equal(agent, File.ReadAllBytes(Path.Combine(session.WorktreePath, "AGENT.md")));
        Assert.Equal(["src/greet.ts"], first.ChangedFiles);
        Assert.Equal("src/greet.ts", bed.GitInWorktree(session, "diff", "--name-only", session.BaseCommit, "HEAD"));
        Assert.Equal(agents, File.ReadAllBytes(bed.Repo.Path("AGENTS.md")));
    }

    [Fact]
    public async Task A_repository_that_tracks_the_context_folder_is_refused_before_anything_runs()
    {
        bed.Repo.WriteFile(".amp-sessions/context.md", "ours\n");
        bed.Repo.CommitAll("a folder of our own");
        var session = await bed.NewSessionAsync();

        var error = await Assert.ThrowsAsync<AmpSessionsException>(() => bed.IterateAsync(session));

        Assert.Equal("AmpContextFolderTracked", error.ErrorId);
        Assert.Empty(bed.Context.Iterations.List(session.Id));
        Assert.Empty(bed.Invocations);
        Assert.Equal(SessionStatus.Idle, bed.Reload(session).Status);
        Assert.Equal("ours\n", File.ReadAllText(ContextPath(session)));
        Assert.False(SessionLock.IsHeld(bed.Context, session.Id));
    }

    [Fact]
    public async Task The_second_iteration_continues_the_thread_the_first_left_unarchived()
    {
        var session = await bed.NewSessionAsync();

        var first = await bed.IterateAsync(session);
        var second = await bed.IterateAsync(session, new IterateRequest { Session = session.Id, Prompt = "Now update the README." });

        Assert.Equal(IterationStatus.Succeeded, second.Status);
        Assert.Equal(first.ThreadId, second.ThreadId);
        Assert.Equal("Now update the README.", second.Prompt);
        var calls = bed.Invocations;
        Assert.Equal("-x", calls[0].Arguments[0]);
        Assert.Contains("--no-archive-after-execute", calls[0].Arguments);
        Assert.Equal(["threads", "continue", first.ThreadId!, "-x", "--stream-json"], calls[1].Arguments.Take(5));
        Assert.StartsWith("Now update the README.\n\n---\n", calls[1].StandardInput);
        // The fake's thread store proves the first run left the thread continuable.
        var thread = JsonNode.Parse(File.ReadAllText(Path.Combine(bed.StateDirectory, "threads", first.ThreadId + ".json")))!;
        Assert.False((bool)thread["archived"]!);
        Assert.Equal(["amp-sessions", $"session-{session.Id}"], thread["labels"]!.AsArray().Select(l => (string)l!));
        Assert.Equal($"Rename greet ({session.Id})", (string?)thread["title"]);
    }

    [Fact]
    public async Task A_new_thread_can_be_asked_for()
    {
        var session = await bed.NewSessionAsync();
        var first = await bed.IterateAsync(session);

        await bed.Sessions.UpdateAsync(session.Id, new SessionUpdate { NewThread = true });
        var second = await bed.IterateAsync(session);

        Assert.NotEqual(first.ThreadId, second.ThreadId);
        Assert.Equal("-x", bed.Invocations[1].Arguments[0]);
    }
}
