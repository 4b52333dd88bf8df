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
/// The batch file's <c>prices</c>: keyed by agent id or by model. An item is priced by its agent's
/// entry, else its model's (the model the agent reported, then the agent's model_override), else
/// <c>default</c>; with none of these it has no cost (not zero: unknown).
/// </summary>
public sealed record PriceTable
{
    public const string DefaultKey = "default";

    public static readonly PriceTable Empty = new();

    public IReadOnlyDictionary<string, ModelPrice> Entries { get; init; } = new Dictionary<string, ModelPrice>();

    /// <summary>The agent's entry, else the first model's that has one, else the default entry.</summary>
    public ModelPrice? Find(string agentId, params string?[] models)
    {
        foreach (var key in models.Prepend(agentId).Append(DefaultKey))
        {
            if (key is not null && Entries.TryGetValue(key, out var price))
            {
                return price;
            }
        }
        return null;
    }
}
