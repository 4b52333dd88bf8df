using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace AmpSessions.Core.Serialization;

/// <summary>The one JSON shape for everything the product emits: camelCase, enums as names, no nulls dropped.</summary>
/// <remarks>
/// Serialization goes through generated metadata (<see cref="CoreJsonContext"/>, plus a front end's own context),
/// never reflection, so the same calls work in the JIT module and the native AOT CLI.
/// </remarks>
public static class JsonOutput
{
    /// <summary>The core's generated metadata, for a front end to chain after its own context.</summary>
    public static IJsonTypeInfoResolver CoreMetadata => CoreJsonContext.Default;

    public static JsonSerializerOptions Options { get; } = CreateOptions(CoreJsonContext.Default, indented: true);

    /// <summary>One object per line (journals, JSONL reports).</summary>
    public static JsonSerializerOptions Compact { get; } = CreateOptions(CoreJsonContext.Default, indented: false);

    /// <summary>The product's JSON options over the given metadata (a front end chains its own context before the core's).</summary>
    public static JsonSerializerOptions CreateOptions(IJsonTypeInfoResolver resolver, bool indented)
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            WriteIndented = indented,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            TypeInfoResolver = resolver,
        };
        options.MakeReadOnly();
        return options;
    }

    /// <summary>The generated metadata of <typeparamref name="T"/> under the options (NotSupportedException if no context lists it).</summary>
    public static JsonTypeInfo<T> TypeInfo<T>(JsonSerializerOptions options) => (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));

    public static string Serialize<T>(T value, bool indented = true) => Serialize(value, indented ? Options : Compact);

    public static string Serialize<T>(T value, JsonSerializerOptions options) => JsonSerializer.Serialize(value, TypeInfo<T>(options));

    public static byte[] SerializeToUtf8Bytes<T>(T value, JsonSerializerOptions options) => JsonSerializer.SerializeToUtf8Bytes(value, TypeInfo<T>(options));

    public static System.Text.Json.Nodes.JsonNode? SerializeToNode<T>(T value, JsonSerializerOptions options) => JsonSerializer.SerializeToNode(value, TypeInfo<T>(options));

    public static T? Deserialize<T>(string json, JsonSerializerOptions options) => JsonSerializer.Deserialize(json, TypeInfo<T>(options));

    public static T? Deserialize<T>(JsonElement element, JsonSerializerOptions options) => element.Deserialize(TypeInfo<T>(options));

    /// <summary>Text a streamed array holds before it is written out.</summary>
    public const int StreamFlushBytes = 16 * 1024;

    /// <summary>
    /// A JSON array written as the items are enumerated, the same text <see cref="Serialize{T}(T, JsonSerializerOptions)"/>
    /// makes of the whole list (then a line end); only the current item and at most <see cref="StreamFlushBytes"/> of text are held.
    /// </summary>
    public static void WriteArray<T>(Stream destination, IEnumerable<T> items, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(options);
        var typeInfo = TypeInfo<T>(options);
        using (var writer = new Utf8JsonWriter(destination, new JsonWriterOptions { Indented = options.WriteIndented, Encoder = options.Encoder }))
        {
            writer.WriteStartArray();
            foreach (var item in items)
            {
                JsonSerializer.Serialize(writer, item, typeInfo);
                if (writer.BytesPending >= StreamFlushBytes)
                {
                    writer.Flush();
                }
            }
            writer.WriteEndArray();
        }
        destination.Write(System.Text.Encoding.UTF8.GetBytes(Environment.NewLine));
        destination.Flush();
    }

    /// <summary>A store column: a string list as a JSON array (and back).</summary>
    public static string Column(IEnumerable<string> values) => JsonSerializer.Serialize(values as string[] ?? values.ToArray(), CoreJsonContext.Default.StringArray);

    public static string[] ReadStrings(string json) => JsonSerializer.Deserialize(json, CoreJsonContext.Default.StringArray) ?? [];
}
