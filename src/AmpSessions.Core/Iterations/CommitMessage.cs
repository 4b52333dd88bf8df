using System.Text;
using System.Text.RegularExpressions;

namespace AmpSessions.Core.Iterations;

/// <summary>The amp: commit of an iteration: a one-line summary of the agent's final message and trailers.</summary>
public static partial class CommitMessage
{
    public const string Prefix = "amp: ";
    public const int MaxSubjectLength = 72;

    // Markdown is stripped only where it is markup, so names keep every character (Fix #218,
    // cache_key, _DescriptorBase, __init__.py, a[0]):
    // a heading, quote, list or task marker at the start of the line;
    [GeneratedRegex(@"^\s*(?:(?:#{1,6}|>|[-*+]|\d+[.)])\s+)+(?:\[[ xX]\]\s+)?")]
    private static partial Regex BlockMarkers();

    // a link [text](url), which keeps its text;
    [GeneratedRegex(@"\[([^\]\n]+)\]\([^)\s]*\)")]
    private static partial Regex Link();

    // emphasis whose delimiters stand at word edges: after the start, a space or '(', and before the
    // end, a space, or punctuation that ends a phrase;
    [GeneratedRegex(@"(?<=^|[\s(])(\*\*|__|\*|_)(?=\S)(.+?)(?<=\S)\1(?=$|\s|[,;:!?)]|\.(?:\s|$))")]
    private static partial Regex Emphasis();

    // and code spans' backticks, which are never part of the text they quote.
    [GeneratedRegex(@"`+")]
    private static partial Regex Backticks();

    private static string StripMarkup(string line)
    {
        line = BlockMarkers().Replace(line, "");
        line = Link().Replace(line, "$1");
        line = Backticks().Replace(line, "");
        // Nested emphasis (***x***) comes off one layer per pass.
        for (var pass = 0; pass < 3; pass++)
        {
            var stripped = Emphasis().Replace(line, "$2");
            if (stripped == line)
            {
                break;
            }
            line = stripped;
        }
        return line;
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    /// <summary>The first meaningful line of the message, markdown markup stripped, one line, cut to fit the subject.</summary>
    public static string Summary(string? finalMessage, int iterationNumber)
    {
        var line = (finalMessage ?? "").Split('\n').Select(l => Whitespace().Replace(StripMarkup(l), " ").Trim(' ', '-', ':'))
            .FirstOrDefault(l => l.Length > 0);
        if (string.IsNullOrEmpty(line))
        {
            return $"iteration {iterationNumber}";
        }
        var room = MaxSubjectLength - Prefix.Length;
        if (line.Length <= room)
        {
            return line;
        }
        var cut = line[..(room - 1)];
        var lastSpace = cut.LastIndexOf(' ');
        return (lastSpace > room / 2 ? cut[..lastSpace] : cut).TrimEnd(' ', ',', ';', '.') + "…";
    }

    /// <summary>The message: the amp: subject, then the session, iteration and thread trailers, and <paramref name="extra"/> (a budget mark).</summary>
    public static string Compose(string summary, string sessionId, int iterationNumber, string? threadId, (string Name, string Value)? extra = null)
    {
        var message = new StringBuilder();
        message.Append(Prefix).Append(summary).Append("\n\n");
        message.Append("Amp-Session: ").Append(sessionId).Append('\n');
        message.Append("Amp-Iteration: ").Append(iterationNumber).Append('\n');
        if (!string.IsNullOrEmpty(threadId))
        {
            message.Append("Amp-Thread: ").Append(threadId).Append('\n');
        }
        if (extra is { } trailer)
        {
            message.Append(trailer.Name).Append(": ").Append(trailer.Value).Append('\n');
        }
        return message.ToString();
    }
}
