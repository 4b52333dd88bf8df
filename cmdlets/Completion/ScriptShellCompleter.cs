using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using AmpSessions.Core.Processes;

namespace AmpSessions.Module.Completion;

/// <summary>Completes -ScriptShell with the shells the core knows.</summary>
public sealed class ScriptShellCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var word = CompletionText.Unquote(wordToComplete);
        return PlatformShell.Shells
            .Where(shell => shell.StartsWith(word, StringComparison.OrdinalIgnoreCase))
            .Select(shell => new CompletionResult(shell, shell, CompletionResultType.ParameterValue, Description(shell)))
            .ToArray();
    }

    private static string Description(string shell) => shell switch
    {
        "sh" => "/bin/sh -c (the default on Linux and macOS)",
        "cmd" => "cmd /c (the default on Windows)",
        "pwsh" => "pwsh -NoProfile -Command",
        _ => shell + " -c",
    };
}
