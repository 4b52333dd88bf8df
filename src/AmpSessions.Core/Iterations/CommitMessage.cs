using System.Text;
using System.Text.RegularExpressions;

namespace AmpSessions.Core.Iterations;

/// <summary>The amp: commit of an iteration: a one-line summary of the agent's final message and trailers.</summary>
public static partial class CommitMessage
{
    public const string Prefix = "amp: ";
    public const int MaxSubjectLength = 72;

    [GeneratedRegex(@"[`*_#>\[\]]+")]
    private static partial Regex Markdown();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    /// <summary>The first meaningful line of the message, markdown stripped, one line, cut to fit the subject.</summary>
    public static string Summary(string? finalMessage, int iterationNumber)
    {
        var line = (finalMessage ?? "").Split('\n').Select(l => Whitespace().Replace(Markdown().Replace(l, ""), " ").Trim(' ', '-', ':'))
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
