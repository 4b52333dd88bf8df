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

    /// <summary>
    /// Land all the sessions given (over the whole pipeline) as one merge queue: conflicts predicted
    /// with git merge-tree, the most work that does not conflict landed, each rebased and tested first.
    /// Each landed session's merge is written; each one left out is an AmpQueueSkipped error with the reason.
    /// </summary>
    [Parameter]
    public SwitchParameter Queue { get; set; }

    /// <summary>With -Queue: the branch the sessions land on (default: the base they share).</summary>
    [Parameter]
    [Alias("Base")]
    [ValidateNotNullOrEmpty]
    public string? BaseBranch { get; set; }

    private readonly List<string> queued = [];

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        if (!Queue && BaseBranch is not null || Queue && (NoRebase || PullRequestScript is not null || Message is not null))
        {
            ThrowTerminatingError(ErrorRecords.From(new Core.Errors.AmpSessionsException("AmpUsageConflictingOptions", Core.Errors.ErrorKind.InvalidArgument,
                Queue ? "-Queue rebases and fast-forwards each session itself: leave out -NoRebase, -PullRequestScript and -Message."
                      : "-BaseBranch is for -Queue: add -Queue, or leave -BaseBranch out to merge into each session's own base."), null));
        }
    }

    protected override void ProcessRecord()
    {
        if (Queue)
        {
            queued.AddRange(ParameterSetName == SessionParameterSet ? Session.Select(s => s.Id) : Id);
            return;
        }
        MergeEach();
    }

    protected override void EndProcessing()
    {
        if (!Queue || queued.Count == 0 || !ShouldProcess($"{queued.Count} sessions ({string.Join(", ", queued)})",
            $"Land them on {BaseBranch ?? "their base"} as a merge queue: rebase, test and fast-forward each that does not conflict (backup refs are kept)"))
        {
            return;
        }
        try
        {
            var result = RunOnPipeline((events, ct) => new MergeQueue(Context).RunAsync(new MergeQueueRequest
            {
                Sessions = queued,
                BaseBranch = BaseBranch,
                Squash = Squash,
            }, events.Verbose, ct));
            WriteObject(result.Landings.Select(l => l.Merge!), enumerateCollection: true);
            foreach (var skip in result.Skipped)
            {
                WriteError(ErrorRecords.From(new Core.Errors.AmpSessionsException("AmpQueueSkipped", Core.Errors.ErrorKind.InvalidOperation,
                    $"Session {skip.Id} was left out of the merge queue: {skip.Reason}", skip.Id), skip.Id));
            }
        }
        catch (Exception ex) when (ErrorRecords.IsPipelineItemFailure(ex))
        {
            WriteFailure(ex, queued);
        }
    }

    private void MergeEach() =>
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
