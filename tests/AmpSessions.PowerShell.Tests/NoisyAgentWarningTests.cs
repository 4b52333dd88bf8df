using System.Text.Json;
using AmpSessions.PowerShell.Tests.Hosting;

namespace AmpSessions.PowerShell.Tests;

/// <summary>
/// An agent that writes hundreds of lines outside the protocol (npm warnings, debug output) gets one
/// warning for the first and one count with the transcript at the end, not a warning per line.
/// The agent is the fake running a scenario file, so no shell is needed.
/// </summary>
public sealed class NoisyAgentWarningTests : IDisposable
{
    private const int NoiseLines = 300;

    private readonly HostedPowerShell host = new();

    public void Dispose() => host.Dispose();

    [Fact]
    public void Hundreds_of_lines_outside_the_protocol_are_two_warnings_and_the_transcript_keeps_them()
    {
        var repo = host.NewRepository();
        var steps = new List<object> { new { text = "Looking." } };
        for (var i = 0; i < NoiseLines; i++)
        {
            steps.Add(new { raw = $"npm WARN deprecated left-pad@1.{i}.0" });
        }
        steps.Add(new { success = "Done." });
        var scenario = Path.Combine(host.Root, "noisy.json");
        File.WriteAllText(scenario, JsonSerializer.Serialize(new { steps }));
        var agent = $"amp:env FAKE_AMP_SCENARIO=script:{scenario} '{TestEnvironment.FakeAgent}'";

        var warnings = host.Invoke("""
            $session = New-AmpSession -Name noisy -Prompt 'p' -RepoPath $Repo -Agent $Agent -DataPath $Data
            $null = Invoke-AmpIteration -Id $session.Id -DataPath $Data -WarningVariable w -WarningAction SilentlyContinue
            $w | ForEach-Object { $_.Message }
            """, ("Repo", repo), ("Agent", agent)).Select(o => o.ToString()).ToArray();

        Assert.Equal(2, warnings.Length);
        Assert.StartsWith("The agent wrote a line that is not stream-json (", warnings[0]);
        Assert.Matches($@"^The agent wrote {NoiseLines} lines that are not stream-json in all \(warned about the first only; -Verbose shows them\); the transcript .+iteration-1\.jsonl has every line\.$", warnings[1]);
        var transcript = warnings[1].Split("the transcript ")[1][..^" has every line.".Length];
        Assert.Equal(NoiseLines, File.ReadLines(transcript).Count(line => line.Contains("npm WARN deprecated", StringComparison.Ordinal)));
    }
}
