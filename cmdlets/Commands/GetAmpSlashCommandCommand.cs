using System.Management.Automation;
using AmpSessions.Core.Configuration;
using AmpSessions.Module.Completion;

namespace AmpSessions.Module.Commands;

/// <summary>
/// Gets the slash commands a prompt can start with (New-AmpSession -Prompt '/fix-ci job=build'): the
/// built-in ones, your own and the repository's (.amp-sessions/commands/*.md and the configuration's commands).
/// </summary>
[Cmdlet(VerbsCommon.Get, Nouns.SlashCommand)]
[OutputType(typeof(SlashCommand))]
public sealed class GetAmpSlashCommandCommand : AmpCmdlet
{
    /// <summary>Command names, with or without the slash; wildcards allowed. Default: all.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(SlashCommandNameCompleter))]
    public string[]? Name { get; set; }

    [Parameter]
    [Alias("RepoRoot")]
    [ValidateNotNullOrEmpty]
    public string? RepoPath { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            var query = new ConfigurationQuery { RepoPath = RepoPath is null ? null : ResolvePath(RepoPath), CurrentDirectory = CurrentDirectory };
            var commands = RunOnPipeline((events, ct) => new ConfigurationService(Context).LoadAsync(query, ct)).Commands.Values
                .OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
            foreach (var name in Name ?? ["*"])
            {
                var bare = name.TrimStart('/');
                if (WildcardPattern.ContainsWildcardCharacters(bare))
                {
                    var pattern = WildcardPattern.Get(bare, WildcardOptions.IgnoreCase);
                    WriteObject(commands.Where(c => pattern.IsMatch(c.Name)).ToArray(), enumerateCollection: true);
                }
                else if (commands.FirstOrDefault(c => c.Name == bare) is { } command)
                {
                    WriteObject(command);
                }
                else
                {
                    WriteFailure(new Core.Errors.AmpSessionsException("AmpSlashCommandUnknown", Core.Errors.ErrorKind.NotFound,
                        $"There is no slash command /{bare} (known: {string.Join(", ", commands.Select(c => c.Invocation))})", name), name);
                }
            }
        }
        catch (ConfigurationFileException invalid)
        {
            foreach (var problem in invalid.Errors)
            {
                WriteFailure(new ConfigurationFileException([problem]), problem.FilePath);
            }
        }
        catch (Exception ex) when (Infrastructure.ErrorRecords.IsPipelineItemFailure(ex))
        {
            WriteFailure(ex, RepoPath);
        }
    }
}
