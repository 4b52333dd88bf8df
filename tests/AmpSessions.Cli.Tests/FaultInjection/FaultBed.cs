using System.Text.Json;
using AmpSessions.Core;
using AmpSessions.Core.Sessions;
using AmpSessions.Testing;

namespace AmpSessions.Cli.Tests.FaultInjection;

/// <summary>What one kill left and what mended it: for the assertions and for the table of outcomes.</summary>
public sealed record KillOutcome(string KillPoint, int ExitCode, IReadOnlyList<string> StatusesSeen, IReadOnlyList<string> RepairFindings)
{
    public override string ToString() =>
        $"{KillPoint}: killed (exit {ExitCode}); list showed [{string.Join(", ", StatusesSeen)}]; repair found [{string.Join(", ", RepairFindings)}]";
}

/// <summary>
/// The fault-injection suite's workplace: a real repository, a data directory, the CLI as a process
/// with a pausing git wrapper first on PATH, and the fake agent. A kill point is a git subcommand
/// (before or after it) or a file an agent or script touches; the CLI is then killed with its whole
/// process tree (SIGKILL), `repair` runs, and <see cref="AssertConsistentAsync"/> checks the
/// invariants: no commit lost, no live status without a holder, worktrees and branches match rows,
/// the database and the object store are whole, the user's checkout untouched.
/// </summary>
public sealed class FaultBed : IDisposable
{
    public FaultBed()
    {
        Repo = new TestRepository();
        DataDirectory = Repo.Scratch("data");
        Signals = Repo.Scratch("signals");
        Point = new GitKillPoint(Repo.Scratch("killpoint"));
        Cli = new CliRunner(DataDirectory);
        Cli.Environment["PATH"] = Point.SearchPath;
        Cli.Environment["FAKE_AMP_STATE_DIR"] = Repo.Scratch("fake-state");
        Cli.Environment["FAKE_AMP_RECORD"] = Path.Combine(Repo.Scratch("fake-record"), "calls.jsonl");
        Cli.Environment["AMP_SESSIONS_EDITOR"] = null;
    }

    public TestRepository Repo { get; }
    public string DataDirectory { get; }
    public string Signals { get; }
    public GitKillPoint Point { get; }
    public CliRunner Cli { get; }

    public void Dispose() => Repo.Dispose();

    public string Scenario
    {
        set => Cli.Environment["FAKE_AMP_SCENARIO"] = value;
    }

