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

    /// <summary>The environment variable a Kubernetes Indexed Job sets in each pod: its index, 0 to completions - 1.</summary>
    public const string JobIndexVariable = "JOB_COMPLETION_INDEX";

    /// <summary>
    /// Parses <c>i/N</c>, or <c>job/N</c>: the shard of this pod of a Kubernetes Indexed Job
    /// (JOB_COMPLETION_INDEX + 1, since the job counts from 0); anything else is an error that says the expected form.
    /// </summary>
    public static BatchShard Parse(string text) => Parse(text, Environment.GetEnvironmentVariable);

    /// <summary>As <see cref="Parse(string)"/>, reading the job index from <paramref name="environment"/>.</summary>
    public static BatchShard Parse(string text, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var trimmed = (text ?? "").Trim();
        if (trimmed.StartsWith("job/", StringComparison.Ordinal))
        {
            var jobIndex = environment(JobIndexVariable);
            if (!int.TryParse(jobIndex, NumberStyles.None, CultureInfo.InvariantCulture, out var zeroBased))
            {
                throw new AmpSessionsException("AmpShardJobIndexMissing", ErrorKind.InvalidArgument,
                    string.IsNullOrEmpty(jobIndex) ? $"'{trimmed}' takes the shard from {JobIndexVariable}, which is not set" : $"{JobIndexVariable} is '{jobIndex}', not a number", trimmed,
                    remedy: $"use job/N only in the pods of a Kubernetes Indexed Job (completionMode: Indexed); elsewhere give the shard as i/N");
            }
            if (int.TryParse(trimmed[4..], NumberStyles.None, CultureInfo.InvariantCulture, out var pods) && zeroBased >= pods)
            {
                throw new AmpSessionsException("AmpUsageShardInvalid", ErrorKind.InvalidArgument,
                    $"{JobIndexVariable} is {zeroBased}, past the last index of {trimmed} ({pods - 1})", trimmed,
                    remedy: $"give the Job as many completions as the N of job/N");
            }
            trimmed = $"{zeroBased + 1}{trimmed[3..]}";
        }
        return ParseStored(trimmed);
    }

    /// <summary>Parses <c>i/N</c> only (stored shards, journals): never reads the environment.</summary>
    public static BatchShard ParseStored(string text)
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
        BatchShard.ParseStored(reader.GetString() ?? "");

    public override void Write(System.Text.Json.Utf8JsonWriter writer, BatchShard value, System.Text.Json.JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}
