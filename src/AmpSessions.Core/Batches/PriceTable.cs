using AmpSessions.Core.Agents;

namespace AmpSessions.Core.Batches;

/// <summary>US dollars per million tokens of each kind.</summary>
public sealed record ModelPrice
{
    public decimal InputPerMillion { get; init; }
    public decimal OutputPerMillion { get; init; }
    public decimal CacheCreationPerMillion { get; init; }
    public decimal CacheReadPerMillion { get; init; }

    public decimal Cost(TokenUsage usage) =>
        (usage.Input * InputPerMillion + usage.Output * OutputPerMillion
         + usage.CacheCreation * CacheCreationPerMillion + usage.CacheRead * CacheReadPerMillion) / 1_000_000m;
}

/// <summary>
/// A <c>prices</c> table (a batch file's, or the configuration's): keyed by agent id or by model. An item
/// or session is priced by its agent's entry, else its model's (the model the agent reported, then the
/// model_override), else <c>default</c>; with none of these it has no cost (not zero: unknown). A table
/// may fall back to another (a batch file's to its repository's configuration) when none of its own
/// entries applies.
/// </summary>
public sealed record PriceTable
{
    public const string DefaultKey = "default";

    public static readonly PriceTable Empty = new();

    public IReadOnlyDictionary<string, ModelPrice> Entries { get; init; } = new Dictionary<string, ModelPrice>();

    /// <summary>The table asked when none of this one's entries (default included) applies.</summary>
    public PriceTable? Fallback { get; init; }

    public bool IsEmpty => Entries.Count == 0 && (Fallback?.IsEmpty ?? true);

    /// <summary>A table of the entries as read (a later entry of the same key wins).</summary>
    public static PriceTable Of(IEnumerable<Configuration.PriceEntry> entries)
    {
        var table = new Dictionary<string, ModelPrice>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            table[entry.Name] = entry.Price;
        }
        return new PriceTable { Entries = table };
    }

    /// <summary>This table, falling back to <paramref name="fallback"/> where none of its entries applies.</summary>
    public PriceTable Then(PriceTable fallback) =>
        fallback.IsEmpty ? this : IsEmpty ? fallback : this with { Fallback = Fallback is null ? fallback : Fallback.Then(fallback) };

    /// <summary>
    /// A table whose one entry, the default, is the price this agent (or model) has here: what a batch's
    /// item is priced by whatever agent spec its session runs; empty when none applies.
    /// </summary>
    public PriceTable Only(string agentId, params string?[] models) =>
        Find(agentId, models) is { } price ? new PriceTable { Entries = new Dictionary<string, ModelPrice> { [DefaultKey] = price } } : Empty;

    /// <summary>The agent's entry, else the first model's that has one, else the default entry; then the fallback's.</summary>
    public ModelPrice? Find(string agentId, params string?[] models)
    {
        foreach (var key in models.Prepend(agentId).Append(DefaultKey))
        {
            if (key is not null && Entries.TryGetValue(key, out var price))
            {
                return price;
            }
        }
        return Fallback?.Find(agentId, models);
    }
}
