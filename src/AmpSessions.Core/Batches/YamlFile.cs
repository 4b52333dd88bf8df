using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace AmpSessions.Core.Batches;

/// <summary>
/// Collects the problems of one YAML file with their positions, so every error can name the file,
/// line and column. One instance per file read (a batch file, each case file).
/// </summary>
internal sealed class YamlFile
{
    private readonly List<BatchFileError> errors;

    public YamlFile(string filePath, List<BatchFileError> errors, int lineOffset = 0)
    {
        FilePath = filePath;
        this.errors = errors;
        LineOffset = lineOffset;
    }

    public string FilePath { get; }

    /// <summary>Lines before the YAML text in its file (a markdown file's front matter starts on line 2).</summary>
    public int LineOffset { get; }

    /// <summary>The problems recorded so far (this file's and its siblings').</summary>
    public IReadOnlyList<BatchFileError> Errors => errors;

    public bool HasErrors => errors.Count > 0;

    public int ErrorCount => errors.Count;

    /// <summary>Another file whose problems go to the same list (a case file read for a batch file).</summary>
    public YamlFile Sibling(string filePath, int lineOffset = 0) => new(filePath, errors, lineOffset);

    public void Error(YamlNode node, BatchFileErrorKind kind, string message) => Error(node.Start, kind, message);

    public void Error(Mark mark, BatchFileErrorKind kind, string message) =>
        errors.Add(new BatchFileError(FilePath, Math.Max(1, (int)mark.Line) + LineOffset, Math.Max(1, (int)mark.Column), kind, message));

    /// <summary>How deeply collections may nest: YamlDotNet's parser recurses per level, and 100,000 '[' overflow the stack.</summary>
    public const int MaxNesting = 64;

