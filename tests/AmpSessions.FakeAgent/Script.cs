using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace AmpSessions.FakeAgent;

/// <summary>A bad scenario file (exit 3).</summary>
internal sealed class ScriptException(string message) : Exception(message);

/// <summary>FAKE_AMP_SCENARIO=script:&lt;path&gt;: a JSON list of steps (see README.md).</summary>
internal sealed class Script
{
    private static readonly string[] PrimaryKeys =
    [
        "emit", "raw", "stderr", "sleepMs", "writeFile", "appendFile", "deleteFile",
        "toolUse", "text", "success", "error", "exit", "hang", "failFirst",
    ];

    private static readonly HashSet<string> ExtraKeys = ["usage", "result", "isError", "id", "stopReason"];

    private static readonly Regex Placeholder = new(@"\$(THREAD|CWD|PROMPT)\b", RegexOptions.CultureInvariant);

    private readonly List<JsonObject> _steps;

    private Script(bool noInit, List<JsonObject> steps)
    {
        NoInit = noInit;
        _steps = steps;
    }

    public bool NoInit { get; }

    /// <summary>True when a step needs FAKE_AMP_STATE_DIR (failFirst).</summary>
    public bool NeedsState => _steps.Any(s => Kind(s) == "failFirst");

    /// <summary>Loads and validates a scenario file; placeholders are substituted in every string value.</summary>
    public static Script Load(string path, string threadId, string cwd, string prompt)
    {
        JsonNode? root;
        try
        {
            var full = ToolEffects.Resolve(path, cwd);
            root = JsonNode.Parse(File.ReadAllText(full), documentOptions: new JsonDocumentOptions
            {
                AllowTrailingCommas = true,
                CommentHandling = JsonCommentHandling.Skip,
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or ArgumentException)
        {
            throw new ScriptException($"cannot read {path}: {e.Message}");
        }

        if (root is not JsonObject obj || obj["steps"] is not JsonArray stepsArray)
        {
            throw new ScriptException($"{path}: expected {{\"steps\": [...]}}");
        }

        foreach (var key in obj.Select(p => p.Key))
        {
            if (key is not ("steps" or "noInit" or "description"))
            {
                throw new ScriptException($"{path}: unknown top-level key '{key}'");
            }
        }

        var noInit = obj["noInit"] is JsonValue n && n.GetValueKind() == JsonValueKind.True;
        Substitute(stepsArray, new Dictionary<string, string>
        {
            ["THREAD"] = threadId,
            ["CWD"] = cwd,
            ["PROMPT"] = prompt,
        });

        var steps = new List<JsonObject>();
        for (var i = 0; i < stepsArray.Count; i++)
        {
            if (stepsArray[i] is not JsonObject step)
            {
                throw new ScriptException($"step {i + 1}: expected an object");
            }

            Validate(step, i + 1);
            steps.Add(step);
        }

        return new Script(noInit, steps);
    }

    public int Run(RunContext run, StateStore? state)
    {
        var emitter = run.Emitter;
        if (!NoInit)
        {
            emitter.Emit(Transcript.InitLine(run));
            emitter.Emit(Transcript.UserPromptLine(run));
        }

        foreach (var step in _steps)
        {
            var kind = Kind(step);
            var value = step[kind];
            switch (kind)
            {
                case "emit":
                    emitter.Emit(value!.DeepClone().AsObject());
                    break;
                case "raw":
                    emitter.EmitRaw(value!.GetValue<string>());
                    break;
                case "stderr":
                    var text = value!.GetValue<string>();
                    emitter.WriteStderr(text.EndsWith('\n') ? text : text + "\n");
                    break;
                case "sleepMs":
                    Thread.Sleep(value!.GetValue<int>());
                    break;
                case "writeFile":
                case "appendFile":
                    ToolEffects.WriteFile(
                        ToolEffects.Resolve(Transcript.Str(value, "path")!, run.Cwd),
                        Transcript.Str(value, "content")!,
                        append: kind == "appendFile");
                    break;
                case "deleteFile":
                    Delete(ToolEffects.Resolve(value!.GetValue<string>(), run.Cwd));
                    break;
                case "toolUse":
                    if (!ToolUse(run, step))
                    {
                        // The tool needs approval, which execute mode cannot ask for: the turn ends.
                        emitter.Emit(emitter.ResultLine(true, $"The following tools require user approval, which is not supported in stream JSON mode: {Transcript.Str(step["toolUse"], "name")}"));
                        return 0;
                    }

                    break;
                case "text":
                    var blocks = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = value!.GetValue<string>() });
                    var stopReason = step.ContainsKey("stopReason") ? Transcript.Str(step, "stopReason") : "end_turn";
                    emitter.Emit(Transcript.AssistantLine(run, blocks, stopReason, step["usage"]?.DeepClone()));
                    break;
                case "success":
                    emitter.Emit(emitter.ResultLine(false, value!.GetValue<string>()));
                    break;
                case "error":
                    emitter.Emit(emitter.ResultLine(true, value!.GetValue<string>()));
                    break;
                case "exit":
                    return value!.GetValue<int>();
                case "hang":
                    Thread.Sleep(Timeout.Infinite);
                    break;
                case "failFirst":
                    if (state is null)
                    {
                        throw new ScriptException("failFirst needs FAKE_AMP_STATE_DIR");
                    }

                    var times = value!["times"] is JsonValue t ? t.GetValue<int>() : 1;
                    if (state.ShouldFail(Transcript.Str(value, "key")!, times))
                    {
                        emitter.Emit(emitter.ResultLine(true, Transcript.Str(value, "error") ?? "failFirst: simulated failure"));
                        return 0;
                    }

                    break;
            }
        }

        return 0;
    }