    public async Task<JsonElement> JsonAsync(params string[] arguments)
    {
        var result = await Cli.RunAsync([.. arguments, "--json"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonDocument.Parse(result.StandardOutput).RootElement.Clone();
    }

    public async Task<(string Id, string Branch, string Worktree)> NewAsync(string name = "Fault", params string[] extra)
    {
        var created = await JsonAsync(["new", "--repo", Repo.Root, "--base", "main", "--name", name, "--prompt", "In src/greet.ts rename hello to greet.",
            "--agent", $"amp:{TestPaths.FakeAgent}", .. extra]);
        return (created.GetProperty("id").GetString()!, created.GetProperty("branchName").GetString()!, created.GetProperty("worktreePath").GetString()!);
    }

    /// <summary>A commit in the session's worktree, as an iteration would make it.</summary>
    public static void CommitIn(string worktree, string path, string content, string subject)
    {
        var full = Path.Combine(worktree, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        TestRepository.GitIn(worktree, "add", "--all");
        TestRepository.GitIn(worktree, "commit", "--quiet", "-m", subject);
    }

    /// <summary>Every commit some ref (or HEAD of some worktree) reaches now.</summary>
    public HashSet<string> ReachableCommits() =>
        Repo.Git("rev-list", "--all").Split('\n', StringSplitOptions.RemoveEmptyEntries).ToHashSet();

    /// <summary>Runs the CLI with the kill point armed, waits until it is reached and kills the whole tree.</summary>
    public Task<CliResult> KillAtGitAsync(string when, string subcommand, params string[] arguments)
    {
        Point.Arm(when, subcommand);
        return KillWhenAsync(() => Point.IsPaused, $"{when} git {subcommand}", arguments);
    }

    /// <summary>Runs the CLI, waits until <paramref name="reached"/> holds (an agent or script touched its file) and kills the whole tree.</summary>
    public async Task<CliResult> KillWhenAsync(Func<bool> reached, string what, params string[] arguments)
    {
        using var kill = new CancellationTokenSource();
        var run = Cli.RunAsync(arguments, null, TimeSpan.FromMinutes(3), kill.Token);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (!reached())
        {
            if (run.IsCompleted)
            {
                throw new InvalidOperationException($"the run ended before {what}: {await run}");
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the run never reached {what}");
            }
            await Task.Delay(20);
        }
        kill.Cancel();
        var killed = await run;
        Point.Release();
        return killed;
    }

    /// <summary>
    /// Starts the CLI, waits until <paramref name="reached"/> holds and kills the CLI process alone
    /// (SIGKILL), as when pwsh or a terminal dies: what it started (the agent) is left orphaned.
    /// </summary>
    public async Task<CliResult> KillOrchestratorOnlyWhenAsync(Func<bool> reached, string what, params string[] arguments)
    {
        using var process = Cli.Start(arguments);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (!reached())
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the run ended before {what} (exit {process.ExitCode})");
            }
            if (DateTime.UtcNow > deadline)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"the run never reached {what}");
            }
            await Task.Delay(20);
        }
        process.Kill(entireProcessTree: false);
        await process.WaitForExitAsync();
        return new CliResult(process.ExitCode, "", "");
    }

    /// <summary>Statuses `list` shows for every session (what a user sees after the kill).</summary>
    public async Task<IReadOnlyList<string>> StatusesAsync() =>
        (await JsonAsync("list")).EnumerateArray().Select(s => s.GetProperty("status").GetString()!).ToArray();

    public async Task<IReadOnlyList<string>> RepairAsync()
    {
        var report = await JsonAsync("repair", "--repo", Repo.Root);
        return report.GetProperty("findings").EnumerateArray().Select(f => f.GetProperty("kind").GetString()!).ToArray();
    }

    /// <summary>Kills at the point, records what a user sees, repairs, and checks every invariant.</summary>
    public async Task<KillOutcome> KillRepairAndCheckAsync(string killPoint, Func<Task<CliResult>> kill, bool baseMayMove = false)
    {
        var reachable = ReachableCommits();
        var main = WorktreeState.Capture(Repo.Root, "main");
        var killed = await kill();
        Assert.NotEqual(0, killed.ExitCode);
        var seen = await StatusesAsync();
        var findings = await RepairAsync();
        await AssertConsistentAsync(reachable, main, baseMayMove);
        // Repair is idempotent: a second run finds nothing left to mend.
        Assert.Empty(await RepairAsync());
        return new KillOutcome(killPoint, killed.ExitCode, seen, findings);
    }

    /// <summary>The invariants every kill point must leave after repair.</summary>
    public async Task AssertConsistentAsync(HashSet<string> reachableBefore, WorktreeState mainBefore, bool baseMayMove)
    {
        // No commit that was reachable before is unreachable now (backup refs count).
        var lost = reachableBefore.Except(ReachableCommits()).ToArray();
        Assert.True(lost.Length == 0, $"commits no ref reaches any more: {string.Join(", ", lost)}");

        // The database is whole, and no row claims a live process that is gone.
        var context = AmpContext.Open(DataDirectory);
        var integrity = context.Database.Execute(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA integrity_check";
            return command.ExecuteScalar() as string;
        });
        Assert.Equal("ok", integrity);
        var rows = context.Sessions.List();
        foreach (var row in rows)
        {
            Assert.False(row.Status is SessionStatus.Initializing or SessionStatus.Running or SessionStatus.Evaluating || row.Status.ToString() == "Interrupted",
                $"session {row.Id} is {row.Status} after repair");
            Assert.False(SessionLock.IsHeld(context, row.Id), $"session {row.Id}'s lock is still held");
        }
        Assert.DoesNotContain(await StatusesAsync(), s => s == "Interrupted");

        // Worktrees and branches match rows, both ways.
        var worktrees = Repo.Git("worktree", "list", "--porcelain").Split('\n')
            .Where(line => line.StartsWith("worktree ", StringComparison.Ordinal)).Select(line => line["worktree ".Length..])
            .Where(path => path.Contains($"{Path.DirectorySeparatorChar}.worktrees{Path.DirectorySeparatorChar}", StringComparison.Ordinal)).ToArray();
        Assert.DoesNotContain("prunable", Repo.Git("worktree", "list", "--porcelain"));
        var live = rows.Where(r => r.Status != SessionStatus.Archived).ToArray();
        Assert.Equal(live.Select(r => r.WorktreePath).Order(), worktrees.Order());
        var folder = Repo.Path(".worktrees");
        if (Directory.Exists(folder))
        {
            Assert.Equal(live.Select(r => Path.GetFileName(r.WorktreePath)).Order(), Directory.EnumerateDirectories(folder).Select(Path.GetFileName).Order()!);
        }
        var branches = Repo.Git("for-each-ref", "--format=%(refname:short)", "refs/heads/amp/").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (var branch in branches)
        {
            Assert.True(rows.Any(r => r.BranchName == branch), $"the branch {branch} belongs to no session");
        }
        foreach (var row in live)
        {
            Assert.Contains(row.BranchName, branches);
        }

        // git's own check of the object store and refs.
        var fsck = await ProcessRunnerFsckAsync();
        Assert.True(fsck.ExitCode == 0 && !fsck.Output.Contains("error", StringComparison.Ordinal) && !fsck.Output.Contains("missing", StringComparison.Ordinal), fsck.Output);

        // The user's checkout: untouched, or (a merge) moved to the new base with nothing else changed.
        var main = WorktreeState.Capture(Repo.Root, "main");
        if (!baseMayMove || main.BranchTip == mainBefore.BranchTip)
        {
            main.AssertSameContentAs(mainBefore);
        }
        else
        {
            Assert.Equal("", main.Status);
            Assert.Equal("main", Repo.Git("symbolic-ref", "--short", "HEAD"));
            Assert.Equal("true", Repo.Git("merge-base", "--is-ancestor", mainBefore.BranchTip, "main") is "" ? "true" : "false");
        }
    }

    private async Task<(int ExitCode, string Output)> ProcessRunnerFsckAsync()
    {
        var result = await Core.Processes.ProcessRunner.RunAsync(new Core.Processes.ProcessSpec("git", ["fsck", "--full", "--no-dangling", "--no-progress"]) { WorkingDirectory = Repo.Root },
            (Func<Core.Processes.OutputLine, Core.Processes.LineDecision>?)null, CancellationToken.None);
        return (result.ExitCode, result.StandardOutput + result.StandardError);
    }
}
