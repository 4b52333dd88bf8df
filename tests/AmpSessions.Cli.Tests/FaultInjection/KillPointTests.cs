using AmpSessions.Testing;
using Xunit.Abstractions;

namespace AmpSessions.Cli.Tests.FaultInjection;

// The fault-injection suite (issue 10): the CLI is killed with SIGKILL (its whole process tree) at a
// named point of each flow, then `repair` runs and FaultBed checks every invariant. Three classes so
// xunit runs them side by side. Each test also states what a user sees, for the table in the docs.

/// <summary>Kill points of `new` and `iterate`.</summary>
[Trait("Platform", "Linux")]
public sealed class NewAndIterateKillPointTests(ITestOutputHelper output) : IDisposable
{
    private readonly FaultBed bed = new();

    public void Dispose() => bed.Dispose();

    private string[] NewArguments(string name) =>
        ["new", "--repo", bed.Repo.Root, "--base", "main", "--name", name, "--prompt", "p", "--agent", $"amp:{TestPaths.FakeAgent}"];

    // `new` makes its branch and worktree in one `git worktree add -b`: before it nothing exists, after it both do;
    // the test below kills it in between.
    [Theory]
    [InlineData("before", "worktree add")]
    [InlineData("after", "worktree add")]
    public async Task New_killed_reads_interrupted_and_repair_removes_what_it_left(string when, string subcommand)
    {
        var outcome = await bed.KillRepairAndCheckAsync($"new, {when} git {subcommand}", () => bed.KillAtGitAsync(when, subcommand, NewArguments("Killed new")));
        output.WriteLine(outcome.ToString());

        Assert.Equal(["Interrupted"], outcome.StatusesSeen);
        Assert.Equal(["InterruptedCreate"], outcome.RepairFindings);
        Assert.Empty(await bed.StatusesAsync());
        // The same name works again at once.
        await bed.NewAsync("Killed new");
    }

    [Fact]
    public async Task New_killed_inside_git_worktree_add_after_its_branch_reads_interrupted_and_repair_removes_what_it_left()
    {
        // A smudge filter that announces itself and waits: git has made the branch, registered the worktree (locked
        // "initializing") and started filling its folder when the whole tree is killed.
        var started = Path.Combine(bed.Signals, "checkout-started");
        bed.Repo.WriteFile(".gitattributes", "*.dat filter=probe\n");
        bed.Repo.WriteFile("data.dat", "payload\n");
        bed.Repo.CommitAll("a filtered file");
        bed.Repo.Git("config", "filter.probe.clean", "cat");
        bed.Repo.Git("config", "filter.probe.smudge", $"touch '{started}'; sleep 300; cat");

        var outcome = await bed.KillRepairAndCheckAsync("new, inside git worktree add -b (branch made, checkout under way)", async () =>
        {
            var killed = await bed.KillWhenAsync(() => File.Exists(started), "the checkout", NewArguments("Killed new"));
            bed.Repo.Git("config", "filter.probe.smudge", "cat");
            return killed;
        });
        output.WriteLine(outcome.ToString());

        Assert.Equal(["Interrupted"], outcome.StatusesSeen);
        Assert.Equal(["InterruptedCreate"], outcome.RepairFindings);
        Assert.Empty(await bed.StatusesAsync());
        Assert.Empty(bed.Repo.Git("for-each-ref", "refs/heads/amp/"));
        Assert.False(Directory.Exists(bed.Repo.Path(".git", "worktrees")) && Directory.EnumerateFileSystemEntries(bed.Repo.Path(".git", "worktrees")).Any(),
            "a worktree registration is left under .git/worktrees");
        await bed.NewAsync("Killed new");
    }

    [Fact]
    public async Task Iterate_killed_while_the_agent_runs_reads_interrupted_and_repair_settles_it()
    {
        var session = await bed.NewAsync();
        bed.Scenario = "hang";
        var record = bed.Cli.Environment["FAKE_AMP_RECORD"]!;

        // Only the CLI dies (as when its terminal or pwsh is killed): the agent it started lives on until repair reaps it.
        var agent = 0;
        var outcome = await bed.KillRepairAndCheckAsync("iterate, agent running (the CLI alone killed)", async () =>
        {
            var killed = await bed.KillOrchestratorOnlyWhenAsync(() => File.Exists(record), "the agent", "iterate", session.Id);
            agent = Assert.Single(FakeAgentRecord.Read(record)).ProcessId;
            Assert.True(ProcessProbe.IsRunning(agent), "the agent died with the CLI, so nothing is left to reap");
            return killed;
        });
        output.WriteLine(outcome.ToString());
        Assert.True(await ProcessProbe.WaitUntilGoneAsync(agent, TimeSpan.FromSeconds(10)), $"the orphaned agent {agent} outlived repair");

        Assert.Equal(["Interrupted"], outcome.StatusesSeen);
        Assert.Equal(["InterruptedRun"], outcome.RepairFindings);
        var status = await bed.JsonAsync("status", session.Id);
        Assert.Equal("Error", status.GetProperty("status").GetString());
        Assert.Equal("Crashed", (await bed.JsonAsync("iterations", session.Id))[0].GetProperty("status").GetString());
        // And the session goes on: the next iteration runs and commits.
        bed.Scenario = "success-edit";
        Assert.Equal("Succeeded", (await bed.JsonAsync("iterate", session.Id)).GetProperty("status").GetString());
    }

