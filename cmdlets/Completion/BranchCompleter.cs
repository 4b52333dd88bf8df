using System.Management.Automation.Runspaces;
using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Git;

namespace AmpSessions.Module.Completion;

/// <summary>Completes local branch names of the repository in -RepoPath (default: the current location).</summary>
public sealed class BranchCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var repo = fakeBoundParameters["RepoPath"] as string;
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
}

/// <summary>Quoting and paths for completion results.</summary>
internal static class CompletionText
{
    public static string Unquote(string word) => word.Trim('\'', '"');

    /// <summary>Single-quotes a value that PowerShell would otherwise split or interpret.</summary>
    public static string Quote(string value) =>
        value.Any(c => char.IsWhiteSpace(c) || "'\"`$;,(){}@#|&<>".Contains(c))
            ? "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'"
            : value;

    /// <summary>A path relative to PowerShell's current location (completers get no cmdlet to ask).</summary>
    public static string FromCurrentLocation(string path) => Path.GetFullPath(Path.Combine(CurrentLocation(), path));

    private static string CurrentLocation()
    {
        try
        {
            return Runspace.DefaultRunspace?.SessionStateProxy.Path.CurrentFileSystemLocation.ProviderPath ?? Environment.CurrentDirectory;
        }
        catch (PSInvalidOperationException)
        {
            // Completion inside a running pipeline (PSReadLine's TabExpansion2): the session state proxy refuses
            // concurrent calls, but a nested command in the current runspace may ask.
            using var nested = PowerShell.Create(RunspaceMode.CurrentRunspace);
            return nested.AddCommand("Get-Location").Invoke<PathInfo>().FirstOrDefault()?.ProviderPath ?? Environment.CurrentDirectory;
        }
    }
}