    /// <summary>Emits the tool call, lets the permission rules decide, performs it; false when it needs approval (the turn must end).</summary>
    private static bool ToolUse(RunContext run, JsonObject step)
    {
        var tool = step["toolUse"]!.AsObject();
        var name = Transcript.Str(tool, "name")!;
        var input = tool["input"]?.DeepClone() ?? new JsonObject();
        var id = Transcript.Str(step, "id") ?? Transcript.NewToolUseId();

        var blocks = new JsonArray();
        if (Transcript.Str(step, "text") is { } text)
        {
            blocks.Add((JsonNode)new JsonObject { ["type"] = "text", ["text"] = text });
        }

        blocks.Add((JsonNode)new JsonObject
        {
            ["type"] = "tool_use",
            ["id"] = id,
            ["name"] = name,
            ["input"] = input,
        });
        var stopReason = step.ContainsKey("stopReason") ? Transcript.Str(step, "stopReason") : "tool_use";
        run.Emitter.Emit(Transcript.AssistantLine(run, blocks, stopReason, step["usage"]?.DeepClone()));

        var decision = run.Permissions?.Decide(run, name, input, id) ?? new GateDecision(GateAction.Allow);
        switch (decision.Action)
        {
            case GateAction.Ask:
                return false;
            case GateAction.Reject:
                run.Emitter.Emit(Transcript.ToolResultLine(run, id, decision.Reason ?? "rejected", isError: true));
                return true;
        }

        // Shell tools really run (sh -c in the cwd); their output is the result unless the step gives one.
        var shell = ToolEffects.RunShell(name, input, run.Cwd);
        var effectError = shell is null ? ToolEffects.Perform(name, input, run.Cwd) : null;
        if (!step.ContainsKey("result") && effectError is null && shell is null)
        {
            return true;
        }

        var content = step["result"] switch
        {
            null => shell?.Output ?? "",
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            var other => JsJson.Stringify(other),
        };
        var isError = step["isError"] is JsonValue e ? e.GetValueKind() == JsonValueKind.True : shell is { ExitCode: not 0 };
        if (effectError is not null)
        {
            content = effectError;
            isError = true;
        }

        run.Emitter.Emit(Transcript.ToolResultLine(run, id, content, isError));
        return true;
    }

    private static void Delete(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
        else if (File.Exists(path))
        {
            File.Delete(path);
        }
    }

    private static string Kind(JsonObject step) => PrimaryKeys.First(step.ContainsKey);

    private static void Validate(JsonObject step, int number)
    {
        var primaries = PrimaryKeys.Where(step.ContainsKey).ToList();
        if (primaries.Count == 0)
        {
            throw new ScriptException($"step {number}: unknown step (keys: {string.Join(", ", step.Select(p => p.Key))})");
        }

        var kind = primaries[0];
        var allowedPrimaries = kind == "toolUse" ? new[] { "toolUse", "text" } : [kind];
        foreach (var key in step.Select(p => p.Key))
        {
            if (!allowedPrimaries.Contains(key) && !ExtraKeys.Contains(key))
            {
                throw new ScriptException($"step {number}: '{key}' cannot be combined with '{kind}'");
            }
        }

        var value = step[kind];
        string? problem = kind switch
        {
            "emit" => value is JsonObject ? null : "emit needs a JSON object",
            "raw" or "stderr" or "deleteFile" or "success" or "error" or "text" => IsString(value) ? null : $"{kind} needs a string",
            "sleepMs" or "exit" => IsInt(value) ? null : $"{kind} needs an integer",
            "writeFile" or "appendFile" => IsString(value?["path"]) && IsString(value?["content"]) ? null : $"{kind} needs {{\"path\", \"content\"}} strings",
            "toolUse" => value is JsonObject && IsString(value["name"]) ? null : "toolUse needs {\"name\": string, \"input\": {...}}",
            "hang" => value is JsonValue h && h.GetValueKind() == JsonValueKind.True ? null : "hang needs true",
            "failFirst" => value is JsonObject && IsString(value["key"]) && (value["times"] is null || IsInt(value["times"]))
                && (value["error"] is null || IsString(value["error"]))
                ? null
                : "failFirst needs {\"key\": string, \"times\"?: integer, \"error\"?: string}",
            _ => null,
        };
        if (problem is null && step["usage"] is { } usage && usage is not JsonObject)
        {
            problem = "usage must be an object";
        }

        if (problem is null && step["isError"] is { } isError
            && isError.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
        {
            problem = "isError must be true or false";
        }

        if (problem is not null)
        {
            throw new ScriptException($"step {number}: {problem}");
        }
    }

    private static bool IsString(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.String;

    private static bool IsInt(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out _);

    private static void Substitute(JsonNode node, Dictionary<string, string> values)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var key in obj.Select(p => p.Key).ToList())
                {
                    if (obj[key] is { } child && Replace(child, values) is { } s)
                    {
                        obj[key] = s;
                    }
                }

                break;
            case JsonArray arr:
                for (var i = 0; i < arr.Count; i++)
                {
                    if (arr[i] is { } child && Replace(child, values) is { } s)
                    {
                        arr[i] = s;
                    }
                }

                break;
        }
    }

    private static string? Replace(JsonNode child, Dictionary<string, string> values)
    {
        if (child is JsonValue v && v.GetValueKind() == JsonValueKind.String)
        {
            var s = v.GetValue<string>();
            return Placeholder.IsMatch(s) ? Placeholder.Replace(s, m => values[m.Groups[1].Value]) : null;
        }

        Substitute(child, values);
        return null;
    }
}
