using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AmpSessions.FakeAgent;

/// <summary>fake-amp: a test double for the amp CLI's execute mode. See README.md.</summary>
internal static class Program
{
    private static readonly string[] FixtureScenarios = ["success-edit", "approval-blocked", "cancelled", "agent-error", "older-build"];
    private static readonly string[] OtherScenarios = ["login-flow", "unreachable", "hang", "malformed", "no-result"];

    // Kept alive for the whole run: a collected registration would unregister its handler.
    private static readonly List<PosixSignalRegistration> SignalRegistrations = [];

    private static int Main(string[] args)
    {
        var clock = Stopwatch.StartNew();
        var startedAt = DateTimeOffset.UtcNow;
        // An agent that does not honour an interrupt (only SIGKILL ends it): registered before anything is recorded, so a
        // test that waits for the record knows the interrupt will be ignored.
        var ignoreSignals = Env("FAKE_AMP_IGNORE_SIGNALS") == "1";
        if (ignoreSignals)
        {
            foreach (var signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT })
            {
                SignalRegistrations.Add(PosixSignalRegistration.Create(signal, context => context.Cancel = true));
            }
        }
        var stdout = Console.OpenStandardOutput();
        var stderr = Console.OpenStandardError();

        var options = Options.Parse(args, out var parseError);
        if (options is null)
        {
            Recorder.Record(args, null, startedAt);
            Emitter.Write(stderr, parseError + "\n");
            return 1;
        }

        if (options.Version)
        {
            Recorder.Record(args, null, startedAt);
            Emitter.Write(stdout, "0.0.0-fake\n");
            return 0;
        }

        var scenario = Env("FAKE_AMP_SCENARIO") ?? "success-edit";
        if (Env("FAKE_AMP_REQUIRE_KEY") == "1" && Env("AMP_API_KEY") is null)
        {
            scenario = "login-flow";
        }

        var isScript = scenario.StartsWith("script:", StringComparison.Ordinal);
        if (!isScript && !FixtureScenarios.Contains(scenario) && !OtherScenarios.Contains(scenario))
        {
            Recorder.Record(args, null, startedAt);
            Emitter.Write(stderr, $"fake-amp: unknown scenario '{scenario}'\n");
            return 3;
        }

        var stdin = ReadStdin(IntEnv("FAKE_AMP_STDIN_TIMEOUT_MS", 30000), out var timedOut);
        Recorder.Record(args, stdin, startedAt);

        if (scenario == "login-flow")
        {
            // amp blocks waiting for a browser login, whatever stdin did. No signal handling: it just dies.
            Emitter.Write(stderr, Transcript.ReadResource("login-flow.stderr.txt"));
            Thread.Sleep(Timeout.Infinite);
        }

        if (timedOut)
        {
            Emitter.Write(stderr, "Error: timed out waiting for stdin\n");
            return 1;
        }

        if (scenario == "unreachable")
        {
            Emitter.Write(stderr, Transcript.ReadResource("unreachable-server.stderr.txt"));
            return 1;
        }

        var prompt = ComposePrompt(options.CommandLinePrompt, stdin);
        var cwd = Directory.GetCurrentDirectory();
        var stateDir = Env("FAKE_AMP_STATE_DIR");
        var state = stateDir is null ? null : new StateStore(Path.GetFullPath(stateDir));

        string threadId;
        var continuing = options.ThreadToContinue;
        if (continuing is not null)
        {
            switch (state?.Lookup(continuing))
            {
                case StateStore.ThreadState.NotFound:
                    Emitter.Write(stderr, $"Error: Thread {continuing} not found\n");
                    return 1;
                case StateStore.ThreadState.Archived:
                    Emitter.Write(stderr, $"Error: Thread {continuing} is archived and cannot be continued\n");
                    return 1;
            }

            threadId = continuing;
        }
        else
        {
            var uuid = Guid.NewGuid().ToString("D");
            threadId = options.ClaudeMode ? uuid : "T-" + uuid;
        }

        Script? script = null;
        try
        {
            if (isScript)
            {
                script = Script.Load(scenario["script:".Length..], threadId, cwd, prompt);
                if (script.NeedsState && state is null)
                {
                    throw new ScriptException("failFirst needs FAKE_AMP_STATE_DIR");
                }
            }

            if (continuing is null)
            {
                // amp archives new execute-mode threads when the command ends, unless told not to.
                state?.RecordNewThread(threadId, archived: !options.ClaudeMode && !options.NoArchiveAfterExecute, cwd, options);
            }

            var emitter = new Emitter(
                stdout,
                stderr,
                clock,
                options.OutputMode,
                threadId,
                IntEnv("FAKE_AMP_DELAY_MS", 0),
                IntEnv("FAKE_AMP_DURATION_MS", 0));
            var run = new RunContext(options, cwd, threadId, prompt, emitter) { McpServers = McpServers(options.McpConfig, cwd), Permissions = Permissions.Load(options, cwd) };

            foreach (var signal in ignoreSignals ? [] : new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT })
            {
                SignalRegistrations.Add(PosixSignalRegistration.Create(signal, context =>
                {
                    context.Cancel = true;
                    emitter.Cancel();
                }));
            }

