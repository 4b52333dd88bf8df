using System.Globalization;
using System.Text.Json.Serialization;
using AmpSessions.Core.Errors;

namespace AmpSessions.Core.Batches;

/// <summary>
/// Shard <c>i/N</c> (1-based) of a batch: the items sorted by id, every N-th one starting at the
/// i-th. It depends only on the set of item ids, so N machines running the same file split it
/// without overlap, each item in exactly one shard, sizes differing by at most one.
/// </summary>
[JsonConverter(typeof(BatchShardJsonConverter))]
public sealed record BatchShard
{
    public BatchShard(int index, int count)
    {
        if (count < 1 || index < 1 || index > count)
        {
            throw Invalid($"{index}/{count}");
        }
        Index = index;
        Count = count;
    }

    /// <summary>1 to <see cref="Count"/>.</summary>
    public int Index { get; }

    public int Count { get; }

    public override string ToString() => $"{Index}/{Count}";

    /// <summary>Parses <c>i/N</c>; anything else is an error that says the expected form.</summary>
    public static BatchShard Parse(string text)
    {
        var parts = (text ?? "").Trim().Split('/');
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var count)
            && count >= 1 && index >= 1 && index <= count)
        {
            return new BatchShard(index, count);
        }
        throw Invalid(text ?? "");
    }

    /// <summary>This shard's items, in id order.</summary>
    public IReadOnlyList<T> Select<T>(IEnumerable<T> items, Func<T, string> id)
    {
        var sorted = items.OrderBy(id, StringComparer.Ordinal).ToList();
        var mine = new List<T>(sorted.Count / Count + 1);
        for (var position = Index - 1; position < sorted.Count; position += Count)
        {
            mine.Add(sorted[position]);
        }
        return mine;
    }

    private static AmpSessionsException Invalid(string text) => new("AmpUsageShardInvalid", ErrorKind.InvalidArgument,
        $"'{text}' is not a shard: write i/N with 1 <= i <= N, for example 2/3 for the second of three shards.", text);
}

internal sealed class BatchShardJsonConverter : JsonConverter<BatchShard>
{
    public override BatchShard Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options) =>
        BatchShard.Parse(reader.GetString() ?? "");

    public override void Write(System.Text.Json.Utf8JsonWriter writer, BatchShard value, System.Text.Json.JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}
