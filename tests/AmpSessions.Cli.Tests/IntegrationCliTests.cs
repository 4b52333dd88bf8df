using System.Text.Json;
using AmpSessions.Testing;

namespace AmpSessions.Cli.Tests;

/// <summary>squash, rebase, merge, export and restore through the amp-sessions executable, on real repositories.</summary>
public sealed class IntegrationCliTests : IDisposable
{
    private const string OriginalGreet = "export function hello(name: string): string {\n  return `Hello, ${name}`\n}\n";
    private const string RenamedGreet = "export function greet(name: string): string {\n  return `Hello, ${name}`\n}\n";

    private readonly TestRepository repo = new();
    private readonly CliRunner cli;

    public IntegrationCliTests() => cli = new CliRunner(repo.Scratch("data"));

    public void Dispose() => repo.Dispose();

    private sealed record CliSession(string Id, string Branch, string Worktree);

    private async Task<JsonElement> JsonAsync(params string[] arguments)
    {
        var result = await cli.RunAsync([.. arguments, "--json"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonDocument.Parse(result.StandardOutput).RootElement;
    }

    private async Task<CliSession> NewAsync(string name)
    {
        var created = await JsonAsync("new", "--repo", repo.Root, "--base", "main", "--name", name, "--prompt", "rename hello to greet");
        return new CliSession(created.GetProperty("id").GetString()!, created.GetProperty("branchName").GetString()!, created.GetProperty("worktreePath").GetString()!);
    }

    /// <summary>
    /// An agent's edit committed with the `amp:` prefix, as an iteration commits it: quicker than a whole
    /// `iterate` in tests about integration (the happy path runs the real `iterate`).
    /// </summary>
    private static void AgentIteration(CliSession session, string summary, string path, string content)
    {
        WriteIn(session, path, content);
        TestRepository.GitIn(session.Worktree, "add", "--all");
        TestRepository.GitIn(session.Worktree, "commit", "--quiet", "-m", "amp: " + summary);
    }

    private static void WriteIn(CliSession session, string path, string content)
    {
        var full = Path.Combine(session.Worktree, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
    }

    /// <summary>A failure: exit 1 (or 2 for usage), exactly one line on stderr, and with --json the stable error id on stdout.</summary>
    private async Task AssertFailsAsync(string errorId, int exitCode, params string[] arguments)
    {
        var result = await cli.RunAsync([.. arguments, "--json"]);
        Assert.True(result.ExitCode == exitCode, result.ToString());
        var stderr = result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(stderr.Length == 1, result.ToString());
        Assert.StartsWith("amp-sessions: ", stderr[0]);
        Assert.Equal(errorId, JsonDocument.Parse(result.StandardOutput).RootElement.GetProperty("error").GetProperty("id").GetString());
    }

    /// <summary>git's own checks: the expected worktrees and none stale, and an object database fsck finds whole.</summary>
    private void AssertRepositoryHealthy(int worktreeCount = 1)
    {
        var worktrees = repo.Git("worktree", "list", "--porcelain");
        Assert.DoesNotContain("prunable", worktrees);
        Assert.Equal(worktreeCount, worktrees.Split('\n').Count(line => line.StartsWith("worktree ", StringComparison.Ordinal)));
        var fsck = repo.Git("fsck", "--full", "--no-dangling");
        Assert.DoesNotContain("error", fsck);
        Assert.DoesNotContain("missing", fsck);
    }

    [Fact]
    [Trait("Platform", "Posix")]
    public async Task Seed_happy_path_new_iterate_edit_commit_squash_rebase_merge_cleanup_leaves_one_commit_on_the_base()
    {
        // The fake agent replays Amp's success-edit transcript, which really renames hello to greet.
        var created = await JsonAsync("new", "--repo", repo.Root, "--base", "main", "--name", "Rename greet", "--prompt", "rename hello to greet",
            "--agent", $"amp:{TestPaths.FakeAgent}", "--script", "git grep --quiet \"export function greet\" -- src/greet.ts");
        var session = new CliSession(created.GetProperty("id").GetString()!, created.GetProperty("branchName").GetString()!, created.GetProperty("worktreePath").GetString()!);
        var iteration = await JsonAsync("iterate", session.Id);
        Assert.Equal("Succeeded", iteration.GetProperty("status").GetString());
        Assert.True(iteration.GetProperty("scriptPassed").GetBoolean());
        Assert.StartsWith("amp: ", TestRepository.GitIn(session.Worktree, "log", "-1", "--format=%s"));
        // A manual edit in the worktree, committed through the CLI.
        WriteIn(session, "docs/greet.md", "# greet\n\nSays hello.\n");
        Assert.Equal("Document greet", (await JsonAsync("commit", session.Id, "--message", "Document greet")).GetProperty("subject").GetString());
        var tests = await JsonAsync("run", session.Id);
        Assert.Equal("Passed", tests.GetProperty("status").GetString());
        // A teammate moves the base meanwhile, so the rebase has work to do.
        repo.WriteFile("CHANGELOG.md", "teammate's change\n");
        repo.CommitAll("Changelog");
        var baseBefore = repo.Git("rev-parse", "main");

        var squash = await JsonAsync("squash", session.Id, "--message", "Rename hello to greet");
        Assert.Equal(2, squash.GetProperty("squashedCommitCount").GetInt32());
        var rebase = await JsonAsync("rebase", session.Id);
        Assert.Equal("Succeeded", rebase.GetProperty("outcome").GetString());
        Assert.Equal(baseBefore, rebase.GetProperty("ontoCommit").GetString());
        var merge = await JsonAsync("merge", session.Id);
        Assert.Equal("FastForwardInWorktree", merge.GetProperty("method").GetString());
        Assert.Equal("Merged", merge.GetProperty("session").GetProperty("status").GetString());
        var cleanup = await cli.RunAsync("cleanup", session.Id);
        Assert.True(cleanup.ExitCode == 0, cleanup.ToString());

        // Exactly one new commit on the base, with the user's message and the session's whole change.
        Assert.Equal("1", repo.Git("rev-list", "--count", $"{baseBefore}..main"));
        Assert.Equal("Rename hello to greet", repo.Git("log", "-1", "--format=%B", "main"));
        Assert.Equal("M\tsrc/greet.ts\nA\tdocs/greet.md", string.Join('\n', repo.Git("diff", "--name-status", baseBefore, "main").Split('\n').OrderBy(l => l[0] == 'A' ? 1 : 0)));
        Assert.Equal(RenamedGreet, repo.ReadFile("src/greet.ts"));
        Assert.Equal("# greet\n\nSays hello.\n", repo.ReadFile("docs/greet.md"));
        Assert.Equal("", repo.Git("status", "--porcelain"));
        Assert.False(Directory.Exists(session.Worktree));
        Assert.Equal("", repo.Git("branch", "--list", session.Branch));
        Assert.Equal("Archived", (await JsonAsync("status", session.Id)).GetProperty("status").GetString());
        // Backups (before the squash, the rebase and the merge) outlive the cleanup.
        Assert.Equal(["squash", "rebase", "merge"], (await JsonAsync("backups", session.Id)).EnumerateArray().Select(b => b.GetProperty("operation").GetString()!).ToArray());
        AssertRepositoryHealthy();
    }

    [Fact]
    public async Task Conflict_path_rebase_conflicts_abort_restores_exactly_then_resolve_continue_and_merge()
    {
        var session = await NewAsync("Politer greeting");
        AgentIteration(session, "greet politely", "src/greet.ts", OriginalGreet.Replace("Hello", "Good day"));
        repo.WriteFile("src/greet.ts", OriginalGreet.Replace("Hello", "Hi"));
        repo.CommitAll("Shorter greeting");
        var before = WorktreeState.Capture(session.Worktree, session.Branch);
        var mainBefore = WorktreeState.Capture(repo.Root, "main");

        var conflict = await cli.RunAsync("rebase", session.Id, "--json");

        Assert.True(conflict.ExitCode == 1, conflict.ToString());
        var json = JsonDocument.Parse(conflict.StandardOutput).RootElement;
        Assert.Equal("Conflicted", json.GetProperty("outcome").GetString());
        Assert.Equal(["src/greet.ts"], json.GetProperty("conflictedPaths").EnumerateArray().Select(p => p.GetString()!).ToArray());
        Assert.Single(conflict.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var text = await cli.RunAsync("status", session.Id);
        Assert.Contains("[Conflicted]", text.StandardOutput);
        Assert.Contains("rebase in progress", text.StandardOutput);

        var abort = await cli.RunAsync("rebase", session.Id, "--abort");
        Assert.True(abort.ExitCode == 0, abort.ToString());
        WorktreeState.Capture(session.Worktree, session.Branch).AssertSameAs(before);
        WorktreeState.Capture(repo.Root, "main").AssertSameAs(mainBefore);

        var again = await cli.RunAsync("rebase", session.Id);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("  src/greet.ts", again.StandardOutput);
        await AssertFailsAsync("AmpConflictsUnresolved", 1, "rebase", session.Id, "--continue");
        await AssertFailsAsync("AmpSessionConflicted", 1, "merge", session.Id);
        WriteIn(session, "src/greet.ts", OriginalGreet.Replace("Hello", "Good day").Replace("}`", "}!`"));
        TestRepository.GitIn(session.Worktree, "add", "src/greet.ts");
        var resumed = await JsonAsync("rebase", session.Id, "--continue");
        Assert.Equal("Succeeded", resumed.GetProperty("outcome").GetString());
        var merge = await JsonAsync("merge", session.Id);

        Assert.Equal("FastForwardInWorktree", merge.GetProperty("method").GetString());
        Assert.Contains("Good day, ${name}!", repo.ReadFile("src/greet.ts"));
        Assert.Equal("amp: greet politely\nShorter greeting", repo.Git("log", "-2", "--format=%s", "main"));
        AssertRepositoryHealthy(worktreeCount: 2);
    }

    [Fact]
    [Trait("Platform", "Posix")]
    public async Task A_rebase_killed_midway_is_reported_by_repair_and_finished_by_abort_or_continue()
    {
        var session = await NewAsync("Interrupted");
        AgentIteration(session, "rename", "src/greet.ts", RenamedGreet);
        AgentIteration(session, "document", "docs/greet.md", "# greet\n");
        repo.WriteFile("CHANGELOG.md", "moved\n");
        var baseTip = repo.CommitAll("Move the base");
        var before = WorktreeState.Capture(session.Worktree, session.Branch);
        // git runs post-checkout once the rebase has started (its state is on disk, HEAD detached at
        // the base): an armed hook announces itself there and sleeps until the test kills the whole tree.
        var signals = repo.Scratch("signals");
        var hooks = repo.Path(".git", "hooks");
        Directory.CreateDirectory(hooks);
        File.WriteAllText(Path.Combine(hooks, "post-checkout"),
            $"#!/bin/sh\nif [ -f '{signals}/armed' ]; then rm -f '{signals}/armed'; touch '{signals}/paused'; sleep 120; fi\nexit 0\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path.Combine(hooks, "post-checkout"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        await KillRebaseMidwayAsync(session, signals);

        var repair = await JsonAsync("repair", "--repo", repo.Root);
        var finding = Assert.Single(repair.GetProperty("findings").EnumerateArray());
        Assert.Equal("RebaseInProgress", finding.GetProperty("kind").GetString());
        Assert.Equal(session.Id, finding.GetProperty("sessionId").GetString());
        Assert.True((await JsonAsync("status", session.Id)).GetProperty("git").GetProperty("rebaseInProgress").GetBoolean());
        await AssertFailsAsync("AmpRebaseInProgress", 1, "rebase", session.Id);

        var aborted = await JsonAsync("rebase", session.Id, "--abort");
        Assert.Equal("Aborted", aborted.GetProperty("outcome").GetString());
        WorktreeState.Capture(session.Worktree, session.Branch).AssertSameAs(before);

        await KillRebaseMidwayAsync(session, signals);

        var continued = await JsonAsync("rebase", session.Id, "--continue");
        Assert.Equal("Succeeded", continued.GetProperty("outcome").GetString());
        Assert.Equal(baseTip, repo.Git("merge-base", "main", session.Branch));
        Assert.Equal("amp: rename\namp: document", repo.Git("log", "--reverse", "--format=%s", $"main..{session.Branch}"));
        Assert.Equal("Idle", continued.GetProperty("session").GetProperty("status").GetString());
        Assert.Empty((await JsonAsync("repair", "--repo", repo.Root)).GetProperty("findings").EnumerateArray());
        AssertRepositoryHealthy(worktreeCount: 2);
    }

    /// <summary>Starts `amp-sessions rebase`, waits until git is inside the rebase, and kills the CLI with its whole process tree.</summary>
    private async Task KillRebaseMidwayAsync(CliSession session, string signals)
    {
        File.WriteAllText(Path.Combine(signals, "armed"), "");
        var paused = Path.Combine(signals, "paused");
        File.Delete(paused);
        using var kill = new CancellationTokenSource();
        var run = cli.RunAsync(["rebase", session.Id], null, TimeSpan.FromMinutes(3), kill.Token);
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (!File.Exists(paused) && !run.IsCompleted && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        Assert.True(File.Exists(paused), run.IsCompleted ? (await run).ToString() : "the rebase never reached the hook");
        kill.Cancel();
        var killed = await run;
        Assert.NotEqual(0, killed.ExitCode);
        Assert.True(Directory.Exists(Path.Combine(TestRepository.GitIn(session.Worktree, "rev-parse", "--path-format=absolute", "--git-dir"), "rebase-merge")));
    }

    [Fact]
    public async Task Export_writes_a_patch_git_am_applies_and_restore_undoes_a_squash()
    {
        var session = await NewAsync("Rename greet");
        AgentIteration(session, "rename hello to greet", "src/greet.ts", RenamedGreet);
        AgentIteration(session, "document it", "docs/greet.md", "# greet\n");
        var tip = repo.Git("rev-parse", session.Branch);
        var patch = Path.Combine(repo.Scratch("out"), "greet.patch");

        var export = await JsonAsync("export", session.Id, "--output", patch);
        Assert.Equal(patch, export.GetProperty("outputPath").GetString());
        var clone = Path.Combine(repo.Scratch("clone"), "c");
        TestRepository.GitIn(repo.Scratch("clone"), "clone", "--quiet", repo.Root, clone);
        TestRepository.GitIn(clone, "am", "--quiet", patch);
        Assert.Equal(repo.Git("rev-parse", session.Branch + "^{tree}"), TestRepository.GitIn(clone, "rev-parse", "HEAD^{tree}"));

        await JsonAsync("squash", session.Id);
        Assert.NotEqual(tip, repo.Git("rev-parse", session.Branch));
        var restore = await JsonAsync("restore", session.Id);
        Assert.Equal("squash", restore.GetProperty("backup").GetProperty("operation").GetString());
        Assert.Equal(tip, repo.Git("rev-parse", session.Branch));
        Assert.Equal("", TestRepository.GitIn(session.Worktree, "status", "--porcelain"));
    }

    [Fact]
    public async Task Export_after_a_merge_says_where_the_work_is_and_the_command_that_writes_its_patch()
    {
        var session = await NewAsync("Rename greet");
        AgentIteration(session, "rename hello to greet", "src/greet.ts", RenamedGreet);
        AgentIteration(session, "document it", "docs/greet.md", "# greet\n");
        var baseBefore = repo.Git("rev-parse", "main");
        await JsonAsync("merge", session.Id);
        var merged = repo.Git("rev-parse", "main");

        var result = await cli.RunAsync("export", session.Id, "--output", Path.Combine(repo.Scratch("out"), "x.patch"));

        Assert.True(result.ExitCode == 1, result.ToString());
        var line = Assert.Single(result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("run an iteration", line);
        var command = $"git -C \"{repo.Root}\" format-patch {baseBefore[..7]}..{merged[..7]}";
        Assert.Equal($"amp-sessions: Session {session.Id} is merged: its work is on 'main' at {merged[..7]}, so the session has no change of its own left to export: " +
            $"write its work as a patch with `{command}`.", line);
        // The command it suggests writes the session's two commits.
        var folder = repo.Scratch("suggested");
        TestRepository.GitIn(repo.Root, "format-patch", "--quiet", "-o", folder, $"{baseBefore}..{merged}");
        Assert.Equal(2, Directory.GetFiles(folder, "*.patch").Length);
        await AssertFailsAsync("AmpSessionAlreadyMerged", 1, "export", session.Id);
    }

    [Fact]
    public async Task Bad_input_is_one_clear_error_each()
    {
        var empty = await NewAsync("Nothing yet");
        await AssertFailsAsync("AmpNothingToSquash", 1, "squash", empty.Id, "--message", "x");
        await AssertFailsAsync("AmpNothingToRebase", 1, "rebase", empty.Id);
        await AssertFailsAsync("AmpNothingToExport", 1, "export", empty.Id, "--output", Path.Combine(repo.Scratch("out"), "x.patch"));
        await AssertFailsAsync("AmpNothingToMerge", 1, "merge", empty.Id);
        await AssertFailsAsync("AmpNoRebaseInProgress", 1, "rebase", empty.Id, "--abort");
        await AssertFailsAsync("AmpNoRebaseInProgress", 1, "rebase", empty.Id, "--continue");
        await AssertFailsAsync("AmpNoBackups", 1, "restore", empty.Id);
        await AssertFailsAsync("AmpUsageConflictingOptions", 2, "rebase", empty.Id, "--continue", "--abort");
        await AssertFailsAsync("AmpSessionNotFound", 1, "merge", "no-such-session");

        var session = await NewAsync("Rename greet");
        AgentIteration(session, "rename", "src/greet.ts", RenamedGreet);
        repo.WriteFile("README.md", "# edited in the main checkout\n");
        var refsBefore = repo.Git("for-each-ref");
        await AssertFailsAsync("AmpBaseWorktreeDirty", 1, "merge", session.Id, "--squash", "--message", "x");
        Assert.Equal(refsBefore, repo.Git("for-each-ref"));
        Assert.Equal("# edited in the main checkout\n", repo.ReadFile("README.md"));

        repo.Git("reset", "--hard", "--quiet", "HEAD");
        repo.Git("commit", "--quiet", "--amend", "-m", "initial commit, rewritten");
        await AssertFailsAsync("AmpBaseBranchRewritten", 1, "merge", session.Id);
        await AssertFailsAsync("AmpBaseBranchRewritten", 1, "rebase", session.Id);
    }
}
