using AmpSessions.Core.Agents;
using AmpSessions.Core.Iterations;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Iterations;

/// <summary>Issue 10 item 16 (the part about what is kept): an agent's noise is bounded in the store, and the transcript file keeps every line.</summary>
[Trait("Platform", "Linux")]
public sealed class AgentOutputBoundsTests : IDisposable
{
    private readonly IterationTestBed bed = new();

    public void Dispose() => bed.Dispose();

    [Fact]
    public async Task Thousands_of_non_json_lines_keep_a_bounded_list_with_a_count_and_the_transcript_keeps_them_all()
    {
        var agent = ShellAgent.Write(Path.Combine(bed.Repo.Scratch("agent"), "agent.sh"), "i=0; while [ $i -lt 5000 ]; do echo \"noise line $i\"; i=$((i+1)); done\n");
        var session = await bed.NewSessionAsync(agent: agent);

        var iteration = await bed.IterateAsync(session);

        Assert.True(iteration.Status == IterationStatus.Succeeded, iteration.Error);
        Assert.Equal(StreamJsonAgent.MaxProtocolWarnings + 1, iteration.ProtocolWarnings.Count);
        Assert.StartsWith("4900 more lines", iteration.ProtocolWarnings[^1]);
        var stored = Assert.Single(bed.Context.Iterations.List(session.Id));
        Assert.Equal(iteration.ProtocolWarnings.Count, stored.ProtocolWarnings.Count);
        Assert.Equal(5000, File.ReadLines(iteration.TranscriptPath!).Count(l => l.StartsWith("noise line ", StringComparison.Ordinal)));
    }
}
