using System.Text.Json;
using AmpSessions.Core.Processes;
using AmpSessions.Testing;

namespace AmpSessions.Cli.Tests;

/// <summary>
/// The names other tools rely on, through the built CLI: `events --follow --json` while a batch runs,
/// `queue --json`, `new --attempts` and `attempts --keep`, and `iterate --json` with
/// mainCheckoutTouched followed by `ack`.
/// </summary>
public sealed class OrchestrationCliTests : IDisposable
{
    private readonly CliSessionBed bed = new();

    public OrchestrationCliTests() => bed.Cli.Environment["AMP_SESSIONS_NOTIFICATIONS"] = "0";

    public void Dispose() => bed.Dispose();

    private string Scenario(string name, params object[] steps)
    {
        var path = Path.Combine(bed.Repo.Scratch("scenarios"), name + ".json");
        File.WriteAllText(path, JsonSerializer.Serialize(new { steps = steps.Append(new { success = "done" }) }));
        return "script:" + path;
    }

    [Fact]
    public async Task Events_follow_json_prints_a_batch_as_it_runs_one_object_per_line()
    {
        var batchFile = Path.Combine(bed.Repo.Scratch("batch"), "batch.yaml");
        File.WriteAllText(batchFile, $$"""
            version: 3
            metadata:
              name: "followed"
            execution:
              concurrency: 1
            agents:
              - id: fake
                command: [{{JsonSerializer.Serialize(TestPaths.FakeAgent)}}]
                env: { FAKE_AMP_SCENARIO: {{JsonSerializer.Serialize(Scenario("slow", new { sleepMs = 300 }, new { writeFile = new { path = "x.txt", content = "x" } }))}} }
            tasks:
              - id: write
                type: batch
                prompts: ["Write x.txt", "Write x.txt again"]
                repositories: [{{JsonSerializer.Serialize(bed.Repo.Root)}}]
            """);
        var lines = new List<string>();
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        // From the start of the (empty) log, so no event can slip in before the follower reads where it is.
        var follower = ProcessRunner.RunAsync(bed.Cli.Spec(["events", "--follow", "--json", "--after", "0"]), line =>
        {
            if (line.Stream != OutputStream.StandardOutput)
            {
                return LineDecision.Continue;
            }
            lock (lines)
            {
                lines.Add(line.Text);
            }
            return line.Text.Contains("\"type\":\"BatchFinished\"", StringComparison.Ordinal) ? LineDecision.Stop : LineDecision.Continue;
        }, stop.Token);

        var run = await bed.RunAsync("batch", "run", batchFile, "--json");
        var followed = await follower;

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(followed.StoppedByHandler, $"the follower ended by itself: {followed.StandardError}");
        var events = lines.Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        var types = events.Select(e => e.GetProperty("type").GetString()).ToList();
        Assert.Equal("BatchStarted", types.First(t => t!.StartsWith("Batch", StringComparison.Ordinal)));
        Assert.Equal(2, types.Count(t => t == "BatchItemFinished"));
        Assert.Equal(2, types.Count(t => t == "SessionCreated"));
        Assert.Contains("StatusChanged", types);
        Assert.Contains("IterationFinished", types);
        Assert.Equal("BatchFinished", types[^1]);
        var ids = events.Select(e => e.GetProperty("id").GetInt64()).ToList();
        Assert.Equal(ids.Order(), ids);
        var batchId = JsonDocument.Parse(run.StandardOutput).RootElement.GetProperty("batchId").GetString();
        Assert.All(events.Where(e => e.GetProperty("type").GetString()!.StartsWith("Batch", StringComparison.Ordinal)), e => Assert.Equal(batchId, e.GetProperty("batchId").GetString()));
    }

    [Fact]
    public async Task Queue_json_prints_merged_and_skipped_with_reasons()
    {
        var a = await bed.NewSessionAsync();
        var b = await bed.NewSessionAsync();
        File.WriteAllText(Path.Combine(bed.Worktree(a), "README.md"), "# A\nwith more\nlines\n");
        File.WriteAllText(Path.Combine(bed.Worktree(b), "README.md"), "# B\n");
        Assert.Equal(0, (await bed.RunAsync("commit", a, "-m", "A")).ExitCode);
        Assert.Equal(0, (await bed.RunAsync("commit", b, "-m", "B")).ExitCode);

        var result = await bed.RunAsync("queue", a, b, "--base", "main", "--json");

        Assert.Equal(1, result.ExitCode);
        var json = CliSessionBed.Json(result);
        Assert.Equal(["merged", "skipped"], json.EnumerateObject().Take(2).Select(p => p.Name));
        Assert.Equal([a], json.GetProperty("merged").EnumerateArray().Select(e => e.GetString()));
        var skipped = json.GetProperty("skipped").EnumerateArray().Single();
        Assert.Equal(b, skipped.GetProperty("id").GetString());
        Assert.StartsWith($"would conflict with {a} in README.md", skipped.GetProperty("reason").GetString());
        Assert.Contains("left out", (await bed.RunAsync("queue", b)).StandardOutput);
    }

