using System.Text.Json;
using AmpSessions.Testing;

namespace AmpSessions.Cli.Tests.Evaluation;

/// <summary>
/// A benchmark written by hand in seed 002's commit-pair style, {id, repo, bug_commit, fix_commit,
/// test_command, prompt}, over a real repository whose tests are a shell script printing TAP (no
/// language runtime needed): each fix commit adds a test (the hidden test_patch) and fixes the source
/// (the gold patch). The same file is validated (gold resolves both, null neither) and run with three
/// samples per instance by an agent whose attempts succeed on a known schedule, so pass@k can be
/// checked against values computed by hand.
/// </summary>
public sealed class CommitPairFileTests : IDisposable
{
    private readonly TestRepository repo = new("calc", initialCommit: false);
    private readonly CliRunner cli;
    private readonly string pairsFile;

    public CommitPairFileTests()
    {
        cli = new CliRunner(repo.Scratch("data"));
        cli.Environment["AMP_SESSIONS_NOTIFICATIONS"] = "0";
        // Both operations are wrong on the bug commit; the tests only check that the script runs.
        repo.WriteFile("src/add.sh", "echo $(( $1 - $2 ))\n");
        repo.WriteFile("src/mul.sh", "echo $(( $1 + $2 ))\n");
        repo.WriteFile("tests/check.sh", "echo 'ok 1 - runs'\n");
        var bug = repo.CommitAll("Add and multiply");
        // Each fix: the source change (gold patch) and a test for it (test patch).
        repo.WriteFile("src/add.sh", "echo $(( $1 + $2 ))\n");
        repo.WriteFile("tests/check.sh", "echo 'ok 1 - runs'\nif [ \"$(sh src/add.sh 2 3)\" = 5 ]; then echo 'ok 2 - adds'; else echo 'not ok 2 - adds'; fi\n");
        var addFix = repo.CommitAll("Fix addition");
        repo.WriteFile("src/mul.sh", "echo $(( $1 * $2 ))\n");
        repo.WriteFile("tests/check.sh", repo.ReadFile("tests/check.sh") + "if [ \"$(sh src/mul.sh 2 3)\" = 6 ]; then echo 'ok 3 - multiplies'; else echo 'not ok 3 - multiplies'; fi\n");
        var mulFix = repo.CommitAll("Fix multiplication");
        pairsFile = Path.Combine(repo.Scratch("bench"), "pairs.jsonl");
        var folder = Path.GetRelativePath(Path.GetDirectoryName(pairsFile)!, repo.Root);
        File.WriteAllLines(pairsFile,
        [
            JsonSerializer.Serialize(new { id = "calc-add", repo = folder, bug_commit = bug, fix_commit = addFix, test_command = "sh tests/check.sh", prompt = "ADDITION: src/add.sh subtracts instead of adding." }),
            JsonSerializer.Serialize(new { id = "calc-mul", repo = folder, bug_commit = addFix, fix_commit = mulFix, test_command = "sh tests/check.sh", prompt = "MULTIPLICATION: src/mul.sh adds instead of multiplying." }),
        ]);
    }

    public void Dispose() => repo.Dispose();

    [Fact]
    public async Task A_hand_written_commit_pair_file_is_graded_gold_resolves_both_and_null_neither()
    {
        var result = await cli.RunAsync("eval", "validate", pairsFile, "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var json = JsonDocument.Parse(result.StandardOutput).RootElement;
        Assert.Equal(2, json.GetProperty("goldResolved").GetInt32());
        Assert.Equal(0, json.GetProperty("nullResolved").GetInt32());
        Assert.Equal(["calc-add: gold Resolved, null Unresolved", "calc-mul: gold Resolved, null Unresolved"],
            json.GetProperty("instances").EnumerateArray().Select(i => $"{i.GetProperty("instanceId").GetString()}: gold {i.GetProperty("gold").GetString()}, null {i.GetProperty("null").GetString()}").Order());
        // The fix's test change was hidden from the agent and applied for grading only: the repository is as it was.
        Assert.Equal("", repo.Git("status", "--porcelain"));
    }

    [Fact]
    public async Task Pass_at_k_over_three_samples_matches_the_hand_computed_estimator()
    {
        // The agent fixes calc-add on its 1st and 3rd attempts (c=2 of n=3) and calc-mul on its 3rd only (c=1 of 3),
        // counting its attempts per instance in a folder of its own, so the schedule does not depend on the order they run in.
        var state = repo.Scratch("agent-state");
        var script = Path.Combine(repo.Scratch("agent"), "agent.sh");
        File.WriteAllText(script, $$"""
            prompt=$(cat)
            case "$prompt" in *ADDITION*) name=add ;; *) name=mul ;; esac
            n=$(( $(cat '{{state}}'/$name 2>/dev/null || echo 0) + 1 )); echo $n > '{{state}}'/$name
            if [ $name = add ] && [ $n -ne 2 ]; then echo 'echo $(( $1 + $2 ))' > src/add.sh; fi
            if [ $name = mul ] && [ $n -eq 3 ]; then echo 'echo $(( $1 * $2 ))' > src/mul.sh; fi
            echo '{"type":"system","subtype":"init","cwd":".","session_id":"T-pass-at-k","tools":[],"mcp_servers":[]}'
            echo '{"type":"result","subtype":"success","duration_ms":1,"is_error":false,"num_turns":1,"result":"Attempt '$n'.","session_id":"T-pass-at-k"}'

            """);

        var result = await cli.RunAsync(["eval", "run", pairsFile, "--agent", $"sched=exec:/bin/sh \"{script}\"", "--samples", "3", "--json"], null, TimeSpan.FromMinutes(4));

        Assert.True(result.ExitCode == 0, result.ToString());
        var agent = JsonDocument.Parse(result.StandardOutput).RootElement.GetProperty("agents").EnumerateArray().Single();
        Assert.Equal(3, agent.GetProperty("resolved").GetInt32());
        var passAtK = agent.GetProperty("passAtK");
        // By hand, pass@k = 1 - C(n-c, k) / C(n, k) per instance, averaged over the two (n = 3):
        //   k=1: add 1 - C(1,1)/C(3,1) = 2/3, mul 1 - C(2,1)/C(3,1) = 1/3, mean 1/2
        //   k=2: add 1 - C(1,2)/C(3,2) = 1 - 0/3 = 1, mul 1 - C(2,2)/C(3,2) = 1 - 1/3 = 2/3, mean 5/6 = 0.8333
        //   k=3: add 1, mul 1 - C(2,3)/C(3,3) = 1, mean 1
        Assert.Equal(0.5, passAtK.GetProperty("1").GetDouble(), 9);
        Assert.Equal(5.0 / 6.0, passAtK.GetProperty("2").GetDouble(), 9);
        Assert.Equal(1.0, passAtK.GetProperty("3").GetDouble(), 9);
        Assert.Equal("3", File.ReadAllText(Path.Combine(state, "add")).Trim());
        Assert.Equal("3", File.ReadAllText(Path.Combine(state, "mul")).Trim());
    }
}
