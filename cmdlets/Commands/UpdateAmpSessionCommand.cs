using System.Management.Automation;
using AmpSessions.Core.Integration;
using AmpSessions.Module.Completion;
using AmpSessions.Module.Infrastructure;

namespace AmpSessions.Module.Commands;

/// <summary>
/// Rebases sessions onto their base (or -Onto a branch), or continues or aborts a rebase stopped on
/// conflicts. A stop on conflicts is written as the error AmpRebaseConflict and the RebaseResult.
/// The parameter sets are the three modes, so sessions come by -Id (a piped session binds its Id).
/// </summary>
[Cmdlet(VerbsData.Update, Nouns.Session, SupportsShouldProcess = true, DefaultParameterSetName = RebaseParameterSet)]
[OutputType(typeof(RebaseResult))]
public sealed class UpdateAmpSessionCommand : AmpSessionActionCmdlet
{
    public const string RebaseParameterSet = "Rebase";
    public const string ContinueParameterSet = "Continue";
    public const string AbortParameterSet = "Abort";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("SessionId")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(SessionIdCompleter))]
    public string[] Id { get; set; } = [];

    /// <summary>Rebase onto this branch instead of the session's base; it becomes the session's base.</summary>
    [Parameter(ParameterSetName = RebaseParameterSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(BranchCompleter))]
    public string? Onto { get; set; }

    /// <summary>Continue a rebase stopped on conflicts once they are resolved and added.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ContinueParameterSet)]
    public SwitchParameter Continue { get; set; }

    /// <summary>Abandon the rebase in progress: branch, index and worktree as they were before it.</summary>
    [Parameter(Mandatory = true, ParameterSetName = AbortParameterSet)]
    public SwitchParameter Abort { get; set; }

    protected override void ProcessRecord()
    {
        var integration = new IntegrationService(Context);
        switch (ParameterSetName)
        {
            case ContinueParameterSet:
                ForEachSession(Id, async (session, events, ct) => ErrorRecords.ReportConflict(events, await integration.ContinueRebaseAsync(session.Id, ct).ConfigureAwait(false)),
                    "Continue the rebase stopped on conflicts");
                break;
            case AbortParameterSet:
                ForEachSession(Id, (session, events, ct) => integration.AbortRebaseAsync(session.Id, ct),
                    "Abort the rebase in progress (branch, index and worktree back as before it)");
                break;
            default:
                ForEachSession(Id, async (session, events, ct) => ErrorRecords.ReportConflict(events, await integration.RebaseAsync(session.Id, Onto, ct).ConfigureAwait(false)),
                    $"Rebase onto {Onto ?? "the session's base branch"} (a backup ref is kept)");
                break;
        }
    }
}
