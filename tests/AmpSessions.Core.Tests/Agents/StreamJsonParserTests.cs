using AmpSessions.Core.Agents;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Agents;

public sealed class StreamJsonParserTests
{
    private const string FixtureThread = "T-019a6c2e-5b7d-7c11-9e42-3f0a8d1b2c34";

    private static IReadOnlyList<AgentEvent> ParseFixture(string name) =>
        File.ReadAllLines(TestPaths.Fixture("stream-json", name)).SelectMany(StreamJsonParser.ParseLine).ToArray();

    private static TokenUsage Tokens(IEnumerable<AgentEvent> events) =>
        events.OfType<AgentUsageEvent>().Aggregate(default(TokenUsage), (sum, e) => sum + e.Usage);

    [Fact]
    public void Success_edit_sums_usage_over_assistant_lines_and_names_tools_and_thread()
    {
        var events = ParseFixture("success-edit.jsonl");

        Assert.Equal(new TokenUsage(Input: 21, Output: 218, CacheCreation: 15_636, CacheRead: 30_626), Tokens(events));
        Assert.Equal(["Read", "edit_file"], events.OfType<AgentToolUseEvent>().Select(t => t.Name));
        var init = Assert.Single(events.OfType<AgentInitEvent>());
        Assert.Equal(FixtureThread, init.ThreadId);
        Assert.Equal("/work/demo", init.WorkingDirectory);
        Assert.Equal("medium", init.AgentMode);
        Assert.Contains("edit_file", init.Tools);
        Assert.Empty(init.McpServers);
        var results = events.OfType<AgentToolResultEvent>().ToArray();
        Assert.Equal(["toolu_01HkQx9a2", "toolu_01Rm7Lw3c"], results.Select(r => r.ToolUseId));
        Assert.All(results, r => Assert.False(r.IsError));
        Assert.Contains("\"absolutePath\"", results[0].Content);
        var result = Assert.Single(events.OfType<AgentResultEvent>());
        Assert.False(result.IsError);
        Assert.Equal("success", result.Subtype);
        Assert.Equal("Renamed `hello` to `greet` in src/greet.ts. No other references exist in the repo.", result.Result);
        Assert.Equal(3, result.NumTurns);
        Assert.Equal(21_874, result.DurationMs);
        Assert.Equal(FixtureThread, result.ThreadId);
        Assert.Equal(["Let me look at the file first.", "Renamed `hello` to `greet` in src/greet.ts. No other references exist in the repo."],
            events.OfType<AgentTextEvent>().Select(t => t.Text));
        Assert.Empty(events.OfType<AgentProtocolWarningEvent>());
    }

    [Fact]
    public void Events_come_in_stream_order()
    {
        var kinds = ParseFixture("success-edit.jsonl").Select(e => e.GetType().Name).ToArray();

        Assert.Equal(
        [
            nameof(AgentInitEvent),
            nameof(AgentTextEvent), nameof(AgentToolUseEvent), nameof(AgentUsageEvent),
            nameof(AgentToolResultEvent),
            nameof(AgentToolUseEvent), nameof(AgentUsageEvent),
            nameof(AgentToolResultEvent),
            nameof(AgentTextEvent), nameof(AgentUsageEvent),
            nameof(AgentResultEvent),
        ], kinds);
    }

    [Theory]
    [InlineData("success-edit.jsonl", false, "success", null)]
    [InlineData("older-build.jsonl", false, "success", null)]
    [InlineData("approval-blocked.jsonl", true, "error_during_execution", "The following tools require user approval, which is not supported in stream JSON mode: Bash")]
    [InlineData("cancelled.jsonl", true, "error_during_execution", "User cancelled (SIGINT/SIGTERM)")]
    [InlineData("agent-error.jsonl", true, "error_during_execution", "Model provider returned an error: overloaded")]
    public void Every_fixture_ends_in_one_result_line_without_warnings(string fixture, bool isError, string subtype, string? error)
    {
        var events = ParseFixture(fixture);

        Assert.Empty(events.OfType<AgentProtocolWarningEvent>());
        var result = Assert.Single(events.OfType<AgentResultEvent>());
        Assert.IsType<AgentResultEvent>(events[^1]);
        Assert.Equal(isError, result.IsError);
        Assert.Equal(subtype, result.Subtype);
        Assert.Equal(error, result.Error);
        Assert.Equal(FixtureThread, result.ThreadId);
        Assert.Equal(FixtureThread, Assert.Single(events.OfType<AgentInitEvent>()).ThreadId);
    }

    [Fact]
    public void Approval_blocked_names_the_tool_it_tried()
    {
        var events = ParseFixture("approval-blocked.jsonl");

        Assert.Equal(["Bash"], events.OfType<AgentToolUseEvent>().Select(t => t.Name));
        Assert.Equal("{\"cmd\":\"npm test\"}", events.OfType<AgentToolUseEvent>().Single().InputJson);
        Assert.Equal(new TokenUsage(9, 40, 15_231, 0), Tokens(events));
        Assert.Equal(["Bash"], StreamJsonAgent.BlockedTools(events.OfType<AgentResultEvent>().Single().Error!));
    }

