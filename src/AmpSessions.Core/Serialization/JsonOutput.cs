using System.Text.Json;
using System.Text.Json.Serialization;

namespace AmpSessions.Core.Serialization;

/// <summary>The one JSON shape for everything the product emits: camelCase, enums as names, no nulls dropped.</summary>
public static class JsonOutput
{
    public static JsonSerializerOptions Options { get; } = Create(indented: true);

    /// <summary>One object per line (journals, JSONL reports).</summary>
    public static JsonSerializerOptions Compact { get; } = Create(indented: false);

    private static JsonSerializerOptions Create(bool indented)
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            WriteIndented = indented,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        options.Converters.Add(new JsonStringEnumConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    public static string Serialize<T>(T value, bool indented = true) => JsonSerializer.Serialize(value, indented ? Options : Compact);
}
