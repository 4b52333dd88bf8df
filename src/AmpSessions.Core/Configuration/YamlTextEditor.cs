using System.Globalization;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace AmpSessions.Core.Configuration;

/// <summary>
/// Changes one key of a YAML file in place, keeping everything else as written: comments, order,
/// quoting, blank lines. YamlDotNet's serializer would rewrite the whole file and drop the comments
/// of a file people keep in their repository, so the edit works on the text at the positions the
/// parser reports; the caller re-validates the result before writing it.
/// </summary>
internal static class YamlTextEditor
{
    private const int IndentStep = 2;

    /// <summary>Sets <paramref name="path"/> (a key under nested mappings) to <paramref name="value"/>, already rendered as YAML flow text.</summary>
    public static string Set(string text, IReadOnlyList<string> path, string value)
    {
        if (path.Count == 0)
        {
            throw new ArgumentException("empty key path", nameof(path));
        }
        if (Load(text) is not YamlMappingNode root)
        {
            return AppendLine(text) + Block(path, 0, value, 0);
        }
        YamlMappingNode mapping = root;
        for (var i = 0; i < path.Count; i++)
        {
            var (key, child) = Find(mapping, path[i]);
            if (key is null || child is null)
            {
                return InsertInto(text, mapping, path, i, value);
            }
            var last = i == path.Count - 1;
            if (last || IsEmpty(child))
            {
                var rendered = last ? value : null;
                return rendered is not null ? ReplaceValue(text, key, child, rendered) : ReplaceEmptyWithBlock(text, key, path, i + 1, value);
            }
            if (child is not YamlMappingNode nested)
            {
                throw new InvalidOperationException($"'{string.Join('.', path.Take(i + 1))}' holds {Batches.YamlFile.Describe(child)}, not a mapping of keys");
            }
            mapping = nested;
        }
        return text;
    }

    /// <summary>Removes the key at <paramref name="path"/> (and its value); a missing key leaves the text as it is.</summary>
    public static string Remove(string text, IReadOnlyList<string> path)
    {
        if (Load(text) is not YamlMappingNode root)
        {
            return text;
        }
        YamlMappingNode mapping = root;
        for (var i = 0; i < path.Count; i++)
        {
            var (key, child) = Find(mapping, path[i]);
            if (key is null || child is null)
            {
                return text;
            }
            if (i == path.Count - 1)
            {
                if (mapping.Style == MappingStyle.Flow)
                {
                    return RewriteFlow(text, mapping, skip: key, addition: null);
                }
                var start = LineStart(text, (int)key.Start.Index);
                var end = LineEnd(text, ContentEnd(text, child, key));
                return text.Remove(start, end - start);
            }
            if (child is not YamlMappingNode nested)
            {
                return text;
            }
            mapping = nested;
        }
        return text;
    }

