using AmpSessions.Core.Iterations;

namespace AmpSessions.Core.Tests.Iterations;

public sealed class CommitMessageTests
{
    [Theory]
    [InlineData("Renamed `hello` to `greet`.", "Renamed hello to greet.")]
    [InlineData("\n\n## **Done**: renamed it\nmore text", "Done: renamed it")]
    [InlineData("- [x] fixed   the    spacing", "fixed the spacing")]
    [InlineData("", "iteration 4")]
    [InlineData(null, "iteration 4")]
    [InlineData("```\n```", "iteration 4")]
    public void Summary_is_the_first_meaningful_line_without_markdown(string? message, string summary)
    {
        Assert.Equal(summary, CommitMessage.Summary(message, 4));
    }

    // Issue 10 item 21: characters that are markdown only where they are markup are kept elsewhere.
    [Theory]
    [InlineData("Fix #218: cache_key collides for _DescriptorBase", "Fix #218: cache_key collides for _DescriptorBase")]
    [InlineData("Moved the loader into __init__.py", "Moved the loader into __init__.py")]
    [InlineData("Use a[0] > b[1] * 2 in **main.py**.", "Use a[0] > b[1] * 2 in main.py.")]
    [InlineData("> **Note**: see [the docs](https://example.com/docs) and `CONTRIBUTING.md`", "Note: see the docs and CONTRIBUTING.md")]
    [InlineData("1. Renamed *hello* to _greet_ (both files)", "Renamed hello to greet (both files)")]
    public void Names_and_symbols_that_are_not_markup_keep_every_character(string message, string summary)
    {
        Assert.Equal(summary, CommitMessage.Summary(message, 1));
    }

    [Fact]
    public void A_long_message_is_cut_at_a_word_so_the_subject_fits_72_characters()
    {
        var message = "Renamed the function hello to greet everywhere in the repository and updated all of the call sites accordingly";

        var summary = CommitMessage.Summary(message, 1);

        Assert.True((CommitMessage.Prefix + summary).Length <= 72, summary);
        Assert.EndsWith("…", summary);
        Assert.StartsWith("Renamed the function hello to greet everywhere", summary);
        Assert.DoesNotContain("  ", summary);
        Assert.False(summary.TrimEnd('…').EndsWith(' '));
    }

    [Fact]
    public void A_long_word_is_cut_hard()
    {
        var summary = CommitMessage.Summary(new string('x', 200), 1);

        Assert.Equal(72, (CommitMessage.Prefix + summary).Length);
    }

    [Fact]
    public void The_message_has_the_subject_a_blank_line_and_the_trailers()
    {
        Assert.Equal("amp: Renamed\n\nAmp-Session: abc12345\nAmp-Iteration: 3\nAmp-Thread: T-1\n", CommitMessage.Compose("Renamed", "abc12345", 3, "T-1"));
        Assert.Equal("amp: Renamed\n\nAmp-Session: abc12345\nAmp-Iteration: 3\n", CommitMessage.Compose("Renamed", "abc12345", 3, null));
    }
}
