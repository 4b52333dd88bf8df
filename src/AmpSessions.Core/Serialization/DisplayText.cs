using System.Text;

namespace AmpSessions.Core.Serialization;

/// <summary>
/// Text from untrusted sources (the agent's messages, tool names, test output, names typed long
/// ago) made safe to print on a terminal: control characters, escape sequences included
/// (<c>\e[2J</c> clears the screen, <c>\e]0;…\a</c> retitles the window), become visible
/// placeholders and never reach the terminal as commands.
/// </summary>
public static class DisplayText
{
    /// <summary>The text on one line: every control character (newlines and tabs too) shown as a visible symbol.</summary>
    public static string OneLine(string? text) => Sanitize(text, keepLineBreaks: false);

    /// <summary>The text with its line breaks and tabs kept and every other control character shown as a visible symbol.</summary>
    public static string Lines(string? text) => Sanitize(text, keepLineBreaks: true);

    private static string Sanitize(string? text, bool keepLineBreaks)
    {
        if (string.IsNullOrEmpty(text) || !text.Any(IsControl))
        {
            return text ?? "";
        }
        var builder = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            if (!IsControl(c) || (keepLineBreaks && c is '\n' or '\t'))
            {
                builder.Append(c);
            }
            else if (keepLineBreaks && c == '\r')
            {
                // CR LF line endings stay line endings; a lone CR (which rewrites the line) is dropped.
            }
            else
            {
                // C0 controls have pictures at U+2400 (ESC is ␛); DEL and C1 controls are shown as code points.
                builder.Append(c < 0x20 ? (char)(0x2400 + c) : c == 0x7F ? '␡' : '�');
            }
        }
        return builder.ToString();
    }

    private static bool IsControl(char c) => c < 0x20 || c is >= (char)0x7F and <= (char)0x9F;
}
