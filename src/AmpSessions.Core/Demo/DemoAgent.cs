using System.Text.Json.Nodes;

namespace AmpSessions.Core.Demo;

/// <summary>
/// The bundled demo agent: a small program that speaks Amp's execute-mode stream-json exactly as
/// Amp does (init, prompt echo, assistant messages with usage, tool uses and results, a result line)
/// and really edits the sample repository (renames hello to greet in src/greet.ts). It lets the demo
/// run the whole product, through the same process and stream path as Amp, with no key or network.
/// </summary>
public static partial class DemoAgent
{
    /// <summary>The one kind of instruction the demo agent understands in a problem statement: In `file`, `old` should be `new`.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"In `(?<file>[^`]+)`, `(?<old>[^`]+)` should be `(?<new>[^`]+)`")]
    private static partial System.Text.RegularExpressions.Regex Instruction();

    public const string TargetFile = "src/greet.ts";
    public const string OldName = "export function hello(";
    public const string NewName = "export function greet(";

    // Amp writes characters such as backticks as they are, not as \u escapes.
    private static readonly System.Text.Json.JsonSerializerOptions JsonOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Runs one turn: reads the prompt from stdin, writes the stream to stdout, returns the exit code.</summary>
    public static int Run(IReadOnlyList<string> arguments, TextReader input, TextWriter output, TextWriter error, string workingDirectory)
    {
        if (!arguments.Contains("--stream-json") || !(arguments.Contains("-x") || arguments.Contains("--execute")))
        {
            error.WriteLine("Error: the demo agent runs only as `-x --stream-json` with the prompt on stdin");
            return 1;
        }
        var continued = arguments.Count > 2 && arguments[0] == "threads" && arguments[1] == "continue" ? arguments[2] : null;
        var thread = continued ?? $"T-{Guid.NewGuid()}";
        var mode = ValueAfter(arguments, "--mode") ?? ValueAfter(arguments, "-m") ?? "medium";
        var prompt = input.ReadToEnd();
        var started = DateTime.UtcNow;
        var path = Path.Combine(workingDirectory, TargetFile.Replace('/', Path.DirectorySeparatorChar));
        var turns = 0;

        void Emit(JsonObject line)
        {
            line["session_id"] = thread;
            output.Write(line.ToJsonString(JsonOptions));
            output.Write('\n');
            output.Flush();
        }
        JsonObject Usage(int input, int cacheCreation, int cacheRead, int outputTokens) => new()
        {
            ["input_tokens"] = input, ["cache_creation_input_tokens"] = cacheCreation,
            ["cache_read_input_tokens"] = cacheRead, ["output_tokens"] = outputTokens, ["service_tier"] = "standard",
        };
        void Assistant(JsonArray content, string? stopReason, JsonObject usage)
        {
            turns++;
            Emit(new JsonObject
            {
                ["type"] = "assistant",
                ["message"] = new JsonObject { ["type"] = "message", ["role"] = "assistant", ["content"] = content, ["stop_reason"] = stopReason, ["usage"] = usage },
                ["parent_tool_use_id"] = null,
            });
        }
        void ToolResult(string id, string content, bool isError) => Emit(new JsonObject
        {
            ["type"] = "user",
            ["message"] = new JsonObject
            {
                ["role"] = "user",
                ["content"] = new JsonArray(new JsonObject { ["type"] = "tool_result", ["tool_use_id"] = id, ["content"] = content, ["is_error"] = isError }),
            },
            ["parent_tool_use_id"] = null,
        });

        Emit(new JsonObject
        {
            ["type"] = "system", ["subtype"] = "init", ["cwd"] = workingDirectory,
            ["tools"] = new JsonArray("Read", "edit_file", "create_file", "Grep"), ["mcp_servers"] = new JsonArray(), ["agent_mode"] = mode,
        });
        Emit(new JsonObject
        {
            ["type"] = "user",
            ["message"] = new JsonObject { ["role"] = "user", ["content"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = prompt }) },
            ["parent_tool_use_id"] = null,
        });
        if (!File.Exists(path) && !prompt.Contains(TargetFile, StringComparison.Ordinal))
        {
            // An evaluation case (the built-in benchmark): follow an explicit instruction, if the statement has one.
            var instruction = Instruction().Match(prompt);
            if (!instruction.Success)
            {
                Assistant(new JsonArray(new JsonObject { ["type"] = "text", ["text"] = "The problem statement does not say what to change, and I only follow explicit instructions." }),
                    "end_turn", Usage(10, 900, 0, 30));
                Emit(Result(started, turns, "Nothing changed: the problem statement has no `In `file`, `old` should be `new`` instruction.", isError: false));
                return 0;
            }
            var file = instruction.Groups["file"].Value;
            var target = Path.Combine(workingDirectory, file.Replace('/', Path.DirectorySeparatorChar));
            Assistant(new JsonArray(
                new JsonObject { ["type"] = "text", ["text"] = $"The report says what to change in {file}." },
                new JsonObject { ["type"] = "tool_use", ["id"] = "toolu_demo_read", ["name"] = "Read", ["input"] = new JsonObject { ["path"] = target } }),
                "tool_use", Usage(14, 1500, 0, 52));
            var text = File.Exists(target) ? File.ReadAllText(target) : null;
            ToolResult("toolu_demo_read", text ?? $"File not found: {target}", text is null);
            var oldText = instruction.Groups["old"].Value;
            string summary;
            if (text is not null && text.Contains(oldText, StringComparison.Ordinal))
            {
                var newText = instruction.Groups["new"].Value;
                Assistant(new JsonArray(new JsonObject
                {
                    ["type"] = "tool_use", ["id"] = "toolu_demo_edit", ["name"] = "edit_file",
                    ["input"] = new JsonObject { ["path"] = target, ["old_str"] = oldText, ["new_str"] = newText },
                }), "tool_use", Usage(9, 260, 1500, 88));
                File.WriteAllText(target, text.Replace(oldText, newText, StringComparison.Ordinal));
                ToolResult("toolu_demo_edit", "{\"ok\": true}", false);
                summary = $"Changed {file} as the report says.";
            }
            else
            {
                summary = $"{file} does not contain the text the report names; nothing changed.";
            }
            Assistant(new JsonArray(new JsonObject { ["type"] = "text", ["text"] = summary }), "end_turn", Usage(6, 120, 1760, 20));
            Emit(Result(started, turns, summary, isError: false));
            return 0;
        }
        Assistant(new JsonArray(
            new JsonObject { ["type"] = "text", ["text"] = $"Let me look at {TargetFile} first." },
            new JsonObject { ["type"] = "tool_use", ["id"] = "toolu_demo_read", ["name"] = "Read", ["input"] = new JsonObject { ["path"] = path } }),
            "tool_use", Usage(12, 1800, 0, 40));
        if (!File.Exists(path))
        {
            ToolResult("toolu_demo_read", $"File not found: {path}", true);
            Emit(Result(started, turns, $"I could not find {TargetFile} in this repository.", isError: true));
            return 0;
        }
        var content = File.ReadAllText(path);
        ToolResult("toolu_demo_read", content, false);
        string final;
        if (content.Contains(OldName, StringComparison.Ordinal))
        {
            Assistant(new JsonArray(new JsonObject
            {
                ["type"] = "tool_use", ["id"] = "toolu_demo_edit", ["name"] = "edit_file",
                ["input"] = new JsonObject { ["path"] = path, ["old_str"] = OldName, ["new_str"] = NewName },
            }), "tool_use", Usage(8, 220, 1800, 95));
            File.WriteAllText(path, content.Replace(OldName, NewName, StringComparison.Ordinal));
            ToolResult("toolu_demo_edit", $"{{\"diff\": \"-{OldName}\\n+{NewName}\"}}", false);
            final = $"Renamed `hello` to `greet` in {TargetFile}.";
        }
        else
        {
            final = $"{TargetFile} already uses `greet`; nothing to change.";
        }
        Assistant(new JsonArray(new JsonObject { ["type"] = "text", ["text"] = final }), "end_turn", Usage(6, 150, 2020, 24));
        Emit(Result(started, turns, final, isError: false));
        return 0;
    }

    private static JsonObject Result(DateTime started, int turns, string text, bool isError)
    {
        var line = new JsonObject
        {
            ["type"] = "result",
            ["subtype"] = isError ? "error_during_execution" : "success",
            ["duration_ms"] = (long)(DateTime.UtcNow - started).TotalMilliseconds,
            ["is_error"] = isError,
            ["num_turns"] = turns,
        };
        line[isError ? "error" : "result"] = text;
        return line;
    }

    private static string? ValueAfter(IReadOnlyList<string> arguments, string flag)
    {
        var index = arguments.ToList().IndexOf(flag);
        return index >= 0 && index + 1 < arguments.Count ? arguments[index + 1] : null;
    }
}