            var exitCode = RunScenario(run, scenario, script, state);
            emitter.Finish();
            return exitCode;
        }
        catch (ScriptException e)
        {
            Emitter.Write(stderr, $"fake-amp: script error: {e.Message}\n");
            return 3;
        }
        catch (IOException e)
        {
            // Typically stdout closed by the reader (EPIPE).
            try
            {
                Emitter.Write(stderr, $"fake-amp: {e.Message}\n");
            }
            catch (IOException)
            {
            }

            return 1;
        }
    }

    private static int RunScenario(RunContext run, string scenario, Script? script, StateStore? state)
    {
        var emitter = run.Emitter;
        switch (scenario)
        {
            case "hang":
                emitter.Emit(Transcript.InitLine(run));
                emitter.Emit(Transcript.UserPromptLine(run));
                Thread.Sleep(Timeout.Infinite);
                return 0;
            case "malformed":
                Transcript.Replay(run, "success-edit.jsonl", malformed: true);
                return 0;
            case "no-result":
                emitter.Emit(Transcript.InitLine(run));
                emitter.Emit(Transcript.UserPromptLine(run));
                var usage = Transcript.ReadFixture("success-edit.jsonl")[2]["message"]?["usage"]?.DeepClone();
                var blocks = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = "Let me look at the file first." });
                emitter.Emit(Transcript.AssistantLine(run, blocks, null, usage));
                emitter.PadToDuration();
                emitter.WriteStderr("fatal: something broke\n");
                return 2;
            default:
                if (script is not null)
                {
                    return script.Run(run, state);
                }

                Transcript.Replay(run, scenario + ".jsonl", malformed: false);
                return 0;
        }
    }

    /// <summary>Reads stdin to EOF (UTF-8, leading BOM dropped); null when stdin is a terminal or on timeout.</summary>
    private static string? ReadStdin(int timeoutMs, out bool timedOut)
    {
        timedOut = false;
        if (!Console.IsInputRedirected)
        {
            return null;
        }

        var read = Task.Run(() =>
        {
            using var input = Console.OpenStandardInput();
            using var buffer = new MemoryStream();
            input.CopyTo(buffer);
            return buffer.ToArray();
        });
        try
        {
            if (!read.Wait(timeoutMs))
            {
                timedOut = true;
                return null;
            }
        }
        catch (AggregateException)
        {
            return "";
        }

        var bytes = read.Result;
        var skip = bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0;
        return new UTF8Encoding(false).GetString(bytes, skip, bytes.Length - skip);
    }

    /// <summary>The -x value (or claude positional prompt), then stdin after a blank line when both are given.</summary>
    private static string ComposePrompt(string? commandLine, string? stdin)
    {
        if (commandLine is null)
        {
            return stdin ?? "";
        }

        return string.IsNullOrEmpty(stdin) ? commandLine : commandLine + "\n\n" + stdin;
    }

    /// <summary>The servers named by --mcp-config (inline JSON or a file), as init's mcp_servers; null when absent or unreadable.</summary>
    private static JsonArray? McpServers(string? config, string cwd)
    {
        if (config is null)
        {
            return null;
        }

        try
        {
            var text = config.TrimStart().StartsWith('{') ? config : File.ReadAllText(ToolEffects.Resolve(config, cwd));
            if (JsonNode.Parse(text) is not JsonObject servers)
            {
                return null;
            }

            var list = new JsonArray();
            foreach (var (name, server) in servers)
            {
                var disabled = server is JsonObject s && s["disabled"] is JsonValue d && d.GetValueKind() == JsonValueKind.True;
                if (!disabled)
                {
                    list.Add((JsonNode)new JsonObject { ["name"] = name, ["status"] = "connected" });
                }
            }

            return list;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or ArgumentException)
        {
            return null;
        }
    }

    private static string? Env(string name)
    {
        var value = Environment.GetEnvironmentVariable(name);
        return string.IsNullOrEmpty(value) ? null : value;
    }

    private static int IntEnv(string name, int fallback) =>
        int.TryParse(Env(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= 0 ? value : fallback;
}
