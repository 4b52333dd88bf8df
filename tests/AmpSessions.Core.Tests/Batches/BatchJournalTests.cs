using AmpSessions.Core.Agents;
using AmpSessions.Core.Batches;
using AmpSessions.Core.Errors;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Batches;

public sealed class BatchJournalTests : IDisposable
{
    private readonly TempDirectory temp = new("amp-journal");

    public void Dispose() => temp.Dispose();

    private static BatchJournalHeader Header(params string[] ids) => new()
    {
        BatchId = "b1",
        Name = "journal test",
        FilePath = "/x/batch.yaml",
        ContentHash = "abc",
        ItemIds = ids,
        AllItems = ids.Length,
        CreatedAt = DateTimeOffset.Parse("2026-01-02T03:04:05Z", System.Globalization.CultureInfo.InvariantCulture),
    };

    private static BatchItemResult Result(string id, BatchItemStatus status) => new()
    {
        BatchId = "b1",
        ItemId = id,
        AgentId = "agent",
        TaskId = "task",
        TaskType = BatchTaskType.Batch,
        Prompt = "say \"hi\"\nand more",
        Status = status,
        Attempts = 1,
        Duration = TimeSpan.FromMilliseconds(1234),
        Tokens = new TokenUsage { Input = 10, Output = 2 },
        CostUsd = 0.0123m,
        ToolCalls = new Dictionary<string, int> { ["Bash"] = 2 },
    };

    [Fact]
    public void A_torn_last_line_is_ignored_and_cut_off_before_the_next_append()
    {
        var path = temp.Combine("journal.jsonl");
        using (var journal = BatchJournal.Create(path, Header("i1", "i2", "i3")))
        {
            journal.Append(Result("i1", BatchItemStatus.Passed));
        }
        File.AppendAllText(path, "{\"batchId\":\"b1\",\"itemId\":\"i2\",\"sta"); // killed mid-write

        var read = BatchJournal.Read(path);
        Assert.Equal(["i1"], read.Records.Select(r => r.ItemId));
        Assert.Equal(Result("i1", BatchItemStatus.Passed) with { ToolCalls = read.Records[0].ToolCalls }, read.Records[0]);
        Assert.Equal(2, read.Records[0].ToolCalls["Bash"]);

        using (var journal = BatchJournal.OpenForAppend(path))
        {
            journal.Append(Result("i2", BatchItemStatus.Failed));
        }
        var lines = File.ReadAllLines(path);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("{\"record\":\"batch\",\"batchId\":\"b1\"", lines[0]);
        Assert.Equal(["i1", "i2"], BatchJournal.Read(path).Records.Select(r => r.ItemId));
    }

    [Fact]
    public void Fold_prefers_the_finished_record_and_refuses_an_item_finished_twice()
    {
        var folded = BatchResults.Fold([Result("a", BatchItemStatus.Cancelled), Result("b", BatchItemStatus.Passed), Result("a", BatchItemStatus.Failed), Result("a", BatchItemStatus.Cancelled)], "test");
        Assert.Equal(["a Failed", "b Passed"], folded.Select(r => $"{r.ItemId} {r.Status}"));

        var ex = Assert.Throws<AmpSessionsException>(() => BatchResults.Fold([Result("a", BatchItemStatus.Passed), Result("a", BatchItemStatus.Passed)], "two.jsonl"));
        Assert.Equal("AmpBatchItemFinishedTwice", ex.ErrorId);
        Assert.Contains("finished twice in two.jsonl", ex.Message);
    }

    [Fact]
    public void A_file_that_is_not_a_journal_is_refused()
    {
        var path = temp.Combine("other.jsonl");
        File.WriteAllText(path, "{\"hello\":1}\n");
        Assert.Equal("AmpBatchJournalCorrupt", Assert.Throws<AmpSessionsException>(() => BatchJournal.Read(path)).ErrorId);
        File.WriteAllText(path, "not json\n");
        Assert.Equal("AmpBatchJournalCorrupt", Assert.Throws<AmpSessionsException>(() => BatchJournal.Read(path)).ErrorId);
    }
}