    [Fact]
    [Trait("Platform", "Posix")]
    public async Task New_with_attempts_compares_and_attempts_keep_archives_the_rest()
    {
        bed.Scenario = Scenario("writes", new { writeFile = new { path = "ok.txt", content = "ok\n" } });

        var made = await bed.RunAsync("new", "--repo", bed.Repo.Root, "--name", "Best", "--prompt", "write ok.txt", "--agent", CliSessionBed.FakeAgent,
            "--script", "test -f ok.txt", "--attempts", "2", "--json");

        Assert.True(made.ExitCode == 0, made.ToString());
        var comparison = CliSessionBed.Json(made);
        var group = comparison.GetProperty("group").GetString()!;
        var proposed = comparison.GetProperty("proposedId").GetString()!;
        Assert.Equal(2, comparison.GetProperty("attempts").GetArrayLength());
        Assert.All(comparison.GetProperty("attempts").EnumerateArray(), a => Assert.True(a.GetProperty("testsPassed").GetBoolean()));

        var text = await bed.RunAsync("attempts", group);
        Assert.Contains($"Keep it: amp-sessions attempts {group} --keep {proposed}", text.StandardOutput);
        var kept = await bed.RunAsync("attempts", group, "--keep", "proposed", "--json");

        Assert.True(kept.ExitCode == 0, kept.ToString());
        Assert.Equal(proposed, CliSessionBed.Json(kept).GetProperty("keptId").GetString());
        Assert.Equal(["Archived", "Idle"], CliSessionBed.Json(kept).GetProperty("attempts").EnumerateArray()
            .Select(a => a.GetProperty("status").GetString()).Order());
        var bad = await bed.RunAsync("new", "--repo", bed.Repo.Root, "--name", "Best", "--prompt", "x", "--attempts", "1");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("give --attempts 2 to 10", bad.StandardError);
    }

    [Fact]
    public async Task Iterate_json_names_what_the_agent_changed_in_the_main_checkout_and_ack_unblocks()
    {
        bed.Scenario = Scenario("escape", new { toolUse = new { name = "Bash", input = new { cmd = "cd ../.. && echo agent > INTO_MAIN.txt" } } });
        // With the guard on the write would be denied; this is the detector's test.
        bed.Repo.WriteFile(".amp-sessions.yaml", "guard: false\n");
        bed.Repo.CommitAll("no guard");
        var id = await bed.NewSessionAsync();

        var iterate = await bed.RunAsync("iterate", id, "--json");

        Assert.Equal(1, iterate.ExitCode);
        Assert.Equal(["INTO_MAIN.txt"], CliSessionBed.Json(iterate).GetProperty("mainCheckoutTouched").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal("Blocked", CliSessionBed.Json(await bed.RunAsync("status", id, "--json")).GetProperty("status").GetString());
        var merge = await bed.RunAsync("merge", id);
        Assert.Equal(1, merge.ExitCode);
        Assert.Contains($"amp-sessions ack {id}", merge.StandardError);

        var ack = await bed.RunAsync("ack", id);

        Assert.True(ack.ExitCode == 0, ack.ToString());
        Assert.Contains($"Session {id} is Idle again.", ack.StandardOutput);
        Assert.Contains("acknowledged iteration 1: INTO_MAIN.txt", ack.StandardOutput);
    }
}

/// <summary>A batch's token budget through the CLI: running items stopped, the rest not started, states and reports saying so.</summary>
public sealed class BatchBudgetCliTests : IDisposable
{
    private readonly CliSessionBed bed = new();

    public void Dispose() => bed.Dispose();

