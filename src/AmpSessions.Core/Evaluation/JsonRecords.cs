using System.Text;
using System.Text.Json;

namespace AmpSessions.Core.Evaluation;

/// <summary>One top-level object of a JSON array or JSONL file, with the line and column of it and of each of its keys.</summary>
internal sealed record JsonRecord(JsonElement Value, int Line, int Column, IReadOnlyDictionary<string, (int Line, int Column)> Keys)
{
    public (int Line, int Column) Where(string key) => Keys.TryGetValue(key, out var at) ? at : (Line, Column);
}

/// <summary>A JSON syntax problem at a place in the file.</summary>
internal sealed record JsonProblem(int Line, int Column, string Message);

/// <summary>
/// Reads the two shapes public instance files come in (a JSON array of objects, or one object per
/// line) and keeps positions, which System.Text.Json's DOM does not: a reader pass records the byte
/// offset of every element and key, turned into 1-based lines and character columns.
/// </summary>
internal static class JsonRecords
{
    public static (IReadOnlyList<JsonRecord> Records, IReadOnlyList<JsonProblem> Problems) Read(string text)
    {
        var records = new List<JsonRecord>();
        var problems = new List<JsonProblem>();
        var bytes = Encoding.UTF8.GetBytes(text.TrimStart('\uFEFF'));
        var lines = new LineTable(bytes);
        var first = Array.FindIndex(bytes, b => b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'));
        if (first >= 0 && bytes[first] == (byte)'[')
        {
            ReadArray(bytes, lines, records, problems);
        }
        else
        {
            ReadLines(bytes, lines, records, problems);
        }
        return (records, problems);
    }

    private static void ReadArray(byte[] bytes, LineTable lines, List<JsonRecord> records, List<JsonProblem> problems)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException ex)
        {
            var (line, column) = ex.LineNumber is { } l ? ((int)l + 1, (int)(ex.BytePositionInLine ?? 0) + 1) : (1, 1);
            problems.Add(new JsonProblem(line, column, $"Not valid JSON: {Reason(ex)}"));
            return;
        }
        using (document)
        {
            var positions = ElementPositions(bytes, 0, bytes.Length, depth: 1);
            var index = 0;
            foreach (var element in document.RootElement.EnumerateArray())
            {
                var (start, keys) = index < positions.Count ? positions[index] : (0, new Dictionary<string, long>());
                var (line, column) = lines.At(start);
                records.Add(new JsonRecord(element.Clone(), line, column, keys.ToDictionary(k => k.Key, k => lines.At(k.Value), StringComparer.Ordinal)));
                index++;
            }
        }
    }

    private static void ReadLines(byte[] bytes, LineTable lines, List<JsonRecord> records, List<JsonProblem> problems)
    {
        for (var lineIndex = 0; lineIndex < lines.Count; lineIndex++)
        {
            var (start, end) = lines.Span(lineIndex);
            var slice = new ReadOnlyMemory<byte>(bytes, (int)start, (int)(end - start));
            if (IsBlank(slice.Span))
            {
                continue;
            }
            try
            {
                using var document = JsonDocument.Parse(slice);
                var positions = ElementPositions(bytes, start, end, depth: 0);
                var keys = positions.Count > 0 ? positions[0].Keys : new Dictionary<string, long>();
                var offset = positions.Count > 0 ? positions[0].Start : start;
                var (line, column) = lines.At(offset);
                records.Add(new JsonRecord(document.RootElement.Clone(), line, column, keys.ToDictionary(k => k.Key, k => lines.At(k.Value), StringComparer.Ordinal)));
            }
            catch (JsonException ex)
            {
                problems.Add(new JsonProblem(lineIndex + 1, (int)(ex.BytePositionInLine ?? 0) + 1, $"Not valid JSON: {Reason(ex)} (each line must be one JSON object)"));
            }
        }
    }

    private static string Reason(JsonException ex)
    {
        // The exception's message ends with its own position in JSON Path terms; ours is in file:line:column.
        var message = ex.Message;
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).TrimEnd('.', ' ') + ".";
    }

    private static bool IsBlank(ReadOnlySpan<byte> span)
    {
        foreach (var b in span)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The start offset of every value at <paramref name="depth"/> (0: the root) and the offsets of its own keys.</summary>
    private static List<(long Start, Dictionary<string, long> Keys)> ElementPositions(byte[] bytes, long from, long to, int depth)
    {
        var result = new List<(long, Dictionary<string, long>)>();
        var reader = new Utf8JsonReader(new ReadOnlySpan<byte>(bytes, (int)from, (int)(to - from)),
            new JsonReaderOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        try
        {
            while (reader.Read())
            {
                if (reader.CurrentDepth == depth && reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray or JsonTokenType.String
                    or JsonTokenType.Number or JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null)
                {
                    result.Add((from + reader.TokenStartIndex, new Dictionary<string, long>(StringComparer.Ordinal)));
                }
                else if (reader.CurrentDepth == depth + 1 && reader.TokenType == JsonTokenType.PropertyName && result.Count > 0)
                {
                    result[^1].Item2.TryAdd(reader.GetString()!, from + reader.TokenStartIndex);
                }
            }
        }
        catch (JsonException)
        {
            // The DOM parse reports syntax errors; positions are best effort.
        }
        return result;
    }

    /// <summary>Byte offsets of line starts, and the conversion of an offset to a 1-based line and character column.</summary>
    private sealed class LineTable
    {
        private readonly byte[] bytes;
        private readonly List<long> starts = [0];

        public LineTable(byte[] bytes)
        {
            this.bytes = bytes;
            for (var i = 0; i < bytes.Length; i++)
            {
                if (bytes[i] == (byte)'\n' && i + 1 < bytes.Length)
                {
                    starts.Add(i + 1);
                }
            }
        }

        public int Count => bytes.Length == 0 ? 0 : starts.Count;

        public (long Start, long End) Span(int line) => (starts[line], line + 1 < starts.Count ? starts[line + 1] : bytes.Length);

        public (int Line, int Column) At(long offset)
        {
            var index = starts.BinarySearch(offset);
            if (index < 0)
            {
                index = ~index - 1;
            }
            index = Math.Max(0, index);
            var start = (int)starts[index];
            return (index + 1, Encoding.UTF8.GetCharCount(bytes, start, (int)Math.Max(0, offset - start)) + 1);
        }
    }
}
