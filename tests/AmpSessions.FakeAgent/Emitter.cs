using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;

namespace AmpSessions.FakeAgent;

/// <summary>
/// Writes the stream: one line per object, flushed at once, UTF-8 without BOM, '\n' endings.
/// Applies FAKE_AMP_DELAY_MS (between lines) and FAKE_AMP_DURATION_MS (before the result line),
/// counts assistant lines (num_turns) and writes the cancellation result on SIGINT/SIGTERM.
/// </summary>
internal sealed class Emitter
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    private readonly object _gate = new();
    private readonly Stream _stdout;
    private readonly Stream _stderr;
    private readonly Stopwatch _clock;
    private readonly OutputMode _mode;
    private readonly int _delayMs;
    private readonly int _durationMs;
    private int _linesPlanned;
    private int _assistantTurns;
    private bool _stopped;

    public Emitter(Stream stdout, Stream stderr, Stopwatch clock, OutputMode mode, string threadId, int delayMs, int durationMs)
    {
        _stdout = stdout;
        _stderr = stderr;
        _clock = clock;
        _mode = mode;
        ThreadId = threadId;
        _delayMs = delayMs;
        _durationMs = durationMs;
    }

    public string ThreadId { get; }

    public long ElapsedMs => _clock.ElapsedMilliseconds;

    public int AssistantTurns
    {
        get
        {
            lock (_gate)
            {
                return _assistantTurns;
            }
        }
    }

    /// <summary>Writes one JSON object as a line.</summary>
    public void Emit(JsonObject obj)
    {
        var type = obj["type"] is JsonValue t && t.TryGetValue<string>(out var s) ? s : null;
        BeforeLine(isResult: type == "result");
        lock (_gate)
        {
            WaitIfStopped();
            if (type == "assistant")
            {
                _assistantTurns++;
            }

            switch (_mode)
            {
                case OutputMode.StreamJson:
                    WriteLine(_stdout, JsJson.Stringify(obj));
                    break;
                case OutputMode.Json when type == "result":
                    WriteLine(_stdout, JsJson.Stringify(obj));
                    break;
                case OutputMode.Text when type == "result":
                    WriteTextResult(obj);
                    break;
            }
        }
    }

    /// <summary>Writes a line as it is (stream-json mode only).</summary>
    public void EmitRaw(string line)
    {
        BeforeLine(isResult: false);
        lock (_gate)
        {
            WaitIfStopped();
            if (_mode == OutputMode.StreamJson)
            {
                WriteLine(_stdout, line);
            }
        }
    }

    /// <summary>Writes text to stderr as it is.</summary>
    public void WriteStderr(string text)
    {
        lock (_gate)
        {
            WaitIfStopped();
            Write(_stderr, text);
        }
    }

    /// <summary>Sleeps until the run has lasted FAKE_AMP_DURATION_MS.</summary>
    public void PadToDuration()
    {
        var remaining = _durationMs - _clock.ElapsedMilliseconds;
        if (_durationMs > 0 && remaining > 0)
        {
            Thread.Sleep(TimeSpan.FromMilliseconds(remaining));
        }
    }

    /// <summary>Builds a result line with the current elapsed time and turn count.</summary>
    public JsonObject ResultLine(bool isError, string message) =>
        ResultLine(isError, message, _clock.ElapsedMilliseconds, AssistantTurns);

    private JsonObject ResultLine(bool isError, string message, long elapsed, int turns) => isError
        ? new JsonObject
        {
            ["type"] = "result",
            ["subtype"] = "error_during_execution",
            ["duration_ms"] = elapsed,
            ["is_error"] = true,
            ["num_turns"] = turns,
            ["error"] = message,
            ["session_id"] = ThreadId,
        }
        : new JsonObject
        {
            ["type"] = "result",
            ["subtype"] = "success",
            ["duration_ms"] = elapsed,
            ["is_error"] = false,
            ["num_turns"] = turns,
            ["result"] = message,
            ["session_id"] = ThreadId,
        };

    /// <summary>The run is over: a late signal writes nothing more.</summary>
    public void Finish()
    {
        lock (_gate)
        {
            _stopped = true;
        }
    }

    /// <summary>SIGINT/SIGTERM: write amp's cancellation result and exit 0.</summary>
    public void Cancel()
    {
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }

            _stopped = true;
            var result = ResultLine(true, "User cancelled (SIGINT/SIGTERM)", _clock.ElapsedMilliseconds, _assistantTurns);
            switch (_mode)
            {
                case OutputMode.StreamJson:
                case OutputMode.Json:
                    WriteLine(_stdout, JsJson.Stringify(result));
                    break;
                case OutputMode.Text:
                    WriteTextResult(result);
                    break;
            }

            Environment.Exit(0);
        }
    }

    private void BeforeLine(bool isResult)
    {
        if (Interlocked.Increment(ref _linesPlanned) > 1 && _delayMs > 0)
        {
            Thread.Sleep(_delayMs);
        }

        if (isResult)
        {
            PadToDuration();
        }
    }

    private void WaitIfStopped()
    {
        if (_stopped)
        {
            // The signal handler is exiting the process: write nothing more.
            Thread.Sleep(Timeout.Infinite);
        }
    }

    private void WriteTextResult(JsonObject result)
    {
        var isError = result["is_error"] is JsonValue v && v.TryGetValue<bool>(out var b) && b;
        if (isError)
        {
            Write(_stderr, "Error: " + AsText(result["error"]) + "\n");
        }
        else
        {
            Write(_stdout, AsText(result["result"]) + "\n");
        }
    }

    private static string AsText(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<string>(out var s) ? s : node?.ToJsonString() ?? "";

    private static void WriteLine(Stream stream, string line) => Write(stream, line + "\n");

    public static void Write(Stream stream, string text)
    {
        var bytes = Utf8.GetBytes(text);
        stream.Write(bytes, 0, bytes.Length);
        stream.Flush();
    }
}
