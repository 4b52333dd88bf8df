using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Git;

namespace AmpSessions.Module.Completion;

/// <summary>
/// Completes local branch names of the repository the command would use: -RepoPath, else the
/// repository of the session named by -Id (Update-AmpSession -Onto), else the current location.
/// </summary>
public sealed class BranchCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var repo = CompletionText.Single(fakeBoundParameters["RepoPath"]) ?? SessionRepository(fakeBoundParameters);
        var directory = CompletionText.FromCurrentLocation(string.IsNullOrWhiteSpace(repo) ? "." : repo);
        if (!Directory.Exists(directory))
        {
            return [];
        }
        const string heads = "refs/heads/";
        IReadOnlyList<(string Ref, string Commit)> refs;
        try
        {
            refs = new GitClient(directory).ListRefsAsync(heads).GetAwaiter().GetResult();
        }
        catch (AmpSessionsException)
        {
            return [];
        }
        var word = CompletionText.Unquote(wordToComplete);
        return refs
            .Select(r => r.Ref[heads.Length..])
            .Where(b => b.StartsWith(word, StringComparison.OrdinalIgnoreCase))
            .Select(b => new CompletionResult(CompletionText.Quote(b), b, CompletionResultType.ParameterValue, b))
            .ToArray();
    }

    private static string? SessionRepository(IDictionary fakeBoundParameters) =>
        CompletionText.Single(fakeBoundParameters["Id"]) is { } id
            ? StoreCompletion.Read(fakeBoundParameters, context => context.Sessions.List().Where(s => s.Id == id || s.Name == id).Select(s => s.RepoRoot).FirstOrDefault() ?? "")
            : null;
}

/// <summary>Quoting and paths for completion results.</summary>
internal static class CompletionText
{
    public static string Unquote(string word) => word.Trim('\'', '"');

    /// <summary>A bound parameter's value as one string (a string[] parameter binds an array).</summary>
    public static string? Single(object? value) => value switch
    {
        string text => text,
        object[] { Length: 1 } array => Single(array[0]),
        PSObject wrapped => Single(wrapped.BaseObject),
        _ => null,
    };

    /// <summary>Single-quotes a value that PowerShell would otherwise split or interpret.</summary>
    public static string Quote(string value) =>
        value.Any(c => char.IsWhiteSpace(c) || "'\"`$;,(){}@#|&<>".Contains(c))
            ? "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'"
            : value;

    /// <summary>A path relative to PowerShell's current location (completers get no cmdlet to ask).</summary>
    public static string FromCurrentLocation(string path) => Path.GetFullPath(Path.Combine(CurrentLocation(), path));

    // Completers run on the pipeline thread inside TabExpansion2, while a pipeline is running: the
    // runspace's SessionStateProxy refuses then ("A pipeline is already running"), but a script
    // block invoked here runs nested in that pipeline and reads the location as the command would.
    private static readonly ScriptBlock ReadLocation = ScriptBlock.Create("$ExecutionContext.SessionState.Path.CurrentFileSystemLocation.ProviderPath");

    private static string CurrentLocation()
    {
        try
        {
            return ReadLocation.Invoke().FirstOrDefault()?.BaseObject as string ?? Environment.CurrentDirectory;
        }
        catch (RuntimeException)
        {
            return Environment.CurrentDirectory;
        }
    }
}
