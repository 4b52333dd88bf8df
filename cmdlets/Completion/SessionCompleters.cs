using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using AmpSessions.Core;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Sessions;
using AmpSessions.Core.Storage;

namespace AmpSessions.Module.Completion;

/// <summary>Completes session ids (showing names) from the store the command would use.</summary>
public sealed class SessionIdCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        SessionCompletion.Complete(fakeBoundParameters, wordToComplete, s => s.Id);
}

/// <summary>Completes session names from the store the command would use.</summary>
public sealed class SessionNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        SessionCompletion.Complete(fakeBoundParameters, wordToComplete, s => s.Name);
}

internal static class SessionCompletion
{
    public static IEnumerable<CompletionResult> Complete(IDictionary fakeBoundParameters, string wordToComplete, Func<Session, string> value)
    {
        var word = CompletionText.Unquote(wordToComplete);
        return ListSessions(fakeBoundParameters)
            .Where(s => value(s).StartsWith(word, StringComparison.OrdinalIgnoreCase) || s.Id.StartsWith(word, StringComparison.OrdinalIgnoreCase))
            .Select(s => new CompletionResult(CompletionText.Quote(value(s)), $"{s.Id}  {s.Name}", CompletionResultType.ParameterValue,
                $"{s.Name} ({s.Status}) {s.BranchName}"))
            .ToArray();
    }

    // Completion never creates a data directory or fails: no store yet means nothing to offer.
    private static IReadOnlyList<Session> ListSessions(IDictionary fakeBoundParameters)
    {
        var dataPath = fakeBoundParameters["DataPath"] as string;
        var root = Path.GetFullPath(string.IsNullOrWhiteSpace(dataPath) ? DataDirectory.DefaultRoot() : CompletionText.FromCurrentLocation(dataPath));
        if (!File.Exists(Path.Combine(root, DataDirectory.DatabaseFileName)))
        {
            return [];
        }
        try
        {
            return AmpContext.Open(root).Sessions.List();
        }
        catch (AmpSessionsException)
        {
            return [];
        }
    }
}
