using System.Text.Json;
using AmpSessions.Testing;

namespace AmpSessions.Cli.Tests.Evaluation;

/// <summary>
/// A benchmark written by hand in seed 002's commit-pair style, {id, repo, bug_commit, fix_commit,
/// test_command, prompt}, over a real repository whose tests are a shell script printing TAP (no
/// language runtime needed): each fix commit adds a test (the hidden test_patch) and fixes the source
/// (the gold patch). The same file is validated (gold resolves both, null neither) and run with two
/// samples per instance by an agent whose attempts succeed on a known schedule, so pass@k can be
/// checked against values computed by hand.
/// </summary>
public sealed class CommitPairFileTests : IDisposable
{
    private readonly TempDirectory temp = new("amp-eval-pairs");
    private readonly CliRunner cli;
    private readonly CommitPairBenchmark bench;
    private readonly string pairsFile;

    public CommitPairFileTests()
    {
        cli = new CliRunner(temp.Combine("data"));
        cli.Environment["AMP_SESSIONS_NOTIFICATIONS"] = "0";
        bench = CommitPairBenchmark.Create(temp.Combine("calc"), temp.Combine("bench"));
        pairsFile = bench.PairsFile;
    }

    public void Dispose() => temp.Dispose();

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
        Assert.Equal("", TestRepository.GitIn(bench.Repository, "status", "--porcelain"));
    }

    [Fact]
    public async Task Pass_at_k_over_two_samples_matches_the_hand_computed_estimator()
    {
        // The agent fixes calc-add on its first attempt only (c=1 of n=2) and never calc-mul (c=0 of 2), counting
        // its attempts per instance in a folder of its own, so the schedule does not depend on the order they run in.
        var state = temp.Combine("agent-state");
        Directory.CreateDirectory(state);
        var script = temp.Combine("agent.sh");
        File.WriteAllText(script, $$"""
            prompt=$(cat)
            case "$prompt" in *ADDITION*) name=add ;; *) name=mul ;; esac
            n=$(( $(cat '{{state}}'/$name 2>/dev/null || echo 0) + 1 )); echo $n > '{{state}}'/$name
            if [ $name = add ] && [ $n -eq 1 ]; then echo 'echo $(( $1 + $2 ))' > src/add.sh; fi
            echo '{"type":"system","subtype":"init","cwd":".","session_id":"T-pass-at-k","tools":[],"mcp_servers":[]}'
            echo '{"type":"result","subtype":"success","duration_ms":1,"is_error":false,"num_turns":1,"result":"Attempt '$n'.","session_id":"T-pass-at-k"}'

            """);

        var result = await cli.RunAsync(["eval", "run", pairsFile, "--agent", $"sched=exec:/bin/sh \"{script}\"", "--samples", "2", "--json"], null, TimeSpan.FromMinutes(4));

        Assert.True(result.ExitCode == 0, result.ToString());
        var agent = JsonDocument.Parse(result.StandardOutput).RootElement.GetProperty("agents").EnumerateArray().Single();
        Assert.Equal((1, 4), (agent.GetProperty("resolved").GetInt32(), agent.GetProperty("attempts").GetInt32()));
        var passAtK = agent.GetProperty("passAtK");
        // By hand, pass@k = 1 - C(n-c, k) / C(n, k) per instance, averaged over the two (n = 2):
        //   k=1: add 1 - C(1,1)/C(2,1) = 1/2, mul 1 - C(2,1)/C(2,1) = 0, mean 1/4
        //   k=2: add 1 - C(1,2)/C(2,2) = 1 - 0/1 = 1, mul 1 - C(2,2)/C(2,2) = 0, mean 1/2
        // (the biased 1 - (1 - c/n)^k would give 0.375 at k=2).
        Assert.Equal(0.25, passAtK.GetProperty("1").GetDouble(), 9);
        Assert.Equal(0.5, passAtK.GetProperty("2").GetDouble(), 9);
        Assert.False(passAtK.TryGetProperty("3", out _));
        Assert.Equal("2", File.ReadAllText(Path.Combine(state, "add")).Trim());
        Assert.Equal("2", File.ReadAllText(Path.Combine(state, "mul")).Trim());
    }
}
