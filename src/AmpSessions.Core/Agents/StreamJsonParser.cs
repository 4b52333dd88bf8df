using System.Text.Json;

namespace AmpSessions.Core.Agents;

/// <summary>
/// Reads Amp's (and Claude Code's) stream-json lines into events. Defensive by design: unknown
/// message types and fields are ignored, a line that is not a JSON object becomes a protocol
/// warning, never an exception.
/// </summary>
public static class StreamJsonParser
{
    public static IReadOnlyList<AgentEvent> ParseLine(string line)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            return [];
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException ex)
        {
            return [new AgentProtocolWarningEvent(line, "not JSON: " + ex.Message)];
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return [new AgentProtocolWarningEvent(line, "not a JSON object")];
            }
            return String(root, "type") switch
            {
                "system" when String(root, "subtype") == "init" => [ParseInit(root)],
                "assistant" => ParseAssistant(root),
                "user" => ParseUser(root),
                "result" => [ParseResult(root)],
                _ => [],
            };
        }
    }

    private static AgentInitEvent ParseInit(JsonElement root) => new(
        String(root, "session_id"),
        String(root, "cwd"),
        Array(root, "tools").Where(t => t.ValueKind == JsonValueKind.String).Select(t => t.GetString()!).ToArray(),
        Array(root, "mcp_servers").Select(s => s.ValueKind == JsonValueKind.Object ? String(s, "name") : s.ValueKind == JsonValueKind.String ? s.GetString() : null)
            .OfType<string>().ToArray(),
        String(root, "agent_mode"));

    private static List<AgentEvent> ParseAssistant(JsonElement root)
    {
        var events = new List<AgentEvent>();
        if (!root.TryGetProperty("message", out var message) || message.ValueKind != JsonValueKind.Object)
        {
            return events;
        }
        foreach (var block in Array(message, "content"))
        {
            switch (String(block, "type"))
            {
                case "text" when String(block, "text") is { } text:
                    events.Add(new AgentTextEvent(text));
                    break;
                case "tool_use":
                    events.Add(new AgentToolUseEvent(String(block, "id") ?? "", String(block, "name") ?? "(unnamed)",
                        block.TryGetProperty("input", out var input) ? input.GetRawText() : "{}"));
                    break;
            }
        }
        if (message.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
        {
            events.Add(new AgentUsageEvent(ParseUsage(usage)));
        }
        return events;
    }

    private static List<AgentEvent> ParseUser(JsonElement root)
    {
        var events = new List<AgentEvent>();
        if (!root.TryGetProperty("message", out var message) || message.ValueKind != JsonValueKind.Object)
        {
            return events;
        }
        foreach (var block in Array(message, "content"))
        {
            if (String(block, "type") == "tool_result")
            {
                var content = block.TryGetProperty("content", out var c)
                    ? c.ValueKind == JsonValueKind.String ? c.GetString()! : c.GetRawText()
                    : "";
                var isError = block.TryGetProperty("is_error", out var e) && e.ValueKind == JsonValueKind.True;
                events.Add(new AgentToolResultEvent(String(block, "tool_use_id") ?? "", content, isError));
            }
        }
        return events;
    }

    private static AgentResultEvent ParseResult(JsonElement root) => new(
        root.TryGetProperty("is_error", out var e) && e.ValueKind == JsonValueKind.True,
        String(root, "subtype"),
        String(root, "result"),
        String(root, "error"),
        Number(root, "duration_ms"),
        (int?)Number(root, "num_turns"),
        String(root, "session_id"));

    public static TokenUsage ParseUsage(JsonElement usage) => new(
        Number(usage, "input_tokens") ?? 0,
        Number(usage, "output_tokens") ?? 0,
        Number(usage, "cache_creation_input_tokens") ?? 0,
        Number(usage, "cache_read_input_tokens") ?? 0);

    private static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static long? Number(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) ? n : null;

    private static IEnumerable<JsonElement> Array(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray().ToArray()
            : [];
}