    [Fact]
    public void Older_build_fields_are_tolerated_and_missing_ones_are_null()
    {
        var events = ParseFixture("older-build.jsonl");

        var init = Assert.Single(events.OfType<AgentInitEvent>());
        Assert.Null(init.AgentMode);
        Assert.Equal(["playwright"], init.McpServers);
        // Usage without cache fields counts as zero cache; the result line's own usage is not added twice.
        Assert.Equal(new TokenUsage(120, 12, 0, 0), Tokens(events));
        Assert.Equal("Done.", Assert.Single(events.OfType<AgentTextEvent>()).Text);
        Assert.Equal("Done.", events.OfType<AgentResultEvent>().Single().Result);
    }

    [Theory]
    [InlineData("{\"type\":\"telemetry\",\"x\":1}")]
    [InlineData("{\"type\":\"system\",\"subtype\":\"compaction\",\"session_id\":\"T-1\"}")]
    [InlineData("{\"no_type\":true}")]
    [InlineData("{\"type\":42}")]
    [InlineData("{\"type\":\"assistant\"}")]
    [InlineData("{\"type\":\"assistant\",\"message\":\"not an object\"}")]
    [InlineData("{\"type\":\"user\",\"message\":{\"content\":[{\"type\":\"text\",\"text\":\"echo\"}]}}")]
    [InlineData("")]
    [InlineData("   ")]
    public void Unknown_types_and_shapes_are_ignored(string line)
    {
        Assert.Empty(StreamJsonParser.ParseLine(line));
    }

    [Fact]
    public void Unknown_fields_and_blocks_inside_known_lines_are_ignored()
    {
        var events = StreamJsonParser.ParseLine(
            "{\"type\":\"assistant\",\"future\":{\"a\":1},\"message\":{\"content\":[{\"type\":\"thinking\",\"thinking\":\"hm\"},{\"type\":\"text\",\"text\":\"hi\",\"citations\":[]},{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"Grep\",\"input\":{\"q\":1},\"extra\":true}],\"usage\":{\"input_tokens\":1,\"output_tokens\":2,\"cache_creation_input_tokens\":3,\"cache_read_input_tokens\":4,\"reasoning_tokens\":99}}}");

        Assert.Equal([typeof(AgentTextEvent), typeof(AgentToolUseEvent), typeof(AgentUsageEvent)], events.Select(e => e.GetType()));
        Assert.Equal(new TokenUsage(1, 2, 3, 4), ((AgentUsageEvent)events[2]).Usage);
        Assert.Equal("Grep", ((AgentToolUseEvent)events[1]).Name);
    }

    [Theory]
    [InlineData("this is not json {", "not JSON")]
    [InlineData("{\"type\":\"assistant\",", "not JSON")]
    [InlineData("[1,2,3]", "not a JSON object")]
    [InlineData("\"just a string\"", "not a JSON object")]
    [InlineData("No API key found. Starting login flow...", "not JSON")]
    public void A_line_that_is_not_a_JSON_object_becomes_a_warning_not_an_exception(string line, string reason)
    {
        var warning = Assert.IsType<AgentProtocolWarningEvent>(Assert.Single(StreamJsonParser.ParseLine(line)));

        Assert.Equal(line, warning.Line);
        Assert.StartsWith(reason, warning.Reason);
    }

    [Fact]
    public void Tool_result_content_that_is_not_a_string_is_kept_as_JSON_text()
    {
        var result = Assert.IsType<AgentToolResultEvent>(Assert.Single(StreamJsonParser.ParseLine(
            "{\"type\":\"user\",\"message\":{\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"t9\",\"content\":[{\"type\":\"text\",\"text\":\"x\"}],\"is_error\":true}]}}")));

        Assert.Equal("t9", result.ToolUseId);
        Assert.True(result.IsError);
        Assert.Equal("[{\"type\":\"text\",\"text\":\"x\"}]", result.Content);
    }

    [Fact]
    public void A_result_with_wrong_value_types_still_parses_defensively()
    {
        var result = Assert.IsType<AgentResultEvent>(Assert.Single(StreamJsonParser.ParseLine(
            "{\"type\":\"result\",\"subtype\":\"error_max_turns\",\"is_error\":\"yes\",\"duration_ms\":\"slow\",\"num_turns\":1.5,\"session_id\":7}")));

        Assert.False(result.IsError);
        Assert.Equal("error_max_turns", result.Subtype);
        Assert.Null(result.DurationMs);
        Assert.Null(result.NumTurns);
        Assert.Null(result.ThreadId);
    }

    [Theory]
    [InlineData("The following tools require user approval, which is not supported in stream JSON mode: Bash", new[] { "Bash" })]
    [InlineData("The following tools require user approval, which is not supported in stream JSON mode: Bash, edit_file", new[] { "Bash", "edit_file" })]
    [InlineData("no tools named", new string[0])]
    public void Blocked_tools_are_read_from_the_approval_error(string error, string[] tools)
    {
        Assert.Equal(tools, StreamJsonAgent.BlockedTools(error));
    }
}
