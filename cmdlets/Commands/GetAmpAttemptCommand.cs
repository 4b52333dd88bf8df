using System.Management.Automation;
using AmpSessions.Core.Attempts;

namespace AmpSessions.Module.Commands;

/// <summary>Compares the attempts of a best-of-N group (tests, regressions, diff size, tokens, cost, time) and proposes one.</summary>
[Cmdlet(VerbsCommon.Get, Nouns.Attempt)]
[OutputType(typeof(AttemptComparison))]
public sealed class GetAmpAttemptCommand : AmpCmdlet
{
    /// <summary>The attempt group, or the id of one of its sessions.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("AttemptGroup", "SessionId")]
    [ValidateNotNullOrEmpty]
    public string[] Group { get; set; } = [];

    protected override void ProcessRecord()
    {
        foreach (var group in Group)
        {
            try
            {
                WriteObject(RunOnPipeline((events, ct) => new AttemptService(Context).CompareAsync(group, ct)));
            }
            catch (Exception ex) when (Infrastructure.ErrorRecords.IsPipelineItemFailure(ex))
            {
                WriteFailure(ex, group);
            }
        }
    }
}
