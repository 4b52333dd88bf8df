using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace AmpSessions.FakeAgent;

/// <summary>FAKE_AMP_RECORD: appends one JSON line per invocation, under an exclusive file lock.</summary>
internal static class Recorder
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);
    private static bool _recorded;

    public static void Record(string[] args, string? stdin, DateTimeOffset startedAt)
    {
        var path = Environment.GetEnvironmentVariable("FAKE_AMP_RECORD");
        if (string.IsNullOrEmpty(path) || _recorded)
        {
            return;
        }

        _recorded = true;
        var argv = new JsonArray();
        foreach (var a in args)
        {
            argv.Add((JsonNode?)a);
        }

        var env = new JsonObject();
        var names = new List<string>();
        foreach (DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            var name = (string)e.Key;
            if (name.StartsWith("AMP_", StringComparison.Ordinal) && name != "AMP_API_KEY")
            {
                names.Add(name);
            }
        }

        names.Sort(StringComparer.Ordinal);
        foreach (var name in names)
        {
            env[name] = Environment.GetEnvironmentVariable(name);
        }

        env["AMP_API_KEY_SET"] = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("AMP_API_KEY"));

        var line = new JsonObject
        {
            ["argv"] = argv,
            ["cwd"] = Directory.GetCurrentDirectory(),
            ["stdin"] = stdin,
            ["env"] = env,
            ["pid"] = Environment.ProcessId,
            ["startedAt"] = startedAt.ToString("o", CultureInfo.InvariantCulture),
        };

        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(dir))
        {
            Directory.CreateDirectory(dir);
        }

        var bytes = Utf8.GetBytes(JsJson.Stringify(line) + "\n");
        using var stream = StateStore.OpenLocked(full, FileMode.Append, FileAccess.Write);
        stream.Write(bytes, 0, bytes.Length);
        stream.Flush(flushToDisk: false);
    }
}
