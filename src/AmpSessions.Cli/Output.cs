using AmpSessions.Core.Processes;
using AmpSessions.Core.Serialization;

namespace AmpSessions.Cli;

/// <summary>Writes results as text for people or JSON for programs, and errors as one stderr line.</summary>
public sealed class Output
{
    public Output(bool json) => IsJson = json;

    public bool IsJson { get; }

    /// <summary>The product's JSON options over the CLI's generated metadata, then the core's.</summary>
    public static System.Text.Json.JsonSerializerOptions JsonOptions { get; } = JsonOutput.CreateOptions(
        System.Text.Json.Serialization.Metadata.JsonTypeInfoResolver.Combine(CliJsonContext.Default, JsonOutput.CoreMetadata), indented: true);

    /// <summary>One object per line (streamed events).</summary>
    public static System.Text.Json.JsonSerializerOptions CompactJsonOptions { get; } = JsonOutput.CreateOptions(
        System.Text.Json.Serialization.Metadata.JsonTypeInfoResolver.Combine(CliJsonContext.Default, JsonOutput.CoreMetadata), indented: false);

    /// <summary>Writes the object as JSON with --json, else runs the text renderer.</summary>
    public void Result<T>(T value, Action<T> renderText)
    {
        if (IsJson)
        {
            Console.Out.WriteLine(JsonOutput.Serialize(value, JsonOptions));
        }
        else
        {
            renderText(value);
        }
    }

    // Everything written for people goes through DisplayText: names, messages and test output can
    // hold terminal escape sequences (from an agent, a repository, a test), which must not act.
    public void Line(string text = "") => Console.Out.WriteLine(DisplayText.Lines(text));

    /// <summary>Progress and notes for people: stderr, so stdout stays clean for --json.</summary>
    public void Note(string text) => Console.Error.WriteLine(DisplayText.Lines(text));

    public void Error(string errorId, string message)
    {
        var safe = DisplayText.OneLine(SecretRedactor.Redact(message.ReplaceLineEndings(" ")));
        Console.Error.WriteLine($"amp-sessions: {safe}");
        if (IsJson)
        {
            Console.Out.WriteLine(JsonOutput.Serialize(new ErrorView(new ErrorView.Detail(errorId, safe)), JsonOptions));
        }
    }

    /// <summary>Simple aligned columns (no box drawing, so output pipes and diffs cleanly).</summary>
    public void Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows) => Table(headers, rows, int.MaxValue);

    /// <summary>
    /// Columns as wide as the widest cell of the first <paramref name="widthSample"/> rows; the rows after them
    /// are written as they come (a longer cell there widens its own line only), so a table of any length streams.
    /// </summary>
    public void Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows, int widthSample)
    {
        // One line per row whatever a cell holds (a name with a newline would break the table).
        static IReadOnlyList<string> Clean(IReadOnlyList<string> row) => row.Select(DisplayText.OneLine).ToArray();
        using var remaining = rows.GetEnumerator();
        var sample = new List<IReadOnlyList<string>> { headers };
        while (sample.Count <= widthSample && remaining.MoveNext())
        {
            sample.Add(Clean(remaining.Current));
        }
        var widths = headers.Select((_, i) => sample.Max(r => r[i].Length)).ToArray();
        void Write(IReadOnlyList<string> row) =>
            Console.Out.WriteLine(string.Join("  ", row.Select((cell, i) => i == row.Count - 1 ? cell : cell.PadRight(widths[i]))).TrimEnd());
        foreach (var row in sample)
        {
            Write(row);
        }
        while (remaining.MoveNext())
        {
            Write(Clean(remaining.Current));
        }
    }

    /// <summary>A JSON array on stdout, written as the items are enumerated (see <see cref="JsonOutput.WriteArray"/>).</summary>
    public static void JsonArray<T>(IEnumerable<T> items)
    {
        using var stdout = Console.OpenStandardOutput();
        JsonOutput.WriteArray(stdout, items, JsonOptions);
    }
}
