using System.Text.RegularExpressions;
using AmpSessions.Core.Configuration;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Processes;

namespace AmpSessions.Core.SlashCommands;

/// <summary>A prompt after expansion: the text the agent gets, and the command it came from (null for a plain prompt).</summary>
public sealed record ExpandedPrompt(string Text, string? Command, IReadOnlyDictionary<string, string> Arguments);

/// <summary>
/// Turns a prompt that starts with a slash command (<c>/fix-ci job=build</c>) into the command's prompt.
/// Arguments are <c>name=value</c> words (quote a value with spaces: <c>job="unit tests"</c>) or, in the
/// order the parameters are declared, bare words. A prompt that starts with <c>//</c> is taken as
/// written, less one slash. Unknown commands and parameters and missing values are clear errors.
/// </summary>
public static partial class SlashCommandExpander
{
    [GeneratedRegex(@"^/(?<name>[A-Za-z0-9][A-Za-z0-9_-]*)(?=\s|$)", RegexOptions.CultureInvariant)]
    private static partial Regex InvocationPattern();

    /// <summary>The command a prompt invokes, or null when it is a plain prompt.</summary>
    public static string? CommandName(string? prompt) =>
        prompt is not null && InvocationPattern().Match(prompt.TrimStart()) is { Success: true } match ? match.Groups["name"].Value : null;

    public static ExpandedPrompt Expand(string prompt, EffectiveConfiguration configuration)
    {
        var text = prompt.TrimStart();
        if (text.StartsWith("//", StringComparison.Ordinal))
        {
            return new ExpandedPrompt(text[1..], null, new Dictionary<string, string>());
        }
        if (CommandName(text) is not { } name)
        {
            return new ExpandedPrompt(prompt, null, new Dictionary<string, string>());
        }
        SlashCommand command;
        try
        {
            command = configuration.Command(name);
        }
        catch (AmpSessionsException ex)
        {
            throw new AmpSessionsException("AmpSlashCommandUnknown", ErrorKind.InvalidArgument, ex.Problem, "/" + name,
                remedy: $"list them with {Invocation.Of(Operation.ListSlashCommands)}, define /{name} in .amp-sessions/commands/{name}.md, or start the prompt with // to send it as written");
        }
        var arguments = Arguments(command, text[(name.Length + 1)..]);
        return new ExpandedPrompt(SlashCommandTemplate.Render(command.Template, arguments), command.Name, arguments);
    }

    private static Dictionary<string, string> Arguments(SlashCommand command, string rest)
    {
        IReadOnlyList<string> words;
        try
        {
            words = CommandLine.Split(rest);
        }
        catch (AmpSessionsException ex)
        {
            throw new AmpSessionsException("AmpSlashCommandArguments", ErrorKind.InvalidArgument,
                $"The arguments of {command.Invocation} cannot be read ({ex.Problem.TrimEnd('.')})", command.Invocation,
                remedy: $"write them as name=value, quoting values with spaces: {command.Usage}");
        }
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var positional = new Queue<string>();
        foreach (var word in words)
        {
            var equals = word.IndexOf('=');
            if (equals > 0 && SlashCommandTemplate.IsParameterName(word[..equals]))
            {
                var key = word[..equals];
                if (command.Parameters.All(p => p.Name != key))
                {
                    throw new AmpSessionsException("AmpSlashCommandArguments", ErrorKind.InvalidArgument,
                        $"{command.Invocation} has no parameter '{key}' (it has {Describe(command)})", key,
                        remedy: $"write it as {command.Usage}");
                }
                if (!values.TryAdd(key, word[(equals + 1)..]))
                {
                    throw new AmpSessionsException("AmpSlashCommandArguments", ErrorKind.InvalidArgument,
                        $"{command.Invocation} was given '{key}' twice", key, remedy: $"give each parameter once: {command.Usage}");
                }
            }
            else
            {
                positional.Enqueue(word);
            }
        }
        var unfilled = command.Parameters.Where(p => !values.ContainsKey(p.Name)).ToList();
        for (var i = 0; i < unfilled.Count && positional.Count > 0; i++)
        {
            // The last parameter takes the rest of the words: /review error handling and logging.
            values[unfilled[i].Name] = i == unfilled.Count - 1 ? string.Join(' ', positional) : positional.Dequeue();
            if (i == unfilled.Count - 1)
            {
                positional.Clear();
            }
        }
        if (positional.Count > 0)
        {
            throw new AmpSessionsException("AmpSlashCommandArguments", ErrorKind.InvalidArgument,
                $"{command.Invocation} was given more words than it has parameters ('{string.Join(' ', positional)}' left over)", command.Invocation,
                remedy: $"name the values or quote them: {command.Usage}");
        }
        var missing = command.Parameters.Where(p => p.Required && !values.ContainsKey(p.Name)).Select(p => p.Name).ToList();
        if (missing.Count > 0)
        {
            throw new AmpSessionsException("AmpSlashCommandArgumentMissing", ErrorKind.InvalidArgument,
                $"{command.Invocation} needs {string.Join(" and ", missing)}", command.Invocation,
                remedy: $"give {(missing.Count == 1 ? "it" : "them")} like this: {command.Usage}");
        }
        foreach (var parameter in command.Parameters.Where(p => !values.ContainsKey(p.Name)))
        {
            values[parameter.Name] = parameter.Default ?? "";
        }
        return values;
    }

    private static string Describe(SlashCommand command) =>
        command.Parameters.Count == 0 ? "none" : string.Join(", ", command.Parameters.Select(p => p.Name));
}