    [Theory]
    [InlineData("before", "commit")]
    [InlineData("after", "commit")]
    public async Task Iterate_killed_around_its_commit_keeps_the_agents_edit(string when, string subcommand)
    {
        var session = await bed.NewAsync();
        bed.Scenario = "success-edit";

        var outcome = await bed.KillRepairAndCheckAsync($"iterate, {when} git commit", () => bed.KillAtGitAsync(when, subcommand, "iterate", session.Id));
        output.WriteLine(outcome.ToString());

        Assert.Equal(["Interrupted"], outcome.StatusesSeen);
        Assert.Equal(["InterruptedRun"], outcome.RepairFindings);
        // The edit is either committed on the branch or still in the worktree (staged): never lost.
        var committed = TestRepository.GitIn(session.Worktree, "log", "-1", "--format=%s").StartsWith("amp:", StringComparison.Ordinal);
        var inWorktree = File.ReadAllText(Path.Combine(session.Worktree, "src", "greet.ts")).Contains("function greet", StringComparison.Ordinal);
        Assert.True(inWorktree, "the agent's edit is gone from the worktree");
        Assert.Equal(when == "after", committed);
    }

    [Fact]
    public async Task Iterate_killed_during_the_test_script_reads_interrupted_and_repair_settles_it()
    {
        var started = Path.Combine(bed.Signals, "script-started");
        var session = await bed.NewAsync("Scripted", "--script", $"touch '{started}' && sleep 300");
        bed.Scenario = "success-edit";

        var outcome = await bed.KillRepairAndCheckAsync("iterate, test script running", () => bed.KillWhenAsync(() => File.Exists(started), "the test script", "iterate", session.Id));
        output.WriteLine(outcome.ToString());

        Assert.Equal(["Interrupted"], outcome.StatusesSeen);
        Assert.Equal(["InterruptedRun"], outcome.RepairFindings);
        Assert.StartsWith("amp:", TestRepository.GitIn(session.Worktree, "log", "-1", "--format=%s"));
    }
}

/// <summary>Kill points of `squash`, `rebase` and `merge`.</summary>
[Trait("Platform", "Linux")]
public sealed class IntegrationKillPointTests(ITestOutputHelper output) : IDisposable
{
    private readonly FaultBed bed = new();

    public void Dispose() => bed.Dispose();

    private async Task<(string Id, string Branch, string Worktree)> SessionWithTwoCommitsAndAMovedBaseAsync()
    {
        var session = await bed.NewAsync();
        FaultBed.CommitIn(session.Worktree, "src/greet.ts", "export function greet() {}\n", "amp: rename");
        FaultBed.CommitIn(session.Worktree, "docs/greet.md", "# greet\n", "amp: document");
        bed.Repo.WriteFile("CHANGELOG.md", "the base moved\n");
        bed.Repo.CommitAll("Move the base");
        return session;
    }

    [Theory]
    [InlineData("before", "update-ref -m amp-sessions: squash*")]
    [InlineData("after", "update-ref -m amp-sessions: squash*")]
    public async Task Squash_killed_around_the_branch_move_loses_nothing(string when, string subcommand)
    {
        var session = await SessionWithTwoCommitsAndAMovedBaseAsync();

        var outcome = await bed.KillRepairAndCheckAsync($"squash, {when} the branch moves", () => bed.KillAtGitAsync(when, subcommand, "squash", session.Id, "--message", "One"));
        output.WriteLine(outcome.ToString());

        Assert.Equal(["Idle"], outcome.StatusesSeen);
        Assert.Empty(outcome.RepairFindings);
        var count = bed.Repo.Git("rev-list", "--count", $"main..{session.Branch}");
        Assert.Equal(when == "after" ? "1" : "2", count);
    }

    [Theory]
    [InlineData("before", "rebase")]
    [InlineData("after", "rebase")]
    public async Task Rebase_killed_before_or_after_git_rebases_loses_nothing(string when, string subcommand)
    {
        var session = await SessionWithTwoCommitsAndAMovedBaseAsync();

        var outcome = await bed.KillRepairAndCheckAsync($"rebase, {when} git rebase", () => bed.KillAtGitAsync(when, subcommand, "rebase", session.Id));
        output.WriteLine(outcome.ToString());

        Assert.Equal(["Idle"], outcome.StatusesSeen);
        Assert.Empty(outcome.RepairFindings);
        // Rebasing again finishes the work (or finds it done).
        Assert.Equal("Succeeded", (await bed.JsonAsync("rebase", session.Id)).GetProperty("outcome").GetString());
        Assert.Equal(bed.Repo.Git("rev-parse", "main"), bed.Repo.Git("merge-base", "main", session.Branch));
    }

