using System.Management.Automation;
using AmpSessions.Core.Configuration;
using AmpSessions.Module.Completion;

namespace AmpSessions.Module.Commands;

/// <summary>
/// Gets the effective configuration, one object per key with its value and the file (or default,
/// session, parameter) it came from: for the repository of the current location (or -RepoPath), or
/// as a session sees it (-Id, or a session from the pipeline).
/// </summary>
[Cmdlet(VerbsCommon.Get, Nouns.Config)]
[OutputType(typeof(ConfigSetting))]
public sealed class GetAmpConfigCommand : AmpCmdlet
{
    /// <summary>The keys to show; wildcards allowed. Default: every key.</summary>
    [Parameter(Position = 0)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ConfigKeyCompleter))]
    public string[]? Key { get; set; }

    [Parameter]
    [Alias("RepoRoot")]
    [ValidateNotNullOrEmpty]
    public string? RepoPath { get; set; }

    /// <summary>A session: its repository's file and its own values count too.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("SessionId")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(SessionIdCompleter))]
    public string? Id { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            var query = new ConfigurationQuery { RepoPath = RepoPath is null ? null : ResolvePath(RepoPath), CurrentDirectory = CurrentDirectory, Session = Id };
            var configuration = RunOnPipeline((events, ct) => new ConfigurationService(Context).LoadAsync(query, ct));
            if (Key is null)
            {
                WriteObject(configuration.List(), enumerateCollection: true);
                return;
            }
            foreach (var key in Key)
            {
                if (WildcardPattern.ContainsWildcardCharacters(key))
                {
                    var pattern = WildcardPattern.Get(key, WildcardOptions.IgnoreCase);
                    WriteObject(configuration.List().Where(s => pattern.IsMatch(s.Key)).ToArray(), enumerateCollection: true);
                }
                else
                {
                    try
                    {
                        WriteObject(configuration.Get(key));
                    }
                    catch (Exception ex) when (Infrastructure.ErrorRecords.IsPipelineItemFailure(ex))
                    {
                        WriteFailure(ex, key);
                    }
                }
            }
        }
        catch (ConfigurationFileException invalid)
        {
            // Every problem of the files, each with its file, line and column.
            foreach (var problem in invalid.Errors)
            {
                WriteFailure(new ConfigurationFileException([problem]), problem.FilePath);
            }
        }
        catch (Exception ex) when (Infrastructure.ErrorRecords.IsPipelineItemFailure(ex))
        {
            WriteFailure(ex, Id ?? RepoPath);
        }
    }
}
