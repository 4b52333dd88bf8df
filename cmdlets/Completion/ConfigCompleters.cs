using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using AmpSessions.Core.Configuration;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Storage;

namespace AmpSessions.Module.Completion;

/// <summary>A completer over the configuration the command would read (nothing when it cannot be read).</summary>
public abstract class ConfigurationCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        ConfigCompletion.Load(fakeBoundParameters) is { } configuration
            ? Complete(configuration, parameterName, CompletionText.Unquote(wordToComplete)).ToArray()
            : [];

    protected abstract IEnumerable<CompletionResult> Complete(EffectiveConfiguration configuration, string parameterName, string word);
}

/// <summary>Completes configuration keys (settings, section entries and their keys) as the current location's repository sees them.</summary>
public sealed class ConfigKeyCompleter : ConfigurationCompleter
{
    protected override IEnumerable<CompletionResult> Complete(EffectiveConfiguration configuration, string parameterName, string word) =>
        configuration.List()
            .Where(s => s.Key.StartsWith(word, StringComparison.OrdinalIgnoreCase))
            .Select(s => new CompletionResult(s.Key, s.Key, CompletionResultType.ParameterValue, $"{s.DisplayValue} (from {s.Source})"));
}

internal static class ConfigCompletion
{
    /// <summary>
    /// The configuration the command would read: its -DataPath (else the default data directory) and
    /// the repository of its -RepoPath or the current location. Never creates anything; a file with
    /// errors, or no repository, gives what can be read (or null).
    /// </summary>
    public static EffectiveConfiguration? Load(IDictionary fakeBoundParameters)
    {
        var dataPath = fakeBoundParameters["DataPath"] as string;
        var dataRoot = Path.GetFullPath(string.IsNullOrWhiteSpace(dataPath) ? DataDirectory.DefaultRoot() : CompletionText.FromCurrentLocation(dataPath));
        var repoPath = fakeBoundParameters["RepoPath"] as string;
        var service = new ConfigurationService(dataRoot);
        try
        {
            var root = service.FindRepositoryRootAsync(null, CompletionText.FromCurrentLocation(string.IsNullOrWhiteSpace(repoPath) ? "." : repoPath)).GetAwaiter().GetResult();
            return service.Load(root);
        }
        catch (AmpSessionsException)
        {
            return null;
        }
    }
}

/// <summary>Completes names from the configuration by parameter: -Environment, -Preset, -McpServer, -Agent.</summary>
public sealed class ConfigNameCompleter : ConfigurationCompleter
{
    protected override IEnumerable<CompletionResult> Complete(EffectiveConfiguration configuration, string parameterName, string word)
    {
        IEnumerable<(string Name, string Tip)> names = parameterName switch
        {
            "Environment" => configuration.Environments.Values.Select(e => (e.Name, $"{(e.Ci ? "CI; " : "")}{e.Where}")),
            "Preset" => configuration.Presets.Values.Select(p => (p.Name, p.Description ?? p.Where)),
            "McpServer" => configuration.McpServers.Values.Select(m => (m.Name, m.Url ?? m.Command ?? m.Where)),
            "Agent" => configuration.Agents.Values.Select(a => (a.Name, $"{AmpSessions.Core.Configuration.AgentProfile.TypeName(a.Type)}{(a.AgentMode is null ? "" : ", mode " + a.AgentMode)}; {a.Where}")),
            _ => [],
        };
        return names.Where(n => n.Name.StartsWith(word, StringComparison.OrdinalIgnoreCase))
            .OrderBy(n => n.Name, StringComparer.Ordinal)
            .Select(n => new CompletionResult(CompletionText.Quote(n.Name), n.Name, CompletionResultType.ParameterValue, n.Tip));
    }
}

/// <summary>Completes slash command names (Get-AmpSlashCommand -Name).</summary>
public sealed class SlashCommandNameCompleter : ConfigurationCompleter
{
    protected override IEnumerable<CompletionResult> Complete(EffectiveConfiguration configuration, string parameterName, string word) =>
        configuration.Commands.Values
            .Where(c => c.Name.StartsWith(word.TrimStart('/'), StringComparison.OrdinalIgnoreCase))
            .OrderBy(c => c.Name, StringComparer.Ordinal)
            .Select(c => new CompletionResult(c.Name, c.Invocation, CompletionResultType.ParameterValue, $"{c.Usage}  {c.Description}"));
}

/// <summary>
/// Completes a -Prompt that starts with a slash: the command names (/fix-ci), then, after the name, the
/// parameters not given yet (job=). Any other prompt gets no completion.
/// </summary>
public sealed class SlashPromptCompleter : ConfigurationCompleter
{
    protected override IEnumerable<CompletionResult> Complete(EffectiveConfiguration configuration, string parameterName, string word)
    {
        if (!word.StartsWith('/') || word.StartsWith("//", StringComparison.Ordinal))
        {
            return [];
        }
        var commands = configuration.Commands;
        var space = word.IndexOf(' ');
        if (space < 0)
        {
            return commands.Values.Where(c => c.Invocation.StartsWith(word, StringComparison.OrdinalIgnoreCase))
                .OrderBy(c => c.Name, StringComparer.Ordinal)
                .Select(c => new CompletionResult(CompletionText.Quote(c.Parameters.Count == 0 ? c.Invocation : c.Invocation + " "), c.Invocation, CompletionResultType.ParameterValue, $"{c.Usage}  {c.Description}"))
                .ToArray();
        }
        if (!commands.TryGetValue(word[1..space], out var command))
        {
            return [];
        }
        // Complete the word being typed as a parameter name the prompt has not given yet.
        var lastSpace = word.LastIndexOf(' ');
        var head = word[..(lastSpace + 1)];
        var partial = word[(lastSpace + 1)..];
        if (partial.Contains('='))
        {
            return [];
        }
        return command.Parameters.Where(p => p.Name.StartsWith(partial, StringComparison.OrdinalIgnoreCase) && !head.Contains(" " + p.Name + "=", StringComparison.Ordinal))
            .Select(p => new CompletionResult(CompletionText.Quote(head + p.Name + "="), p.Name + "=", CompletionResultType.ParameterValue,
                $"{(p.Required ? "required" : $"default: {p.Default}")}{(p.Description is null ? "" : " - " + p.Description)}"))
            .ToArray();
    }
}