    [Fact]
    public async Task Merge_killed_before_the_fast_forward_leaves_the_base_alone_and_merges_next_time()
    {
        var session = await SessionWithTwoCommitsAndAMovedBaseAsync();
        var baseBefore = bed.Repo.Git("rev-parse", "main");

        var outcome = await bed.KillRepairAndCheckAsync("merge, before the fast-forward", () => bed.KillAtGitAsync("before", "merge --ff-only", "merge", session.Id), baseMayMove: true);
        output.WriteLine(outcome.ToString());

        Assert.Equal(["Idle"], outcome.StatusesSeen);
        Assert.Equal(["InterruptedMerge"], outcome.RepairFindings);
        Assert.Equal(baseBefore, bed.Repo.Git("rev-parse", "main"));
        Assert.Equal("Merged", (await bed.JsonAsync("merge", session.Id)).GetProperty("session").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Merge_killed_after_the_fast_forward_is_marked_merged_by_repair()
    {
        var session = await SessionWithTwoCommitsAndAMovedBaseAsync();

        var outcome = await bed.KillRepairAndCheckAsync("merge, after the fast-forward", () => bed.KillAtGitAsync("after", "merge --ff-only", "merge", session.Id), baseMayMove: true);
        output.WriteLine(outcome.ToString());

        Assert.Equal(["Idle"], outcome.StatusesSeen);
        Assert.Equal(["InterruptedMerge"], outcome.RepairFindings);
        Assert.Equal(bed.Repo.Git("rev-parse", session.Branch), bed.Repo.Git("rev-parse", "main"));
        Assert.Equal("Merged", (await bed.JsonAsync("status", session.Id)).GetProperty("status").GetString());
        Assert.Equal("", bed.Repo.Git("status", "--porcelain"));
    }
}

/// <summary>Kill points of `cleanup` and of a batch item.</summary>
[Trait("Platform", "Linux")]
public sealed class CleanupAndBatchKillPointTests(ITestOutputHelper output) : IDisposable
{
    private readonly FaultBed bed = new();

    public void Dispose() => bed.Dispose();

    [Theory]
    [InlineData("before", "worktree remove")]
    [InlineData("after", "worktree remove")]
    [InlineData("after", "branch -D")]
    public async Task Cleanup_killed_midway_is_finished_or_reported_by_repair(string when, string subcommand)
    {
        var session = await bed.NewAsync();
        FaultBed.CommitIn(session.Worktree, "feature.txt", "done\n", "amp: feature");
        bed.Repo.Git("merge", "--quiet", "--ff-only", session.Branch);

        var outcome = await bed.KillRepairAndCheckAsync($"cleanup, {when} git {subcommand}", () => bed.KillAtGitAsync(when, subcommand, "cleanup", session.Id));
        output.WriteLine(outcome.ToString());

        Assert.Equal(["Idle"], outcome.StatusesSeen);
        Assert.Equal(["InterruptedCleanup"], outcome.RepairFindings);
        var status = (await bed.JsonAsync("status", session.Id)).GetProperty("status").GetString();
        Assert.Equal(when == "before" ? "Idle" : "Archived", status);
        if (when == "before")
        {
            Assert.Equal("Archived", (await bed.JsonAsync("cleanup", session.Id)).GetProperty("session").GetProperty("status").GetString());
        }
        Assert.Equal("", bed.Repo.Git("branch", "--list", session.Branch));
    }

    [Fact]
    public async Task A_batch_killed_while_an_item_runs_resumes_and_leaves_nothing_live()
    {
        var started = Path.Combine(bed.Signals, "item-started");
        var batch = Path.Combine(bed.Repo.Scratch("batch"), "batch.yaml");
        File.WriteAllText(batch, $$"""
            version: 3
            execution:
              concurrency: 1
              timeout_sec: 120
            agents:
              - id: fake
                command: ["{{TestPaths.FakeAgent}}"]
            tasks:
              - id: rename
                type: batch
                prompts: ["Rename hello to greet"]
                repositories: ["{{bed.Repo.Root}}"]
                script_command: "touch '{{started}}'; if [ -f '{{started}}.resumed' ]; then exit 0; fi; sleep 300"
            """);
        bed.Scenario = "success-edit";
        var reachable = bed.ReachableCommits();
        var main = WorktreeState.Capture(bed.Repo.Root, "main");

        var killed = await bed.KillWhenAsync(() => File.Exists(started), "the batch item's script", "batch", "run", batch);
        Assert.NotEqual(0, killed.ExitCode);
        var seen = await bed.StatusesAsync();
        File.WriteAllText(started + ".resumed", "");
        var batches = await bed.JsonAsync("batch", "list");
        output.WriteLine(batches.ToString());
        var batchId = batches[0].GetProperty("batch").GetProperty("id").GetString()!;
        var resumed = await bed.Cli.RunAsync("batch", "resume", batchId, "--json");
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        var findings = await bed.RepairAsync();
        output.WriteLine(new KillOutcome("batch item, test script running", killed.ExitCode, seen, findings).ToString());

        Assert.Equal(["Interrupted"], seen);
        await bed.AssertConsistentAsync(reachable, main, baseMayMove: false);
        Assert.Contains("Passed", resumed.StandardOutput);
    }
}
