using System.Text;
using System.Text.RegularExpressions;
using AmpSessions.Core.Configuration;

namespace AmpSessions.Core.SlashCommands;

/// <summary>
/// The template language of slash commands: <c>{name}</c> is a parameter, <c>{{</c> and <c>}}</c>
/// are literal braces, and any other brace (code in a prompt: <c>{ x }</c>, <c>{}</c>) is literal too.
/// </summary>
public static partial class SlashCommandTemplate
{
    [GeneratedRegex(@"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}", RegexOptions.CultureInvariant)]
    private static partial Regex TokenPattern();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$", RegexOptions.CultureInvariant)]
    private static partial Regex ParameterNamePattern();

    public static bool IsParameterName(string name) => ParameterNamePattern().IsMatch(name);

    /// <summary>The parameters a template uses, in order of first use.</summary>
    public static IReadOnlyList<string> Placeholders(string template) =>
        TokenPattern().Matches(template).Where(m => m.Groups[1].Success).Select(m => m.Groups[1].Value).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>A command from its parts: the declared parameters first, then any the template uses without declaring them (required).</summary>
    public static SlashCommand Build(string name, string? description, string template, IReadOnlyList<SlashCommandParameter> declared)
    {
        var parameters = new List<SlashCommandParameter>(declared);
        foreach (var placeholder in Placeholders(template).Where(p => declared.All(d => d.Name != p)))
        {
            parameters.Add(new SlashCommandParameter { Name = placeholder });
        }
        return new SlashCommand { Name = name, Description = description, Template = template, Parameters = parameters };
    }

    /// <summary>The template with each parameter replaced by its value.</summary>
    public static string Render(string template, IReadOnlyDictionary<string, string> values) =>
        TokenPattern().Replace(template, match => match.Value switch
        {
            "{{" => "{",
            "}}" => "}",
            _ => values.TryGetValue(match.Groups[1].Value, out var value) ? value : match.Value,
        });

    /// <summary>Reads a markdown command file: optional YAML front matter between --- lines, then the prompt.</summary>
    internal static (string? FrontMatter, int FrontMatterLine, string Body) SplitMarkdown(string text)
    {
        var normalized = text.Replace("\r\n", "\n");
        if (!normalized.StartsWith("---\n", StringComparison.Ordinal))
        {
            return (null, 0, normalized.Trim('\n'));
        }
        var end = normalized.IndexOf("\n---", 3, StringComparison.Ordinal);
        while (end >= 0 && !(end + 4 == normalized.Length || normalized[end + 4] == '\n'))
        {
            end = normalized.IndexOf("\n---", end + 4, StringComparison.Ordinal);
        }
        if (end < 0)
        {
            return (normalized[4..], 1, "");
        }
        var front = normalized[4..(end + 1)];
        var body = end + 4 >= normalized.Length ? "" : normalized[(end + 5)..];
        return (front, 1, body.Trim('\n'));
    }

    /// <summary>Quotes a value for a slash command line when it needs it.</summary>
    public static string Quote(string value)
    {
        if (value.Length > 0 && value.All(c => !char.IsWhiteSpace(c) && c is not ('"' or '\'' or '\\')))
        {
            return value;
        }
        var builder = new StringBuilder("\"");
        foreach (var c in value)
        {
            if (c is '"' or '\\')
            {
                builder.Append('\\');
            }
            builder.Append(c);
        }
        return builder.Append('"').ToString();
    }
}
