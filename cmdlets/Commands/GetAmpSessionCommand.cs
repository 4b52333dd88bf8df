using System.Management.Automation;
using AmpSessions.Core.Sessions;
using AmpSessions.Module.Completion;

namespace AmpSessions.Module.Commands;

/// <summary>Gets sessions: all of them (newest first), or by id, id prefix, name or wildcard.</summary>
[Cmdlet(VerbsCommon.Get, Nouns.Session, DefaultParameterSetName = AllParameterSet)]
[OutputType(typeof(Session))]
[Alias("gams")]
public sealed class GetAmpSessionCommand : AmpCmdlet
{
    public const string AllParameterSet = "All";
    public const string IdParameterSet = "Id";
    public const string NameParameterSet = "Name";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = IdParameterSet)]
    [Alias("SessionId")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(SessionIdCompleter))]
    public string[] Id { get; set; } = [];

    [Parameter(Mandatory = true, ParameterSetName = NameParameterSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(SessionNameCompleter))]
    public string[] Name { get; set; } = [];

    [Parameter]
    [Alias("RepoRoot")]
    public string? RepoPath { get; set; }

    [Parameter]
    public SessionStatus? Status { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            var sessions = RunOnPipeline((events, ct) => Sessions.ListAsync(RepoPath is null ? null : ResolvePath(RepoPath), Status, ct));
            switch (ParameterSetName)
            {
                case IdParameterSet:
                    WriteMatches(sessions, Id, (s, p) => p.IsMatch(s.Id) || p.IsMatch(s.Name), id => [Sessions.Resolve(id)]);
                    break;
                case NameParameterSet:
                    WriteMatches(sessions, Name, (s, p) => p.IsMatch(s.Name), Sessions.FindByName);
                    break;
                default:
                    WriteObject(sessions, enumerateCollection: true);
                    break;
            }
        }
        catch (Exception ex) when (Infrastructure.ErrorRecords.IsPipelineItemFailure(ex))
        {
            WriteFailure(ex, RepoPath);
        }
    }

    // A pattern with wildcards filters quietly; a plain word names one session and is an error when it names none.
    private void WriteMatches(IReadOnlyList<Session> sessions, IEnumerable<string> patterns, Func<Session, WildcardPattern, bool> matches, Func<string, IReadOnlyList<Session>> resolve)
    {
        foreach (var text in patterns)
        {
            if (WildcardPattern.ContainsWildcardCharacters(text))
            {
                var pattern = WildcardPattern.Get(text, WildcardOptions.IgnoreCase);
                WriteObject(sessions.Where(s => matches(s, pattern)), enumerateCollection: true);
                continue;
            }
            try
            {
                var named = resolve(text).Select(n => n.Id).ToHashSet(StringComparer.Ordinal);
                WriteObject(sessions.Where(s => named.Contains(s.Id)), enumerateCollection: true);
            }
            catch (Exception ex) when (Infrastructure.ErrorRecords.IsPipelineItemFailure(ex))
            {
                WriteFailure(ex, text);
            }
        }
    }
}