    /// <summary>Parses the text; returns the root mapping, or null after recording why there is none.</summary>
    public YamlMappingNode? LoadRootMapping(string text, string whatItIs)
    {
        if (TooDeep(text) is { } deep)
        {
            Error(deep, BatchFileErrorKind.SyntaxError, $"The {whatItIs} nests lists and mappings more than {MaxNesting} levels deep here: flatten it.");
            return null;
        }
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
        {
            // YamlDotNet throws these, not YamlException, for some malformed input (a stray tag or
            // indentation it cannot place); its position is unknown, so the file's start is named.
            Error(Mark.Empty, BatchFileErrorKind.SyntaxError, $"YAML syntax error: the {whatItIs} cannot be read as YAML ({ex.Message.TrimEnd('.')}); check its indentation, tags (!) and brackets.");
            return null;
        }
        catch (YamlException ex)
        {
            var duplicate = ex.Message.StartsWith("Duplicate key", StringComparison.Ordinal);
            Error(ex.Start, duplicate ? BatchFileErrorKind.DuplicateKey : BatchFileErrorKind.SyntaxError,
                duplicate
                    ? $"{ex.Message.TrimEnd('.')}: each key may appear once in a mapping."
                    : $"YAML syntax error: {ex.Message.TrimEnd('.')}{(ex.InnerException is null ? "" : $" ({ex.InnerException.Message.TrimEnd('.')})")}.");
            return null;
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" } && stream.Documents.Count == 1)
        {
            Error(Mark.Empty, BatchFileErrorKind.EmptyFile, $"The {whatItIs} is empty: see docs/BATCH.md for its keys.");
            return null;
        }
        if (stream.Documents.Count > 1)
        {
            Error(stream.Documents[1].RootNode, BatchFileErrorKind.SyntaxError,
                $"The {whatItIs} holds {stream.Documents.Count} YAML documents: keep one (remove the '---' separators).");
            return null;
        }
        var root = stream.Documents[0].RootNode;
        if (root is not YamlMappingNode mapping)
        {
            Error(root, BatchFileErrorKind.WrongType, $"The {whatItIs} must be a mapping of keys (such as `version: 3`), not {Describe(root)}.");
            return null;
        }
        return mapping;
    }

    /// <summary>Where the text first nests deeper than <see cref="MaxNesting"/>, found with the scanner, which does not recurse; null when it does not.</summary>
    private static Mark? TooDeep(string text)
    {
        var scanner = new Scanner(new StringReader(text), skipComments: true);
        var depth = 0;
        try
        {
            while (scanner.MoveNext())
            {
                switch (scanner.Current)
                {
                    case YamlDotNet.Core.Tokens.FlowSequenceStart or YamlDotNet.Core.Tokens.FlowMappingStart
                        or YamlDotNet.Core.Tokens.BlockSequenceStart or YamlDotNet.Core.Tokens.BlockMappingStart:
                        if (++depth > MaxNesting)
                        {
                            return scanner.Current!.Start;
                        }
                        break;
                    case YamlDotNet.Core.Tokens.FlowSequenceEnd or YamlDotNet.Core.Tokens.FlowMappingEnd or YamlDotNet.Core.Tokens.BlockEnd:
                        depth--;
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is YamlException or InvalidOperationException or ArgumentException)
        {
            // A syntax error: the parser below says what it is.
        }
        return null;
    }

    /// <summary>Reads a mapping, recording unknown, non-text and duplicate keys.</summary>
    public YamlMap Map(YamlMappingNode node, string where, IReadOnlyCollection<string> allowedKeys) => new(this, node, where, allowedKeys);

    public static string Describe(YamlNode node) => node switch
    {
        YamlSequenceNode => "a list",
        YamlMappingNode => "a mapping",
        YamlScalarNode scalar when IsNull(scalar) => "an empty value",
        YamlScalarNode scalar => $"'{Shorten(scalar.Value ?? "")}'",
        _ => "an alias",
    };

    public static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..37] + "...";
}

/// <summary>One YAML mapping with typed accessors that record a positioned error instead of throwing.</summary>
internal sealed class YamlMap
{
    private readonly YamlFile file;
    private readonly Dictionary<string, (YamlScalarNode Key, YamlNode Value)> entries = new(StringComparer.Ordinal);

    public YamlMap(YamlFile file, YamlMappingNode node, string where, IReadOnlyCollection<string> allowedKeys)
    {
        this.file = file;
        Node = node;
        Where = where;
        foreach (var (keyNode, value) in node.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } key } scalarKey || YamlFile.IsNull(keyNode))
            {
                file.Error(keyNode, BatchFileErrorKind.WrongType, $"A key in {where} must be plain text, not {YamlFile.Describe(keyNode)}.");
                continue;
            }
            if (!allowedKeys.Contains(key))
            {
                var suggestion = Closest(key, allowedKeys);
                file.Error(keyNode, BatchFileErrorKind.UnknownKey,
                    $"Unknown key '{key}' in {where}{(suggestion is null ? "" : $": did you mean '{suggestion}'?")} (allowed: {string.Join(", ", allowedKeys)}).");
                continue;
            }
            entries[key] = (scalarKey, value);
        }
    }

    public YamlMappingNode Node { get; }

    /// <summary>Where this mapping is, for messages: "execution", "agent 'fast'" (renamed once its id is known).</summary>
    public string Where { get; set; }

    public YamlFile File => file;

    public IEnumerable<string> Keys => entries.Keys;

    /// <summary>The key's value node, or null when absent or written as an empty value.</summary>
    public YamlNode? Value(string key) => entries.TryGetValue(key, out var entry) && !YamlFile.IsNull(entry.Value) ? entry.Value : null;

    public YamlScalarNode? KeyNode(string key) => entries.TryGetValue(key, out var entry) ? entry.Key : null;

    public bool Has(string key) => entries.ContainsKey(key);

    /// <summary>Records an error at the key's value (or at the key when there is no value).</summary>
    public void Error(string key, BatchFileErrorKind kind, string message) =>
        file.Error(Value(key) ?? (YamlNode?)KeyNode(key) ?? Node, kind, message);

    public void Missing(string key, string hint) =>
        file.Error(entries.TryGetValue(key, out var entry) ? entry.Key : Node, BatchFileErrorKind.MissingKey,
            entries.ContainsKey(key) ? $"'{key}' in {Where} has no value: {hint}." : $"{Capitalize(Where)} is missing the required key '{key}': {hint}.");

    public string? Text(string key, bool required = false, string hint = "add it")
    {
        var node = Value(key);
        if (node is null)
        {
            if (required)
            {
                Missing(key, hint);
            }
            return null;
        }
        if (node is not YamlScalarNode scalar)
        {
            file.Error(node, BatchFileErrorKind.WrongType, $"'{key}' in {Where} must be text, not {YamlFile.Describe(node)}.");
            return null;
        }
        var text = scalar.Value ?? "";
        if (text.Trim().Length == 0)
        {
            file.Error(node, BatchFileErrorKind.InvalidValue, $"'{key}' in {Where} is blank: {hint}.");
            return null;
        }
        return text;
    }

    public long? Integer(string key, long minimum, string rule, bool required = false, string hint = "add it")
    {
        var node = Value(key);
        if (node is null)
        {
            if (required)
            {
                Missing(key, hint);
            }
            return null;
        }
        if (node is not YamlScalarNode scalar || !long.TryParse(scalar.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            file.Error(node, BatchFileErrorKind.WrongType, $"'{key}' in {Where} must be a whole number, not {YamlFile.Describe(node)}.");
            return null;
        }
        if (value < minimum)
        {
            file.Error(node, BatchFileErrorKind.InvalidValue, $"'{key}' in {Where} is {value}: it must be {rule}.");
            return null;
        }
        return value;
    }

    public bool? Boolean(string key)
    {
        var node = Value(key);
        if (node is null)
        {
            return null;
        }
        if (node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: { } text })
        {
            switch (text)
            {
                case "true" or "True" or "TRUE" or "yes" or "Yes" or "on":
                    return true;
                case "false" or "False" or "FALSE" or "no" or "No" or "off":
                    return false;
            }
        }
        file.Error(node, BatchFileErrorKind.WrongType, $"'{key}' in {Where} must be true or false, not {YamlFile.Describe(node)}.");
        return null;
    }

    public decimal? Number(string key, string rule, Func<decimal, bool> valid)
    {
        var node = Value(key);
        if (node is null)
        {
            return null;
        }
        if (node is not YamlScalarNode scalar || !decimal.TryParse(scalar.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            file.Error(node, BatchFileErrorKind.WrongType, $"'{key}' in {Where} must be a number, not {YamlFile.Describe(node)}.");
            return null;
        }
        if (!valid(value))
        {
            file.Error(node, BatchFileErrorKind.InvalidValue, $"'{key}' in {Where} is {scalar.Value}: it must be {rule}.");
            return null;
        }
        return value;
    }

    /// <summary>A list of text values (one text value also counts when <paramref name="allowSingle"/>); each with its node.</summary>
    public IReadOnlyList<(string Text, YamlNode Node)> TextList(string key, bool allowSingle = false, bool required = false, string hint = "add it")
    {
        var node = Value(key);
        if (node is null)
        {
            if (required)
            {
                Missing(key, hint);
            }
            return [];
        }
        if (allowSingle && node is YamlScalarNode single)
        {
            return Text(key) is { } text ? [(text, single)] : [];
        }
        if (node is not YamlSequenceNode sequence)
        {
            file.Error(node, BatchFileErrorKind.WrongType, $"'{key}' in {Where} must be a list{(allowSingle ? " or text" : "")}, not {YamlFile.Describe(node)}.");
            return [];
        }
        var values = new List<(string, YamlNode)>();
        foreach (var child in sequence.Children)
        {
            if (child is not YamlScalarNode { Value: { } text } || YamlFile.IsNull(child))
            {
                file.Error(child, BatchFileErrorKind.WrongType, $"Each entry of '{key}' in {Where} must be text, not {YamlFile.Describe(child)}.");
                continue;
            }
            if (text.Trim().Length == 0)
            {
                file.Error(child, BatchFileErrorKind.InvalidValue, $"An entry of '{key}' in {Where} is blank: remove it or fill it in.");
                continue;
            }
            values.Add((text, child));
        }
        if (required && values.Count == 0 && sequence.Children.Count == 0)
        {
            file.Error(node, BatchFileErrorKind.InvalidValue, $"'{key}' in {Where} is an empty list: {hint}.");
        }
        return values;
    }

    public YamlMappingNode? Mapping(string key, bool required = false, string hint = "add it")
    {
        var node = Value(key);
        if (node is null)
        {
            if (required)
            {
                Missing(key, hint);
            }
            return null;
        }
        if (node is not YamlMappingNode mapping)
        {
            file.Error(node, BatchFileErrorKind.WrongType, $"'{key}' in {Where} must be a mapping of keys, not {YamlFile.Describe(node)}.");
            return null;
        }
        return mapping;
    }

    public YamlSequenceNode? Sequence(string key, bool required = false, string hint = "add it")
    {
        var node = Value(key);
        if (node is null)
        {
            if (required)
            {
                Missing(key, hint);
            }
            return null;
        }
        if (node is not YamlSequenceNode sequence)
        {
            file.Error(node, BatchFileErrorKind.WrongType, $"'{key}' in {Where} must be a list, not {YamlFile.Describe(node)}.");
            return null;
        }
        if (sequence.Children.Count == 0 && required)
        {
            file.Error(node, BatchFileErrorKind.InvalidValue, $"'{key}' in {Where} is an empty list: {hint}.");
        }
        return sequence;
    }

    /// <summary>A mapping of names to text values (environment variables).</summary>
    public IReadOnlyDictionary<string, string> TextMap(string key)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Mapping(key) is not { } mapping)
        {
            return result;
        }
        foreach (var (name, value) in mapping.Children)
        {
            if (name is not YamlScalarNode { Value: { Length: > 0 } variable } || YamlFile.IsNull(name))
            {
                file.Error(name, BatchFileErrorKind.WrongType, $"A name in '{key}' of {Where} must be plain text, not {YamlFile.Describe(name)}.");
                continue;
            }
            if (value is not YamlScalarNode scalar)
            {
                file.Error(value, BatchFileErrorKind.WrongType, $"'{key}.{variable}' in {Where} must be text, not {YamlFile.Describe(value)}.");
                continue;
            }
            result[variable] = YamlFile.IsNull(scalar) ? "" : scalar.Value ?? "";
        }
        return result;
    }

    private static string Capitalize(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];

    internal static string? Closest(string key, IEnumerable<string> candidates)
    {
        var best = candidates.Select(c => (Candidate: c, Distance: Distance(key, c))).OrderBy(x => x.Distance).FirstOrDefault();
        return best.Candidate is not null && best.Distance <= Math.Max(2, key.Length / 4) ? best.Candidate : null;
    }

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
