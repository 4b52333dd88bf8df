using System.Management.Automation;
using AmpSessions.Core.Integration;
using AmpSessions.Module.Infrastructure;

namespace AmpSessions.Module.Commands;

/// <summary>
/// Brings sessions' work into their base branch: squash (optional), rebase, then a fast-forward of
/// the base, or the user's pull request script instead. It moves a branch the user owns, so it asks first.
/// </summary>
[Cmdlet(VerbsData.Merge, Nouns.Session, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = IdParameterSet)]
[OutputType(typeof(MergeResult))]
public sealed class MergeAmpSessionCommand : AmpSessionCmdlet
{
    [Parameter]
    public SwitchParameter Squash { get; set; }

    /// <summary>The squashed commit's message (with -Squash); also given to the pull request script.</summary>
    [Parameter]
    [Alias("m")]
    [ValidateNotNullOrEmpty]
    public string? Message { get; set; }

    [Parameter]
    public SwitchParameter NoRebase { get; set; }

    /// <summary>A command run through the platform shell in the worktree instead of moving the base.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? PullRequestScript { get; set; }

    protected override void ProcessRecord() =>
        ForEachSession(async (session, events, ct) =>
        {
            var merge = await new IntegrationService(Context).MergeAsync(session.Id, new MergeOptions
            {
                Squash = Squash,
                Message = Message,
                NoRebase = NoRebase,
                PullRequestScript = PullRequestScript,
            }, ct).ConfigureAwait(false);
            ErrorRecords.ReportConflict(events, merge.Rebase);
            return merge;
        }, PullRequestScript is not null ? $"Run the pull request script: {PullRequestScript}"
            : $"{(Squash ? "Squash, rebase" : NoRebase ? "Check" : "Rebase")} and fast-forward the base branch to the session's work (a backup ref is kept)");
}
