using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace AmpSessions.FakeAgent;

/// <summary>
/// State shared by the fake's invocations, in FAKE_AMP_STATE_DIR:
/// <c>threads/&lt;id&gt;.json</c> (one per thread created) and <c>fail-first/&lt;key&gt;.count</c>.
/// </summary>
internal sealed class StateStore(string dir)
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    public string Dir { get; } = dir;

    public enum ThreadState
    {
        NotFound,
        Archived,
        Active,
    }

    public ThreadState Lookup(string threadId)
    {
        if (!IsSafeName(threadId))
        {
            return ThreadState.NotFound;
        }

        var file = ThreadFile(threadId);
        if (!File.Exists(file))
        {
            return ThreadState.NotFound;
        }

        var node = JsonNode.Parse(ReadShared(file)) as JsonObject;
        return node?["archived"] is JsonValue v && v.TryGetValue<bool>(out var archived) && archived
            ? ThreadState.Archived
            : ThreadState.Active;
    }

    public void RecordNewThread(string threadId, bool archived, string cwd, Options options)
    {
        var labels = new JsonArray();
        foreach (var label in options.Labels)
        {
            labels.Add((JsonNode?)label);
        }

        var record = new JsonObject
        {
            ["id"] = threadId,
            ["archived"] = archived,
            ["cwd"] = cwd,
            ["title"] = options.Title,
            ["labels"] = labels,
            ["mode"] = options.Mode,
            ["createdAt"] = DateTimeOffset.UtcNow.ToString("o", CultureInfo.InvariantCulture),
        };
        Directory.CreateDirectory(Path.Combine(Dir, "threads"));
        var file = ThreadFile(threadId);
        var tmp = file + "." + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + ".tmp";
        File.WriteAllText(tmp, JsJson.Stringify(record) + "\n", Utf8);
        File.Move(tmp, file, overwrite: true);
    }

    /// <summary>
    /// failFirst: under an exclusive lock, if the counter for <paramref name="key"/> is below
    /// <paramref name="times"/>, increments it and returns true (this run must fail).
    /// </summary>
    public bool ShouldFail(string key, int times)
    {
        var dir = Path.Combine(Dir, "fail-first");
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, SafeFileName(key) + ".count");
        using var stream = OpenLocked(file, FileMode.OpenOrCreate, FileAccess.ReadWrite);
        using var reader = new StreamReader(stream, Utf8, detectEncodingFromByteOrderMarks: false, leaveOpen: true);
        var text = reader.ReadToEnd().Trim();
        var count = int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;
        if (count >= times)
        {
            return false;
        }

        stream.SetLength(0);
        var bytes = Utf8.GetBytes((count + 1).ToString(CultureInfo.InvariantCulture) + "\n");
        stream.Write(bytes, 0, bytes.Length);
        return true;
    }

    /// <summary>Opens a file exclusively (FileShare.None is an exclusive lock), retrying while another process holds it.</summary>
    public static FileStream OpenLocked(string path, FileMode mode, FileAccess access)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                return new FileStream(path, mode, access, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline && !(mode == FileMode.Open && !File.Exists(path)))
            {
                Thread.Sleep(Random.Shared.Next(2, 15));
            }
        }
    }

    private string ThreadFile(string threadId) => Path.Combine(Dir, "threads", threadId + ".json");

    private static string ReadShared(string file)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream, Utf8);
        return reader.ReadToEnd();
    }

    private static bool IsSafeName(string s) =>
        s.Length > 0 && s.Length <= 200 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') && s[0] != '.';

    private static string SafeFileName(string key)
    {
        var sb = new StringBuilder();
        foreach (var c in key)
        {
            sb.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_');
        }

        return sb.Length == 0 ? "_" : sb.ToString();
    }
}
