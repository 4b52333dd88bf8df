using AmpSessions.Core.Batches;
using AmpSessions.Core.Git;

namespace AmpSessions.Core.Evaluation;

/// <summary>
/// Runs evaluation items: a real agent works in a session (through <paramref name="sessions"/>, the
/// same runner batches use) and its result is graded per test in a scratch worktree; the gold and
/// null reference agents skip the session and grade the base commit with or without the gold patch.
/// A case.yaml item keeps its visible grading command and gets a grade from that command's exit
/// code. Other items go to <paramref name="sessions"/> unchanged.
/// </summary>
public sealed class EvaluationItemRunner(AmpContext context, IBatchItemRunner sessions) : IBatchItemRunner
{
    private readonly EvaluationGrader grader = new(context);

    public async Task<BatchItemOutcome> RunAsync(BatchItem item, BatchItemContext itemContext, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(itemContext);
        if (item.TaskType != BatchTaskType.Evaluation)
        {
            return await sessions.RunAsync(item, itemContext, cancellationToken).ConfigureAwait(false);
        }
        var instance = itemContext.Task.Instance(item.CaseId);
        var reference = itemContext.Agent.Reference;
        if (instance is null)
        {
            if (reference != ReferenceAgent.None)
            {
                return Failed("reference agents grade instances files only (a case.yaml has no gold patch)");
            }
            var checkedOutcome = await sessions.RunAsync(item, itemContext, cancellationToken).ConfigureAwait(false);
            return checkedOutcome with { Grade = await FromVisibleCheckAsync(item, itemContext, checkedOutcome, cancellationToken).ConfigureAwait(false) };
        }

        var prefix = Path.ChangeExtension(itemContext.LogPath, null);
        var scratch = $"{itemContext.BatchId}-{item.Id}-{itemContext.Attempt}";
        if (reference != ReferenceAgent.None)
        {
            return await RunReferenceAsync(reference, instance, itemContext, prefix, scratch, cancellationToken).ConfigureAwait(false);
        }

        var outcome = await sessions.RunAsync(item, itemContext, cancellationToken).ConfigureAwait(false);
        if (outcome.Status == BatchItemStatus.Error || outcome.SessionId is null)
        {
            return outcome with { Status = BatchItemStatus.Error, Grade = InstanceGrade.Failure(outcome.Error ?? "the agent did not finish") };
        }
        var head = await SessionHeadAsync(outcome.SessionId, cancellationToken).ConfigureAwait(false);
        if (head is null)
        {
            return outcome with { Status = BatchItemStatus.Error, Grade = InstanceGrade.Failure($"the branch of session {outcome.SessionId} is gone, so its work cannot be graded") };
        }
        var patchPath = await WritePatchAsync(instance, head, prefix, cancellationToken).ConfigureAwait(false);
        var grade = await grader.GradeAsync(new GradingRequest
        {
            Instance = instance,
            Commit = head,
            FromAgent = true,
            ArtifactPrefix = prefix,
            ScratchName = scratch,
            Timeout = itemContext.Timeout,
        }, cancellationToken).ConfigureAwait(false) with { PatchPath = patchPath };
        return outcome with { Status = StatusOf(grade.Resolution), Error = ErrorOf(grade), GradingExitCode = grade.ExitCode, Grade = grade };
    }

