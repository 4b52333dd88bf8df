using System.Globalization;
using System.Text.Json;
using AmpSessions.Core.Processes;
using AmpSessions.Testing;

namespace AmpSessions.Cli.Tests;

/// <summary>Iterations in separate CLI processes: one session refuses a second, two sessions never touch each other.</summary>
public sealed class ConcurrencyTests : IDisposable
{
    private readonly CliSessionBed bed = new();

    public void Dispose() => bed.Dispose();

    [Fact]
    [Trait("Platform", "Linux")]
    public async Task The_same_session_started_twice_at_once_refuses_the_second()
    {
        var id = await bed.NewSessionAsync();
        bed.Scenario = "hang";
        using var first = bed.Cli.Start("iterate", id);
        try
        {
            var agent = (await FakeAgentRecord.WaitForAsync(bed.RecordPath, 1, TimeSpan.FromSeconds(30))).Single().ProcessId;

            var second = await bed.RunAsync("iterate", id, "--json");

            Assert.Equal(1, second.ExitCode);
            var error = CliSessionBed.Json(second).GetProperty("error");
            Assert.Equal("AmpSessionBusy", error.GetProperty("id").GetString());
            Assert.Equal($"Session {id} is busy (process {first.Id} iteration): wait for it to finish, or stop it, then try again.", error.GetProperty("message").GetString());
            // Interrupt the first turn the way Ctrl+C would reach amp: it reports a cancelled turn and ends.
            await ProcessRunner.RunAsync(new ProcessSpec("kill", ["-TERM", agent.ToString(CultureInfo.InvariantCulture)]), (Func<OutputLine, LineDecision>?)null);
            await first.WaitForExitAsync();
        }
        finally
        {
            // Whatever failed above, no hanging agent or CLI is left behind.
            foreach (var call in bed.Invocations) ProcessProbe.Kill(call.ProcessId, TestPaths.FakeAgent);
            if (!first.HasExited) first.Kill(entireProcessTree: true);
        }
        // The refused run left nothing: one agent run, one iteration.
        Assert.Single(bed.Invocations);
        var iterations = CliSessionBed.Json(await bed.RunAsync("iterations", id, "--json"));
        Assert.Equal(1, iterations.GetArrayLength());
        Assert.Equal("Cancelled", iterations[0].GetProperty("status").GetString());
        bed.Scenario = "success-edit";
        Assert.Equal(0, (await bed.RunAsync("iterate", id)).ExitCode);
    }

    [Fact]
    [Trait("Platform", "Posix")]
    public async Task Two_sessions_on_one_repository_iterate_at_the_same_time_without_touching_each_other()
    {
        var mainHead = bed.Repo.Git("rev-parse", "HEAD");
        var scenario = Path.Combine(bed.Repo.Scratch("scenarios"), "own-file.json");
        File.WriteAllText(scenario, """
            {"steps": [
              {"toolUse": {"name": "create_file", "input": {"path": "$CWD/made-by-$THREAD.txt", "content": "$THREAD\n"}}, "result": "created"},
              {"toolUse": {"name": "edit_file", "input": {"path": "$CWD/src/greet.ts", "old_str": "hello", "new_str": "greet"}}, "result": "edited"},
              {"success": "Made my own file."}
            ]}
            """);
        var a = await bed.NewSessionAsync("--script", "test -f made-by-*.txt && test $(ls made-by-*.txt | wc -l) -eq 1");
        var b = await bed.NewSessionAsync("--script", "test -f made-by-*.txt && test $(ls made-by-*.txt | wc -l) -eq 1");
        bed.Scenario = "script:" + scenario;
        bed.Cli.Environment["FAKE_AMP_DURATION_MS"] = "4000";

        using var runA = bed.Cli.Start("iterate", a);
        using var runB = bed.Cli.Start("iterate", b);
        await Task.WhenAll(runA.WaitForExitAsync(), runB.WaitForExitAsync());

        Assert.Equal(0, runA.ExitCode);
        Assert.Equal(0, runB.ExitCode);
        var iterationA = Single(await bed.RunAsync("iterations", a, "--json"));
        var iterationB = Single(await bed.RunAsync("iterations", b, "--json"));
        // They really overlapped: each began before the other ended.
        Assert.True(Time(iterationA, "startedAt") < Time(iterationB, "endedAt") && Time(iterationB, "startedAt") < Time(iterationA, "endedAt"));
        foreach (var (id, iteration) in new[] { (a, iterationA), (b, iterationB) })
        {
            var worktree = bed.Worktree(id);
            var thread = iteration.GetProperty("threadId").GetString()!;
            Assert.True(iteration.GetProperty("scriptPassed").GetBoolean());
            Assert.Equal([$"made-by-{thread}.txt", "src/greet.ts"], iteration.GetProperty("changedFiles").EnumerateArray().Select(f => f.GetString()).Order());
            Assert.Equal([$"made-by-{thread}.txt"], Directory.GetFiles(worktree, "made-by-*.txt").Select(Path.GetFileName));
            Assert.Equal("1", TestRepository.GitIn(worktree, "rev-list", "--count", $"{mainHead}..HEAD"));
            Assert.Equal("", TestRepository.GitIn(worktree, "status", "--porcelain"));
            Assert.Contains(TestRepository.GitIn(worktree, "branch", "--show-current"), File.ReadAllText(Path.Combine(worktree, ".amp-sessions", "context.md")));
        }
        Assert.NotEqual(iterationA.GetProperty("threadId").GetString(), iterationB.GetProperty("threadId").GetString());
        Assert.Equal(mainHead, bed.Repo.Git("rev-parse", "HEAD"));
        Assert.Equal("", bed.Repo.Git("status", "--porcelain"));
        Assert.Empty(Directory.GetFiles(bed.Repo.Root, "made-by-*.txt"));
    }

    private static JsonElement Single(CliResult result)
    {
        var list = CliSessionBed.Json(result);
        Assert.Equal(1, list.GetArrayLength());
        return list[0];
    }

    private static DateTimeOffset Time(JsonElement iteration, string name) => iteration.GetProperty(name).GetDateTimeOffset();
}
