using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using AmpSessions.Core;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Sessions;
using AmpSessions.Core.Storage;

namespace AmpSessions.Module.Completion;

/// <summary>
/// Completes -Id, which takes an id, an id prefix or a name: a word that starts an id completes to
/// the id, one that starts a name to the (quoted) name; the list shows both.
/// </summary>
public sealed class SessionIdCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        SessionCompletion.Complete(fakeBoundParameters, wordToComplete,
            (s, word) => s.Name.StartsWith(word, StringComparison.OrdinalIgnoreCase) || s.Id.StartsWith(word, StringComparison.OrdinalIgnoreCase),
            (s, word) => s.Id.StartsWith(word, StringComparison.OrdinalIgnoreCase) ? s.Id : s.Name);
}

/// <summary>Completes session names from the store the command would use.</summary>
public sealed class SessionNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        // Names only: -Name takes a name, so a session whose id happens to start with the word is not one it means.
        SessionCompletion.Complete(fakeBoundParameters, wordToComplete, (s, word) => s.Name.StartsWith(word, StringComparison.OrdinalIgnoreCase), (s, _) => s.Name);
}

internal static class SessionCompletion
{
    /// <summary>The sessions <paramref name="matches"/> picks for the word, each completed to the value <paramref name="value"/> picks.</summary>
    public static IEnumerable<CompletionResult> Complete(IDictionary fakeBoundParameters, string wordToComplete,
        Func<Session, string, bool> matches, Func<Session, string, string> value)
    {
        var word = CompletionText.Unquote(wordToComplete);
        return ListSessions(fakeBoundParameters)
            .Where(s => matches(s, word))
            .Select(s => new CompletionResult(CompletionText.Quote(value(s, word)), $"{s.Id}  {s.Name}", CompletionResultType.ParameterValue,
                $"{s.Name} ({s.Status}) {s.BranchName}"))
            .ToArray();
    }

    private static IReadOnlyList<Session> ListSessions(IDictionary fakeBoundParameters) =>
        StoreCompletion.Read(fakeBoundParameters, context => context.Sessions.List()) ?? [];
}

/// <summary>Completes saved template names from the store the command would use.</summary>
public sealed class TemplateNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var word = CompletionText.Unquote(wordToComplete);
        return (StoreCompletion.Read(fakeBoundParameters, context => context.Templates.List()) ?? [])
            .Where(t => t.Name.StartsWith(word, StringComparison.OrdinalIgnoreCase))
            .Select(t => new CompletionResult(CompletionText.Quote(t.Name), t.Name, CompletionResultType.ParameterValue, t.Prompt.ReplaceLineEndings(" ")))
            .ToArray();
    }
}

internal static class StoreCompletion
{
    /// <summary>
    /// Reads from the store the command would use (its -DataPath, else the default). Completion never
    /// creates a data directory or fails: no store yet, or one that cannot be read, gives null.
    /// </summary>
    public static T? Read<T>(IDictionary fakeBoundParameters, Func<AmpContext, T> read) where T : class
    {
        var dataPath = CompletionText.Single(fakeBoundParameters["DataPath"]);
        var root = Path.GetFullPath(string.IsNullOrWhiteSpace(dataPath) ? DataDirectory.DefaultRoot() : CompletionText.FromCurrentLocation(dataPath));
        if (!File.Exists(Path.Combine(root, DataDirectory.DatabaseFileName)))
        {
            return null;
        }
        try
        {
            return read(AmpContext.Open(root));
        }
        catch (AmpSessionsException)
        {
            return null;
        }
    }
}