    private async Task<BatchItemOutcome> RunReferenceAsync(ReferenceAgent reference, EvaluationInstance instance, BatchItemContext itemContext,
        string prefix, string scratch, CancellationToken cancellationToken)
    {
        if (reference == ReferenceAgent.Gold && string.IsNullOrWhiteSpace(instance.GoldPatch))
        {
            return Failed($"instance '{instance.InstanceId}' has no gold patch (\"patch\"), so the gold agent has nothing to apply");
        }
        var candidate = reference == ReferenceAgent.Gold ? instance.GoldPatch! : "";
        var patchPath = prefix + ".patch";
        await File.WriteAllTextAsync(patchPath, candidate, cancellationToken).ConfigureAwait(false);
        await File.AppendAllTextAsync(itemContext.LogPath, $"# {reference.ToString().ToLowerInvariant()} reference agent on {instance.InstanceId} at {instance.BaseCommit}\n", cancellationToken).ConfigureAwait(false);
        var grade = await grader.GradeAsync(new GradingRequest
        {
            Instance = instance,
            Commit = instance.BaseCommit,
            CandidatePatch = candidate,
            ArtifactPrefix = prefix,
            ScratchName = scratch,
            Timeout = itemContext.Timeout,
        }, cancellationToken).ConfigureAwait(false) with { PatchPath = patchPath };
        return new BatchItemOutcome
        {
            Status = StatusOf(grade.Resolution),
            Error = ErrorOf(grade),
            FilesChanged = TestCommand.FilesOf(candidate).Count,
            GradingExitCode = grade.ExitCode,
            Grade = grade,
        };
    }

    /// <summary>A case.yaml's grade: its command ran visibly as the session's check, so its last exit code decides.</summary>
    private async Task<InstanceGrade> FromVisibleCheckAsync(BatchItem item, BatchItemContext itemContext, BatchItemOutcome outcome, CancellationToken cancellationToken)
    {
        string? patchPath = null;
        if (outcome.SessionId is { } sessionId && context.Sessions.Get(sessionId) is { } session
            && await SessionHeadAsync(sessionId, cancellationToken).ConfigureAwait(false) is { } head)
        {
            patchPath = Path.ChangeExtension(itemContext.LogPath, ".patch");
            var git = new GitClient(item.RepositoryPath, context.Options.GitExecutable);
            await File.WriteAllTextAsync(patchPath, await git.DiffPatchAsync(["--binary", session.BaseCommit, head], cancellationToken: cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        }
        return new InstanceGrade
        {
            Resolution = outcome.Status switch
            {
                BatchItemStatus.Passed => Resolution.Resolved,
                BatchItemStatus.Failed => Resolution.Unresolved,
                _ => Resolution.Error,
            },
            Method = GradingMethod.ExitCode,
            ExitCode = outcome.GradingExitCode,
            PatchPath = patchPath,
            Message = outcome.Status == BatchItemStatus.Error ? outcome.Error : null,
        };
    }

    private async Task<string?> SessionHeadAsync(string sessionId, CancellationToken cancellationToken)
    {
        if (context.Sessions.Get(sessionId) is not { } session)
        {
            return null;
        }
        var git = new GitClient(session.RepoRoot, context.Options.GitExecutable);
        return await git.ResolveCommitAsync("refs/heads/" + session.BranchName, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The agent's work as SWE-bench's model_patch: the diff from the base commit to the session's last commit.</summary>
    private async Task<string> WritePatchAsync(EvaluationInstance instance, string head, string prefix, CancellationToken cancellationToken)
    {
        var git = new GitClient(instance.RepositoryPath, context.Options.GitExecutable);
        var patch = await git.DiffPatchAsync(["--binary", instance.BaseCommit, head], cancellationToken: cancellationToken).ConfigureAwait(false);
        var path = prefix + ".patch";
        await File.WriteAllTextAsync(path, patch, cancellationToken).ConfigureAwait(false);
        return path;
    }

    private static BatchItemOutcome Failed(string message) => new()
    {
        Status = BatchItemStatus.Error,
        Error = message,
        Grade = InstanceGrade.Failure(message),
    };

    internal static BatchItemStatus StatusOf(Resolution resolution) => resolution switch
    {
        Resolution.Resolved => BatchItemStatus.Passed,
        Resolution.Error => BatchItemStatus.Error,
        _ => BatchItemStatus.Failed,
    };

    private static string? ErrorOf(InstanceGrade grade) => grade.Resolution switch
    {
        Resolution.Resolved => null,
        Resolution.Error => grade.Message,
        _ => $"{grade.Resolution}: FAIL_TO_PASS {grade.FailToPassText}, PASS_TO_PASS {grade.PassToPassText}{(grade.Message is null ? "" : "; " + grade.Message)}",
    };
}
