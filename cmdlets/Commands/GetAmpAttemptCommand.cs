using System.Management.Automation;
using AmpSessions.Core.Attempts;

namespace AmpSessions.Module.Commands;

/// <summary>Compares the attempts of a best-of-N group (tests, regressions, diff size, tokens, cost, time) and proposes one.</summary>
[Cmdlet(VerbsCommon.Get, Nouns.Attempt)]
[OutputType(typeof(AttemptComparison))]
public sealed class GetAmpAttemptCommand : AmpCmdlet
{
    /// <summary>The attempt group: its id, or the id of one of its sessions.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Group", "AttemptGroup", "SessionId")]
    [ValidateNotNullOrEmpty]
    public string[] Id { get; set; } = [];

    private readonly HashSet<string> written = new(StringComparer.Ordinal);

    protected override void ProcessRecord()
    {
        foreach (var group in Id)
        {
            try
            {
                // The attempts of one group piped in (New-AmpSession -Attempts 3 | Get-AmpAttempt) give one comparison.
                var service = new AttemptService(Context);
                if (written.Add(service.Members(group)[0].AttemptGroup!))
                {
                    WriteObject(RunOnPipeline((events, ct) => service.CompareAsync(group, ct)));
                }
            }
            catch (Exception ex) when (Infrastructure.ErrorRecords.IsPipelineItemFailure(ex))
            {
                WriteFailure(ex, group);
            }
        }
    }
}
