using AmpSessions.Core.Serialization;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Core.Tests.Storage;

/// <summary>`list --json` streams: the array is written while the rows are still being read, and reads as the whole list would.</summary>
public sealed class JsonArrayStreamingTests
{
    private static Session Row(int i) => new()
    {
        Id = $"r{i:D7}",
        Name = $"Session {i} with a name long enough to fill the line",
        Prompt = "rename hello to greet in every module and keep the tests green",
        RepoRoot = "/repo",
        BaseBranch = "main",
        BaseCommit = new string('a', 40),
        BranchName = $"amp/session-{i}/20260101-000000",
        WorktreePath = $"/repo/.worktrees/r{i:D7}",
        Status = SessionStatus.Idle,
        CreatedAt = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(i),
        UpdatedAt = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(i),
    };

    [Fact]
    public void Rows_reach_the_output_while_later_rows_are_still_unread()
    {
        using var output = new MemoryStream();
        var writtenWhenRead = new List<long>();
        IEnumerable<Session> Rows()
        {
            for (var i = 0; i < 2_000; i++)
            {
                writtenWhenRead.Add(output.Length);
                yield return Row(i);
            }
        }

        JsonOutput.WriteArray(output, Rows(), JsonOutput.Options);

        // Each row was read with everything before it already out but for at most one flush's worth (and the row being
        // written): the text waiting in memory stays bounded however many rows there are.
        Assert.True(writtenWhenRead[^1] > 0);
        for (var i = 1; i < writtenWhenRead.Count; i += 199)
        {
            var textOfEarlierRows = JsonOutput.Serialize(Enumerable.Range(0, i).Select(Row).ToArray(), JsonOutput.Options).Length;
            var held = textOfEarlierRows - writtenWhenRead[i];
            Assert.True(held <= JsonOutput.StreamFlushBytes + 2_000, $"row {i}: {held} bytes held back");
        }
    }

    [Fact]
    public void The_streamed_array_is_the_text_of_the_whole_list()
    {
        var rows = Enumerable.Range(0, 300).Select(Row).ToArray();
        using var output = new MemoryStream();

        JsonOutput.WriteArray(output, rows, JsonOutput.Options);

        Assert.Equal(JsonOutput.Serialize(rows, JsonOutput.Options) + Environment.NewLine, System.Text.Encoding.UTF8.GetString(output.ToArray()));
    }

    [Fact]
    public void No_rows_make_an_empty_array()
    {
        using var output = new MemoryStream();

        JsonOutput.WriteArray(output, Array.Empty<Session>(), JsonOutput.Options);

        Assert.Equal("[]" + Environment.NewLine, System.Text.Encoding.UTF8.GetString(output.ToArray()));
    }
}
