using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace AmpSessions.FakeAgent;

/// <summary>Everything a scenario needs about this run.</summary>
internal sealed record RunContext(Options Options, string Cwd, string ThreadId, string Prompt, Emitter Emitter)
{
    /// <summary>The init line's mcp_servers from --mcp-config (null: keep the transcript's).</summary>
    public JsonArray? McpServers { get; init; }

    /// <summary>The permission rules every tool call goes through (none: everything allowed).</summary>
    public Permissions? Permissions { get; init; }
}

/// <summary>The embedded transcripts and the lines the fake builds in the same shapes.</summary>
internal static class Transcript
{
    public const string FixtureSessionId = "T-019a6c2e-5b7d-7c11-9e42-3f0a8d1b2c34";

    public static string ReadResource(string fileName)
    {
        var asm = Assembly.GetExecutingAssembly();
        using var stream = asm.GetManifestResourceStream("stream-json/" + fileName)
            ?? throw new InvalidOperationException($"embedded fixture missing: {fileName}");
        using var reader = new StreamReader(stream, new UTF8Encoding(false));
        return reader.ReadToEnd();
    }

    public static List<JsonObject> ReadFixture(string fileName)
    {
        var text = ReadResource(fileName);
        var lines = new List<JsonObject>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length > 0)
            {
                lines.Add(JsonNode.Parse(line)!.AsObject());
            }
        }

        return lines;
    }

    /// <summary>
    /// Replays a fixture transcript: rewrites cwd paths, session ids, the echoed prompt and the
    /// agent mode, and performs edit_file/create_file for real.
    /// </summary>
    public static void Replay(RunContext run, string fileName, bool malformed)
    {
        var lines = ReadFixture(fileName);
        var fixtureCwd = lines[0]["cwd"]?.GetValue<string>() ?? "/work/demo";
        var pathPattern = new Regex(Regex.Escape(fixtureCwd) + @"(?![A-Za-z0-9_.\-])", RegexOptions.CultureInvariant);
        var promptEchoed = false;
        var toolErrors = new Dictionary<string, string>(StringComparer.Ordinal);

        for (var index = 0; index < lines.Count; index++)
        {
            var line = lines[index];
            RewriteStrings(line, run, pathPattern);
            var type = Str(line, "type");

            if (type == "system" && Str(line, "subtype") == "init")
            {
                ApplyInitOptions(line, run);
            }

            if (type == "user" && line["message"]?["content"] is JsonArray content)
            {
                foreach (var block in content.OfType<JsonObject>())
                {
                    if (!promptEchoed && Str(block, "type") == "text")
                    {
                        block["text"] = run.Prompt;
                        promptEchoed = true;
                    }
                    else if (Str(block, "type") == "tool_result" && Str(block, "tool_use_id") is { } id
                        && toolErrors.TryGetValue(id, out var error))
                    {
                        block["content"] = error;
                        block["is_error"] = true;
                    }
                }
            }

            run.Emitter.Emit(line);

            if (type == "assistant" && line["message"]?["content"] is JsonArray blocks)
            {
                foreach (var block in blocks.OfType<JsonObject>().Where(b => Str(b, "type") == "tool_use"))
                {
                    var error = ToolEffects.Perform(Str(block, "name"), block["input"], run.Cwd);
                    if (error is not null && Str(block, "id") is { } id)
                    {
                        toolErrors[id] = error;
                    }
                }
            }

            if (malformed && index == 0)
            {
                run.Emitter.EmitRaw("this is not json {");
                run.Emitter.EmitRaw("");
                run.Emitter.EmitRaw("{\"type\":\"telemetry\",\"x\":1}");
            }
        }
    }

    /// <summary>The init line, shaped like the fixtures' (tools from success-edit.jsonl).</summary>
    public static JsonObject InitLine(RunContext run)
    {
        var init = new JsonObject
        {
            ["type"] = "system",
            ["subtype"] = "init",
            ["cwd"] = run.Cwd,
            ["session_id"] = run.ThreadId,
            ["tools"] = ReadFixture("success-edit.jsonl")[0]["tools"]!.DeepClone(),
            ["mcp_servers"] = new JsonArray(),
            ["agent_mode"] = "medium",
        };
        ApplyInitOptions(init, run);
        return init;
    }

    /// <summary>The echoed prompt line.</summary>
    public static JsonObject UserPromptLine(RunContext run) => new()
    {
        ["type"] = "user",
        ["message"] = new JsonObject
        {
            ["role"] = "user",
            ["content"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = run.Prompt }),
        },
        ["parent_tool_use_id"] = null,
        ["session_id"] = run.ThreadId,
    };

    /// <summary>An assistant line with the given content blocks.</summary>
    public static JsonObject AssistantLine(RunContext run, JsonArray content, string? stopReason, JsonNode? usage)
    {
        var message = new JsonObject
        {
            ["type"] = "message",
            ["role"] = "assistant",
            ["content"] = content,
            ["stop_reason"] = stopReason,
        };
        if (usage is not null)
        {
            message["usage"] = usage;
        }

        return new JsonObject
        {
            ["type"] = "assistant",
            ["message"] = message,
            ["parent_tool_use_id"] = null,
            ["session_id"] = run.ThreadId,
        };
    }

    /// <summary>A user line carrying one tool_result.</summary>
    public static JsonObject ToolResultLine(RunContext run, string toolUseId, string content, bool isError) => new()
    {
        ["type"] = "user",
        ["message"] = new JsonObject
        {
            ["role"] = "user",
            ["content"] = new JsonArray(new JsonObject
            {
                ["type"] = "tool_result",
                ["tool_use_id"] = toolUseId,
                ["content"] = content,
                ["is_error"] = isError,
            }),
        },
        ["parent_tool_use_id"] = null,
        ["session_id"] = run.ThreadId,
    };

    /// <summary>A fresh tool_use id shaped like Anthropic's (toolu_01 + 22 base62 characters).</summary>
    public static string NewToolUseId()
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        var chars = new char[22];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = alphabet[Random.Shared.Next(alphabet.Length)];
        }

        return "toolu_01" + new string(chars);
    }

    private static void ApplyInitOptions(JsonObject init, RunContext run)
    {
        init["cwd"] = run.Cwd;
        if (run.Options.Mode is { } mode && init.ContainsKey("agent_mode"))
        {
            init["agent_mode"] = mode;
        }

        if (run.McpServers is { } servers && init.ContainsKey("mcp_servers"))
        {
            init["mcp_servers"] = servers.DeepClone();
        }
    }

    /// <summary>
    /// Rewrites every string value: the fixture cwd prefix becomes the real cwd (JSON-escaped inside
    /// strings that are themselves JSON), and every "session_id" becomes the thread id.
    /// </summary>
    private static void RewriteStrings(JsonNode node, RunContext run, Regex pathPattern)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var key in obj.Select(p => p.Key).ToList())
                {
                    if (key == "session_id")
                    {
                        obj[key] = run.ThreadId;
                    }
                    else if (obj[key] is { } child)
                    {
                        var replaced = RewriteValue(child, run, pathPattern);
                        if (replaced is not null)
                        {
                            obj[key] = replaced;
                        }
                    }
                }

                break;
            case JsonArray arr:
                for (var i = 0; i < arr.Count; i++)
                {
                    if (arr[i] is { } child && RewriteValue(child, run, pathPattern) is { } replaced)
                    {
                        arr[i] = replaced;
                    }
                }

                break;
        }
    }

    private static string? RewriteValue(JsonNode child, RunContext run, Regex pathPattern)
    {
        if (child is JsonValue v && v.GetValueKind() == JsonValueKind.String)
        {
            var s = v.GetValue<string>();
            if (!pathPattern.IsMatch(s))
            {
                return null;
            }

            var replacement = LooksLikeJson(s) ? JsJson.Escape(run.Cwd) : run.Cwd;
            return pathPattern.Replace(s, _ => replacement);
        }

        RewriteStrings(child, run, pathPattern);
        return null;
    }

    private static bool LooksLikeJson(string s)
    {
        var t = s.TrimStart();
        if (t.Length == 0 || (t[0] != '{' && t[0] != '['))
        {
            return false;
        }

        try
        {
            using var _ = JsonDocument.Parse(s);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    public static string? Str(JsonNode? node, string key) =>
        node is JsonObject o && o[key] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
}