    /// <summary>A scalar as YAML: plain when that reads back as the same text, else double-quoted.</summary>
    public static string Scalar(string text)
    {
        if (IsPlainSafe(text))
        {
            return text;
        }
        var builder = new StringBuilder("\"");
        foreach (var c in text)
        {
            builder.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when char.IsControl(c) => "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture),
                _ => c.ToString(),
            });
        }
        return builder.Append('"').ToString();
    }

    public static string FlowList(IEnumerable<string> items) => "[" + string.Join(", ", items.Select(Scalar)) + "]";

    private static bool IsPlainSafe(string text)
    {
        if (text.Length == 0 || text != text.Trim() || "-?:,[]{}#&*!|>'\"%@`".Contains(text[0]))
        {
            return false;
        }
        if (text.Contains(": ") || text.Contains(" #") || text.EndsWith(':') || text.Any(c => char.IsControl(c) || c is ',' or '[' or ']' or '{' or '}'))
        {
            return false;
        }
        // Words YAML reads as something other than text.
        var lower = text.ToLowerInvariant();
        if (lower is "true" or "false" or "yes" or "no" or "on" or "off" or "null" or "~" or "y" or "n")
        {
            return false;
        }
        return !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
    }

    private static YamlNode? Load(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode is YamlScalarNode s && Batches.YamlFile.IsNull(s) ? null : stream.Documents[0].RootNode;
    }

    private static (YamlScalarNode? Key, YamlNode? Value) Find(YamlMappingNode mapping, string key)
    {
        foreach (var (k, v) in mapping.Children)
        {
            if (k is YamlScalarNode { Value: { } name } scalar && name == key)
            {
                return (scalar, v);
            }
        }
        return (null, null);
    }

    private static bool IsEmpty(YamlNode node) => node is YamlScalarNode scalar && Batches.YamlFile.IsNull(scalar);

    private static string ReplaceValue(string text, YamlScalarNode key, YamlNode value, string rendered)
    {
        if (IsEmpty(value) && (int)value.End.Index <= (int)value.Start.Index)
        {
            // `key:` with nothing after it: put the value after the colon.
            var colon = text.IndexOf(':', (int)key.End.Index);
            return text.Insert(colon + 1, " " + rendered);
        }
        var start = (int)value.Start.Index;
        var end = value is YamlScalarNode ? TrimEnd(text, start, (int)value.End.Index) : ContentEnd(text, value, key);
        return text[..start] + rendered + text[end..];
    }

    private static string ReplaceEmptyWithBlock(string text, YamlScalarNode key, IReadOnlyList<string> path, int from, string value)
    {
        var indent = (int)key.Start.Column - 1 + IndentStep;
        var lineEnd = LineEnd(text, (int)key.End.Index);
        // Drop an explicit null (`key: ~`), then hang the rest of the path under the key.
        var colon = text.IndexOf(':', (int)key.End.Index);
        var head = text[..(colon + 1)];
        var tail = text[lineEnd..];
        var comment = text[(colon + 1)..lineEnd].TrimEnd('\n', '\r');
        var keepComment = comment.Contains('#') ? " " + comment[comment.IndexOf('#')..] : "";
        return head + keepComment + "\n" + Block(path, from, value, indent) + tail;
    }

    private static string InsertInto(string text, YamlMappingNode mapping, IReadOnlyList<string> path, int from, string value)
    {
        if (mapping.Style == MappingStyle.Flow)
        {
            return RewriteFlow(text, mapping, skip: null, addition: Flow(path, from, value));
        }
        var indent = mapping.Children.Count > 0 ? (int)mapping.Children.First().Key.Start.Column - 1 : 0;
        if (mapping.Children.Count == 0)
        {
            return AppendLine(text) + Block(path, from, value, indent);
        }
        var position = LineEnd(text, ContentEnd(text, mapping, null));
        var prefix = position > 0 && text[position - 1] != '\n' ? "\n" : "";
        return text.Insert(position, prefix + Block(path, from, value, indent));
    }

    private static string RewriteFlow(string text, YamlMappingNode mapping, YamlScalarNode? skip, string? addition)
    {
        var pairs = new List<string>();
        foreach (var (key, value) in mapping.Children)
        {
            if (ReferenceEquals(key, skip))
            {
                continue;
            }
            var start = (int)key.Start.Index;
            pairs.Add(text[start..ContentEnd(text, value, key)]);
        }
        if (addition is not null)
        {
            pairs.Add(addition);
        }
        var from = (int)mapping.Start.Index;
        var to = FlowEnd(text, from);
        return text[..from] + "{" + string.Join(", ", pairs) + "}" + text[to..];
    }

    // "a:\n  b: value\n" for the rest of the path, at the given indentation.
    private static string Block(IReadOnlyList<string> path, int from, string value, int indent)
    {
        var builder = new StringBuilder();
        for (var i = from; i < path.Count; i++)
        {
            builder.Append(' ', indent + (i - from) * IndentStep).Append(Scalar(path[i])).Append(':');
            builder.Append(i == path.Count - 1 ? " " + value + "\n" : "\n");
        }
        return builder.ToString();
    }

    // "a: {b: value}" for the rest of the path, inside a flow mapping.
    private static string Flow(IReadOnlyList<string> path, int from, string value)
    {
        var text = value;
        for (var i = path.Count - 1; i > from; i--)
        {
            text = "{" + Scalar(path[i]) + ": " + text + "}";
        }
        return Scalar(path[from]) + ": " + text;
    }

    /// <summary>
    /// Where a node's own text ends. The parser's end marks are exact for scalars only (a collection's
    /// end mark equals its start), so a block collection ends with its last scalar or flow collection,
    /// and a flow collection at its closing bracket.
    /// </summary>
    private static int ContentEnd(string text, YamlNode node, YamlNode? key)
    {
        var end = key is null ? 0 : (int)key.End.Index;
        foreach (var descendant in node.AllNodes)
        {
            var flow = descendant is YamlSequenceNode { Style: SequenceStyle.Flow } || descendant is YamlMappingNode { Style: MappingStyle.Flow };
            if (flow)
            {
                end = Math.Max(end, FlowEnd(text, (int)descendant.Start.Index));
            }
            else if (descendant is YamlScalarNode)
            {
                end = Math.Max(end, TrimEnd(text, (int)descendant.Start.Index, (int)descendant.End.Index));
            }
        }
        return end;
    }

    /// <summary>The index just after the bracket that closes the flow collection opening at <paramref name="start"/>.</summary>
    private static int FlowEnd(string text, int start)
    {
        var depth = 0;
        for (var i = start; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '[' or '{':
                    depth++;
                    break;
                case ']' or '}':
                    if (--depth == 0)
                    {
                        return i + 1;
                    }
                    break;
                case '"':
                    for (i++; i < text.Length && text[i] != '"'; i++)
                    {
                        if (text[i] == '\\')
                        {
                            i++;
                        }
                    }
                    break;
                case '\'':
                    // '' is a quote inside single quotes.
                    for (i++; i < text.Length && !(text[i] == '\'' && (i + 1 >= text.Length || text[i + 1] != '\'')); i += text[i] == '\'' ? 2 : 1)
                    {
                    }
                    break;
            }
        }
        return text.Length;
    }

    private static int TrimEnd(string text, int start, int end)
    {
        while (end > start && end <= text.Length && char.IsWhiteSpace(text[end - 1]))
        {
            end--;
        }
        return end;
    }

    private static int LineStart(string text, int index)
    {
        var newline = index == 0 ? -1 : text.LastIndexOf('\n', Math.Max(0, index - 1));
        return newline + 1;
    }

    /// <summary>The index just after the newline that ends the line holding <paramref name="index"/> (or the end of the text).</summary>
    private static int LineEnd(string text, int index)
    {
        var newline = text.IndexOf('\n', Math.Min(index, text.Length));
        return newline < 0 ? text.Length : newline + 1;
    }

    private static string AppendLine(string text) => text.Length == 0 || text.EndsWith('\n') ? text : text + "\n";
}
