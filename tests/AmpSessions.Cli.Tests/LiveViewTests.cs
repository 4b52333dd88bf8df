using System.Text.Json;
using System.Text.RegularExpressions;
using AmpSessions.Testing;

namespace AmpSessions.Cli.Tests;

/// <summary>
/// The live view of `iterate` is output a user reads: the approved text in Approved/ is compared with
/// what the CLI prints for a noisy agent (a changed rendering is a reviewed diff: run with
/// AMP_SESSIONS_APPROVE=1 to write the new text over the approved file, then read the diff). The
/// agent here is the fake running a scenario file, so the test needs no shell.
/// </summary>
public sealed partial class LiveViewTests : IDisposable
{
    private const int NoiseLines = 500;

    private readonly CliSessionBed bed = new();

    public void Dispose() => bed.Dispose();

    [Fact]
    public async Task A_noisy_agent_shows_its_messages_tools_and_errors_and_one_line_for_the_noise_with_the_transcript()
    {
        var id = await bed.NewSessionAsync();
        bed.Scenario = "script:" + NoisyAgentScenario();

        var result = await bed.RunAsync("iterate", id);

        Assert.True(result.ExitCode == 0, result.ToString());
        var transcript = Path.Combine(bed.DataDirectory, "logs", id, "iteration-1.jsonl");
        var stdout = result.StandardOutput;
        var live = stdout[..stdout.IndexOf($"Iteration 1 of session {id}", StringComparison.Ordinal)];
        Assert.DoesNotContain("npm WARN", live);
        Assert.DoesNotContain("ExperimentalWarning", live);
        // The record after it names the first, not a hundred.
        Assert.Contains("left-pad@1.0.0", stdout);
        Assert.DoesNotContain("left-pad@1.1.0", stdout);
        Assert.Contains($"  ({NoiseLines + 1} more lines from the agent not shown: {NoiseLines} outside the stream-json protocol, 1 on stderr; the transcript {transcript} has them all)", stdout);
        // Nothing was dropped from the transcript: every noise line is there.
        Assert.Equal(NoiseLines, File.ReadLines(transcript).Count(line => line.Contains("npm WARN deprecated", StringComparison.Ordinal)));
        AssertApproved("iterate-noisy-agent", Normalize(stdout, id));
    }

    private string NoisyAgentScenario()
    {
        var steps = new List<object>
        {
            new { text = "Let me look at the file first." },
            new { toolUse = new { name = "Read", input = new { path = "$CWD/src/greet.ts" } }, result = "export function hello" },
        };
        for (var i = 0; i < NoiseLines; i++)
        {
            steps.Add(new { raw = $"npm WARN deprecated left-pad@1.{i}.0: use String.prototype.padStart" });
        }
        // A JSON line of a type the protocol does not use is skipped without a word: not noise to count.
        steps.Add(new { emit = new { type = "telemetry", x = 1 } });
        steps.Add(new { stderr = "(node:4242) ExperimentalWarning: the fetch API is experimental" });
        steps.Add(new { toolUse = new { name = "edit_file", input = new { path = "$CWD/src/greet.ts", old_str = "function nosuch", new_str = "x" } } });
        steps.Add(new { toolUse = new { name = "edit_file", input = new { path = "$CWD/src/greet.ts", old_str = "hello", new_str = "greet" } }, result = "ok" });
        steps.Add(new { text = "Renamed hello to greet." });
        steps.Add(new { success = "Renamed hello to greet in src/greet.ts." });
        var path = Path.Combine(bed.Repo.Scratch("scenario"), "noisy.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new { steps }));
        return path;
    }

    private string Normalize(string text, string id) => Duration().Replace(Sha().Replace(text
        .Replace(bed.DataDirectory, "<data>", StringComparison.Ordinal)
        .Replace(TestPaths.FakeAgent, "<fake-amp>", StringComparison.Ordinal)
        .Replace(id, "<id>", StringComparison.Ordinal), "$1<sha>"), "duration: <duration>").Replace("\r\n", "\n").Replace('\\', '/');

    private static void AssertApproved(string name, string received)
    {
        var approved = Path.Combine(TestPaths.RepositoryRoot, "tests", "AmpSessions.Cli.Tests", "Approved", $"{name}.txt");
        if (Environment.GetEnvironmentVariable("AMP_SESSIONS_APPROVE") == "1")
        {
            File.WriteAllText(approved, received);
        }
        var expected = File.Exists(approved) ? File.ReadAllText(approved).Replace("\r\n", "\n") : null;
        Assert.True(expected == received, $"The live view differs from {approved} (AMP_SESSIONS_APPROVE=1 writes it; review the diff):\n{received}");
    }

    [GeneratedRegex(@"(commit:\s+)[0-9a-f]{7}")]
    private static partial Regex Sha();

    [GeneratedRegex(@"duration: \S+")]
    private static partial Regex Duration();
}
