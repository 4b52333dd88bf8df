using AmpSessions.Core.Batches;
using AmpSessions.Core.Errors;

namespace AmpSessions.Core.Tests.Batches;

public sealed class JobShardTests
{
    private static Func<string, string?> Index(string? value) => name => name == BatchShard.JobIndexVariable ? value : null;

    [Theory]
    [InlineData("0", "job/4", "1/4")]
    [InlineData("3", "job/4", "4/4")]
    [InlineData(null, "2/3", "2/3")]
    public void Job_shards_take_the_pod_index_plus_one(string? index, string text, string expected) =>
        Assert.Equal(expected, BatchShard.Parse(text, Index(index)).ToString());

    [Theory]
    [InlineData(null, "AmpShardJobIndexMissing")]
    [InlineData("", "AmpShardJobIndexMissing")]
    [InlineData("x", "AmpShardJobIndexMissing")]
    [InlineData("4", "AmpUsageShardInvalid")]
    public void A_missing_or_out_of_range_index_is_a_clear_error(string? index, string errorId)
    {
        var error = Assert.ThrowsAny<AmpSessionsException>(() => BatchShard.Parse("job/4", Index(index)));
        Assert.Equal(errorId, error.ErrorId);
    }

    [Fact]
    public void Stored_shards_never_read_the_environment() =>
        Assert.Equal("AmpUsageShardInvalid", Assert.ThrowsAny<AmpSessionsException>(() => BatchShard.ParseStored("job/4")).ErrorId);
}
