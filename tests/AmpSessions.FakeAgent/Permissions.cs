using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace AmpSessions.FakeAgent;

/// <summary>What the permission rules say about one tool call.</summary>
internal enum GateAction
{
    Allow,
    Reject,
    Ask,
}

internal sealed record GateDecision(GateAction Action, string? Reason = null);

/// <summary>
/// Amp's permission rules as amp applies them before a tool runs: <c>amp.permissions</c> from the
/// settings file (<c>--settings-file</c>, else AMP_SETTINGS_FILE), first matching rule wins
/// (<c>tool</c> glob, optional <c>matches</c> of input keys to globs), actions allow, reject (with
/// its <c>message</c>), ask (execute mode cannot ask: the turn ends awaiting approval; with
/// --dangerously-allow-all it allows) and delegate: the program <c>to</c> runs with the tool input
/// as JSON on stdin and AGENT=amp, AMP_THREAD_ID, AGENT_TOOL_NAME, AGENT_TOOL_USE_ID set; exit 0
/// allows, 1 asks, 2 or more rejects with its stderr as the reason; after 10 s it is killed and the
/// call rejected. No matching rule allows.
/// </summary>
internal sealed class Permissions
{
    public static readonly TimeSpan DelegateLimit = TimeSpan.FromSeconds(10);

    private readonly List<JsonObject> rules;
    private readonly bool allowAll;

    private Permissions(List<JsonObject> rules, bool allowAll)
    {
        this.rules = rules;
        this.allowAll = allowAll;
    }

    public static Permissions Load(Options options, string cwd)
    {
        var path = options.SettingsFile ?? Environment.GetEnvironmentVariable("AMP_SETTINGS_FILE");
        var rules = new List<JsonObject>();
        if (!string.IsNullOrEmpty(path))
        {
            try
            {
                var settings = JsonNode.Parse(File.ReadAllText(ToolEffects.Resolve(path, cwd)), documentOptions: new JsonDocumentOptions
                {
                    AllowTrailingCommas = true,
                    CommentHandling = JsonCommentHandling.Skip,
                });
                if (settings?["amp.permissions"] is JsonArray list)
                {
                    rules.AddRange(list.OfType<JsonObject>());
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or ArgumentException)
            {
                // amp ignores a settings file it cannot read; so does the fake.
            }
        }
        return new Permissions(rules, options.DangerouslyAllowAll);
    }

    public GateDecision Decide(RunContext run, string tool, JsonNode? input, string toolUseId)
    {
        foreach (var rule in rules)
        {
            if (!Glob(Transcript.Str(rule, "tool") ?? "", tool) || !InputMatches(rule["matches"], input))
            {
                continue;
            }
            return Transcript.Str(rule, "action") switch
            {
                "allow" => new GateDecision(GateAction.Allow),
                "reject" => new GateDecision(GateAction.Reject, Transcript.Str(rule, "message") ?? $"{tool} is rejected by a permission rule"),
                "ask" => allowAll ? new GateDecision(GateAction.Allow) : new GateDecision(GateAction.Ask),
                "delegate" => Delegate(run, Transcript.Str(rule, "to") ?? "", tool, input, toolUseId),
                _ => new GateDecision(GateAction.Allow),
            };
        }
        return new GateDecision(GateAction.Allow);
    }

    private GateDecision Delegate(RunContext run, string program, string tool, JsonNode? input, string toolUseId)
    {
        var start = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = run.Cwd,
        };
        start.Environment["AGENT"] = "amp";
        start.Environment["AMP_THREAD_ID"] = run.ThreadId;
        start.Environment["AGENT_TOOL_NAME"] = tool;
        start.Environment["AGENT_TOOL_USE_ID"] = toolUseId;
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return new GateDecision(GateAction.Reject, $"ENOENT: no such file or directory, posix_spawn '{program}'");
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEndAsync();
            try
            {
                process.StandardInput.Write(JsJson.Stringify(input ?? new JsonObject()));
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The delegate did not read its input; its exit code still decides.
            }
            if (!process.WaitForExit(DelegateLimit))
            {
                process.Kill(entireProcessTree: true);
                return allowAll ? new GateDecision(GateAction.Allow) : new GateDecision(GateAction.Reject, $"the delegate {program} did not answer within {DelegateLimit.TotalSeconds:0} s");
            }
            _ = stdout.Result;
            return process.ExitCode switch
            {
                0 => new GateDecision(GateAction.Allow),
                1 => allowAll ? new GateDecision(GateAction.Allow) : new GateDecision(GateAction.Ask),
                _ => new GateDecision(GateAction.Reject, stderr.Result),
            };
        }
    }

    private static bool InputMatches(JsonNode? matches, JsonNode? input)
    {
        if (matches is not JsonObject conditions)
        {
            return true;
        }
        foreach (var (key, patterns) in conditions)
        {
            var value = input?[key] switch
            {
                null => null,
                JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
                var other => other.ToJsonString(),
            };
            if (value is null)
            {
                return false;
            }
            var list = patterns is JsonArray array ? array.Select(p => p?.GetValue<string>() ?? "") : [patterns?.GetValue<string>() ?? ""];
            if (!list.Any(pattern => Glob(pattern, value)))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>A glob where * (and **) match any run of characters and ? one.</summary>
    private static bool Glob(string pattern, string text) =>
        Regex.IsMatch(text, "^" + Regex.Escape(pattern).Replace(@"\*\*", "*").Replace(@"\*", ".*").Replace(@"\?", ".") + "$",
            RegexOptions.Singleline | RegexOptions.CultureInvariant);
}
