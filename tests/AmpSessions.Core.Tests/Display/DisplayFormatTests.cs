using AmpSessions.Core.Agents;
using AmpSessions.Core.Display;

namespace AmpSessions.Core.Tests.Display;

/// <summary>The one display rule the module's views and the CLI's tables share.</summary>
public sealed class DisplayFormatTests
{
    [Theory]
    [InlineData(1.658, "1.7s")]
    [InlineData(0, "0.0s")]
    [InlineData(59.94, "59.9s")]
    [InlineData(59.96, "1m 00s")]
    [InlineData(123, "2m 03s")]
    [InlineData(3599.4, "59m 59s")]
    [InlineData(3725, "1h 02m")]
    public void Durations_read_as_seconds_then_minutes_then_hours(double seconds, string expected) =>
        Assert.Equal(expected, DisplayFormat.Duration(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void A_missing_value_is_a_dash() =>
        Assert.Equal(["-", "-", "-", "-"], [DisplayFormat.Duration(null), DisplayFormat.Time(null), DisplayFormat.Commit(null), DisplayFormat.ToolCalls(new Dictionary<string, int>())]);

    [Fact]
    public void Times_are_local_to_the_minute_the_same_in_tables_and_lists()
    {
        var time = new DateTimeOffset(2026, 1, 15, 9, 30, 42, TimeSpan.Zero);

        Assert.Equal(time.ToLocalTime().ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture), DisplayFormat.Time(time));
        Assert.Equal(time.ToLocalTime().ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture), DisplayFormat.ClockTime(time));
    }

    [Fact]
    public void Tokens_are_input_plus_output_and_the_cache_is_counted_apart()
    {
        var usage = new TokenUsage(Input: 21, Output: 218, CacheCreation: 15_636, CacheRead: 30_626);

        Assert.Equal("239", DisplayFormat.Tokens(usage));
        Assert.Equal("46,262", DisplayFormat.Cache(usage));
        Assert.Equal("239 (21 in, 218 out); cache 46,262 (15,636 written, 30,626 read)", DisplayFormat.TokenDetail(usage));
    }

    [Fact]
    public void Tool_calls_read_most_used_first_with_counts_only_when_more_than_one() =>
        Assert.Equal("Read (7), Bash (3), edit_file", DisplayFormat.ToolCalls(new Dictionary<string, int> { ["edit_file"] = 1, ["Read"] = 7, ["Bash"] = 3 }));

    [Fact]
    public void Counts_agree_with_their_noun() =>
        Assert.Equal(["1 attempt", "3 attempts", "0 files"], [DisplayFormat.Plural(1, "attempt"), DisplayFormat.Plural(3, "attempt"), DisplayFormat.Plural(0, "file")]);
}
