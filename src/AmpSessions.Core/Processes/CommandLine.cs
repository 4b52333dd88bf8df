using System.Text;

namespace AmpSessions.Core.Processes;

/// <summary>
/// Splits a configured command line ("code --new-window", "'/opt/My Editor/bin/ed' -w") into a
/// program and arguments, so it can run without a shell: whitespace separates, single and double
/// quotes group, a backslash escapes the next character outside single quotes.
/// </summary>
public static class CommandLine
{
    public static IReadOnlyList<string> Split(string commandLine)
    {
        var parts = new List<string>();
        var current = new StringBuilder();
        var inToken = false;
        char? quote = null;
        for (var i = 0; i < commandLine.Length; i++)
        {
            var c = commandLine[i];
            if (quote is not null)
            {
                if (c == quote)
                {
                    quote = null;
                }
                else if (c == '\\' && quote == '"' && i + 1 < commandLine.Length && commandLine[i + 1] is '"' or '\\')
                {
                    current.Append(commandLine[++i]);
                }
                else
                {
                    current.Append(c);
                }
                continue;
            }
            if (char.IsWhiteSpace(c))
            {
                if (inToken)
                {
                    parts.Add(current.ToString());
                    current.Clear();
                    inToken = false;
                }
                continue;
            }
            inToken = true;
            if (c is '"' or '\'')
            {
                quote = c;
            }
            else if (c == '\\' && !OperatingSystem.IsWindows() && i + 1 < commandLine.Length)
            {
                current.Append(commandLine[++i]);
            }
            else
            {
                current.Append(c);
            }
        }
        if (quote is not null)
        {
            throw new Errors.AmpSessionsException("AmpCommandLineUnbalanced", Errors.ErrorKind.InvalidArgument,
                $"The command line '{commandLine}' has an unclosed {quote} quote: close it.", commandLine);
        }
        if (inToken)
        {
            parts.Add(current.ToString());
        }
        return parts;
    }
}