    [Fact]
    public async Task A_token_budget_stops_a_batch_mid_run_with_the_right_states_and_reports()
    {
        var scenario = Path.Combine(bed.Repo.Scratch("scenarios"), "spend.json");
        File.WriteAllText(scenario, """
            {"steps": [
              {"text": "working", "usage": {"input_tokens": 300, "output_tokens": 100}},
              {"writeFile": {"path": "partial.txt", "content": "x\n"}},
              {"sleepMs": 1500},
              {"text": "more", "usage": {"input_tokens": 300, "output_tokens": 100}},
              {"sleepMs": 15000},
              {"success": "done"}
            ]}
            """);
        var batchFile = Path.Combine(bed.Repo.Scratch("batch"), "batch.yaml");
        File.WriteAllText(batchFile, $$"""
            version: 3
            metadata:
              name: "budgeted"
            execution:
              concurrency: 1
            agents:
              - id: fake
                command: [{{JsonSerializer.Serialize(TestPaths.FakeAgent)}}]
                env: { FAKE_AMP_SCENARIO: {{JsonSerializer.Serialize("script:" + scenario)}} }
            tasks:
              - id: spend
                type: batch
                prompts: ["one", "two", "three"]
                repositories: [{{JsonSerializer.Serialize(bed.Repo.Root)}}]
            metrics:
              export_formats: [csv, html]
            """);
        bed.Cli.Environment["AMP_SESSIONS_NOTIFICATIONS"] = "0";
        var watch = System.Diagnostics.Stopwatch.StartNew();

        var run = await bed.RunAsync("batch", "run", batchFile, "--budget-tokens", "700", "--json");

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"took {watch.Elapsed}");
        Assert.Equal(1, run.ExitCode);
        var result = CliSessionBed.Json(run);
        Assert.Equal("BudgetExceeded", result.GetProperty("status").GetString());
        var ran = result.GetProperty("ran").EnumerateArray().ToList();
        Assert.Equal(["BudgetExceeded"], ran.Select(r => r.GetProperty("status").GetString()));
        Assert.Equal(800, ran[0].GetProperty("tokens").GetProperty("input").GetInt64() + ran[0].GetProperty("tokens").GetProperty("output").GetInt64());
        var batchId = result.GetProperty("batchId").GetString()!;
        var status = CliSessionBed.Json(await bed.RunAsync("batch", "status", batchId, "--json"));
        Assert.Equal("BudgetExceeded", status.GetProperty("summary").GetProperty("batch").GetProperty("status").GetString());
        Assert.StartsWith("The batch's budget is spent (tokens 800 of 700): 1 of 3 items finished, 2 not run.",
            status.GetProperty("summary").GetProperty("batch").GetProperty("message").GetString());
        Assert.Equal(["BudgetExceeded", "Pending", "Pending"], status.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("status").GetString()).Order());
        // The stopped item's session kept what its agent had done, committed and marked.
        var branch = bed.Repo.Git("for-each-ref", "--format=%(refname:short)", "refs/heads/amp/");
        Assert.Contains("Amp-Budget-Reached: the batch's budget is spent (tokens 800 of 700)", bed.Repo.Git("log", "-1", "--format=%B", branch));
        var reports = result.GetProperty("reports").EnumerateArray().Select(r => r.GetString()!).ToList();
        var html = File.ReadAllText(reports.Single(r => r.EndsWith(".html", StringComparison.Ordinal)));
        Assert.Contains("<div class=\"k\">Budget</div><div class=\"v\">700 tokens</div><div class=\"s\">spent 800 tokens; 1 stopped by it</div>", html);
        Assert.Contains("budget spent", html);
        Assert.Contains(",BudgetExceeded,", File.ReadAllText(reports.Single(r => r.EndsWith(".csv", StringComparison.Ordinal))));
        Assert.Contains("BudgetReached", (await bed.RunAsync("events", "--type", "BudgetReached")).StandardOutput);
    }
}

/// <summary>The guard through the CLI as users run it: Amp's delegate is the CLI itself (here through `dotnet amp-sessions.dll` and the launcher script).</summary>
public sealed class GuardCliTests : IDisposable
{
    private readonly CliSessionBed bed = new();

    public GuardCliTests() => bed.Cli.Environment["AMP_SESSIONS_NOTIFICATIONS"] = "0";

    public void Dispose() => bed.Dispose();

    [Fact]
    public async Task Iterate_shows_the_guard_denying_an_escape_and_the_timeline_counts_it()
    {
        var path = Path.Combine(bed.Repo.Scratch("scenarios"), "escape.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new { steps = new object[] { new { toolUse = new { name = "Bash", input = new { cmd = "cd .. && git checkout -b evil" } } }, new { success = "tried" } } }));
        bed.Scenario = "script:" + path;
        var id = await bed.NewSessionAsync();

        var iterate = await bed.RunAsync("iterate", id);
        var json = CliSessionBed.Json(await bed.RunAsync("iterations", id, "--json"));
        var timeline = await bed.RunAsync("timeline", id);

        Assert.True(iterate.ExitCode == 0, iterate.ToString());
        Assert.Contains("guard:   1 decision, 1 denied", iterate.StandardOutput);
        Assert.Contains("denied Bash cd .. && git checkout -b evil: `cd ..` leaves the session's worktree", iterate.StandardOutput);
        var decision = json[0].GetProperty("guardDecisions")[0];
        Assert.Equal("Deny", decision.GetProperty("verdict").GetString());
        Assert.Contains("1 denied", timeline.StandardOutput);
        Assert.Equal("main", bed.Repo.Git("branch", "--show-current"));
        Assert.True(File.Exists(Path.Combine(bed.DataDirectory, "guard", "amp-sessions-guard")));
    }
}
