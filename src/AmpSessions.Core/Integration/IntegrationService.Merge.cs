using AmpSessions.Core.Events;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Git;
using AmpSessions.Core.Processes;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Core.Integration;

public sealed partial class IntegrationService
{
    /// <summary>How long a pull request script may run unless the caller says otherwise.</summary>
    public static readonly TimeSpan DefaultPullRequestScriptTimeout = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The whole flow in one step: (squash,) rebase onto the base (unless NoRebase), then bring the
    /// base forward by fast-forward only: <c>git merge --ff-only</c> in the clean worktree that has the
    /// base checked out, or a ref update checking the old value when no worktree has it; refused when
    /// that worktree is dirty. With a pull request script, the script runs instead and the base is
    /// not touched. Never forces. A backup is kept first; the session becomes Merged. A rebase that
    /// stops on conflicts ends the merge with the session Conflicted (see <see cref="MergeResult.Conflicted"/>).
    /// </summary>
    public async Task<MergeResult> MergeAsync(string reference, MergeOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new MergeOptions();
        var message = ValidateMessage(options.Message, "AmpMergeMessageEmpty");
        var script = options.PullRequestScript;
        if (script is not null && string.IsNullOrWhiteSpace(script))
        {
            throw new AmpSessionsException("AmpPullRequestScriptEmpty", ErrorKind.InvalidArgument,
                "The pull request script is empty", script,
                remedy: $"pass {Parameter.PrScript} the command that opens the pull request");
        }
        if (message is not null && !options.Squash && script is null)
        {
            throw new AmpSessionsException("AmpMergeMessageWithoutSquash", ErrorKind.InvalidArgument,
                "A merge message needs squashing (it becomes the squashed commit's message) or a pull request script (it is passed to the script): ask for one of them, or squash first with that message.", message);
        }

        using var w = await OpenAsync(reference, cancellationToken, "merge").ConfigureAwait(false);
        if (w.Session.Status == SessionStatus.Blocked)
        {
            throw Containment.Acknowledgement.BlockedError(w.Session, "merge");
        }
        MergeResult result;
        using (await LockAsync(w, "merge", cancellationToken).ConfigureAwait(false))
        {
            result = await MergeLockedAsync(w, options, message, cancellationToken).ConfigureAwait(false);
        }
        if (script is null || result.Conflicted)
        {
            return result;
        }
        // The user's script may push or call an API for a long time: not under the repository lock.
        var run = await RunPullRequestScriptAsync(w, script, message, options.PullRequestScriptTimeout ?? DefaultPullRequestScriptTimeout, cancellationToken).ConfigureAwait(false);
        var session = Save(Current(w) with { Status = SessionStatus.Merged, StatusMessage = "handed to the pull request script; the base branch was not changed" });
        result = result with { Session = session, Method = MergeMethod.PullRequestScript, PullRequestScript = run };
        context.Events.Merged(result);
        return result;
    }

    private async Task<MergeResult> MergeLockedAsync(Workspace w, MergeOptions options, string? message, CancellationToken cancellationToken)
    {
        var session = w.Session;
        if (session.Status == SessionStatus.Conflicted || GitRebaseState.Find(w.GitDir) is not null)
        {
            throw new AmpSessionsException("AmpSessionConflicted", ErrorKind.Conflict,
                $"Session {session.Id} has a rebase stopped on conflicts", session.Id,
                remedy: $"resolve them and run {Invocation.Of(Operation.Rebase, session.Id, Parameter.Continue)}, or {Parameter.Abort}, before merging");
        }
        var tip = await BranchTipAsync(w, cancellationToken).ConfigureAwait(false);
        var basePoint = await RequireBaseAsync(w, tip, allowMissingBase: false, cancellationToken).ConfigureAwait(false);
        var baseTip = basePoint.BaseTip!;
        if (await w.Repo.IsAncestorAsync(tip, baseTip, cancellationToken).ConfigureAwait(false))
        {
            throw new AmpSessionsException("AmpNothingToMerge", ErrorKind.InvalidOperation,
                $"'{session.BaseBranch}' already has every commit of session {session.Id}, so there is nothing to merge", session.Id,
                remedy: $"run {Invocation.Of(Operation.Cleanup, session.Id)} when you are done with it");
        }
        await RequireCleanAsync(w, "merge", cancellationToken).ConfigureAwait(false);
        if (options.NoRebase && !await w.Repo.IsAncestorAsync(baseTip, tip, cancellationToken).ConfigureAwait(false))
        {
            throw new AmpSessionsException("AmpFastForwardImpossible", ErrorKind.InvalidOperation,
                $"'{session.BaseBranch}' has moved on since session {session.Id} was based on it, so it cannot be fast-forwarded without a rebase", session.Id,
                remedy: $"merge without {Parameter.NoRebase}, or run {Invocation.Of(Operation.Rebase, session.Id)} first");
        }
        GitWorktree? baseCheckout = null;
        if (options.PullRequestScript is null)
        {
            // Checked before anything is rewritten, so a refusal changes nothing.
            baseCheckout = await RequireBaseCheckoutCleanAsync(w, cancellationToken).ConfigureAwait(false);
        }

        var backupRef = (await BackupAsync(w, "merge", cancellationToken).ConfigureAwait(false)).Ref;
        var squash = options.Squash ? await SquashLockedAsync(w, message, backupRef, cancellationToken).ConfigureAwait(false) : null;
        if (squash is not null)
        {
            w.CleanStatus = null;
        }
        var rebase = options.NoRebase ? null : await RebaseLockedAsync(w, onto: null, backupRef, cancellationToken).ConfigureAwait(false);
        var result = new MergeResult
        {
            Session = rebase?.Session ?? squash?.Session ?? Current(w),
            BaseBranch = session.BaseBranch, OldBaseCommit = baseTip, NewBaseCommit = baseTip, BackupRef = backupRef, Squash = squash, Rebase = rebase,
        };
        if (result.Conflicted || options.PullRequestScript is not null)
        {
            return result;
        }
        // Nothing rewritten since the checks (no squash, no rebase that moved anything), all under the
        // repository lock: where the base is checked out, and that it is clean, was just found.
        var unchanged = squash is null && rebase is null or { AlreadyUpToDate: true };
        return await FastForwardBaseAsync(w, result, unchanged ? new KnownBaseCheckout(baseCheckout) : null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Where the base is checked out (null: nowhere), as found clean by this merge's own check.</summary>
    private sealed record KnownBaseCheckout(GitWorktree? Checkout);

    /// <summary>
    /// The worktree that has the base branch checked out, if any. A worktree in the middle of
    /// rebasing the base (HEAD detached, the branch still its own) is refused: moving the branch
    /// under that rebase would collide with it when it finishes.
    /// </summary>
    private async Task<GitWorktree?> FindBaseCheckoutAsync(Workspace w, CancellationToken cancellationToken)
    {
        var baseRef = "refs/heads/" + w.Session.BaseBranch;
        var worktrees = (await w.Repo.ListWorktreesAsync(cancellationToken).ConfigureAwait(false)).Where(t => !t.IsBare && !t.IsPrunable).ToArray();
        foreach (var detached in worktrees.Where(t => t.IsDetached))
        {
            var gitDir = await Git(detached.Path).GetGitDirAsync(cancellationToken).ConfigureAwait(false);
            if (GitRebaseState.Find(gitDir)?.HeadName == baseRef)
            {
                throw new AmpSessionsException("AmpBaseBranchBusy", ErrorKind.InvalidOperation,
                    $"'{w.Session.BaseBranch}' is being rebased in '{detached.Path}': finish or abort that rebase there, then merge again.", detached.Path);
            }
        }
        return worktrees.FirstOrDefault(t => t.Branch == baseRef);
    }

    /// <summary>Where the base is checked out (null: nowhere), refusing a checkout with uncommitted changes to tracked files.</summary>
    private async Task<GitWorktree?> RequireBaseCheckoutCleanAsync(Workspace w, CancellationToken cancellationToken)
    {
        if (await FindBaseCheckoutAsync(w, cancellationToken).ConfigureAwait(false) is not { } checkout)
        {
            return null;
        }
        // Untracked files do not block a fast-forward: git refuses by itself if one would be overwritten.
        var status = await Git(checkout.Path).GetStatusAsync(includeUntracked: false, cancellationToken).ConfigureAwait(false);
        var changes = status.Changes.Select(c => c.Path).ToArray();
        if (changes.Length > 0)
        {
            throw new AmpSessionsException("AmpBaseWorktreeDirty", ErrorKind.InvalidOperation,
                $"'{w.Session.BaseBranch}' is checked out in '{checkout.Path}', which has {changes.Length} uncommitted change{(changes.Length == 1 ? "" : "s")} ({Describe(changes)}): " +
                $"merging would fast-forward that checkout under them. Commit or stash them there, then merge again.", checkout.Path);
        }
        return checkout;
    }

    private async Task<MergeResult> FastForwardBaseAsync(Workspace w, MergeResult result, KnownBaseCheckout? known, CancellationToken cancellationToken)
    {
        var baseRef = "refs/heads/" + w.Session.BaseBranch;
        var newTip = await BranchTipAsync(w, cancellationToken).ConfigureAwait(false);
        var oldTip = result.OldBaseCommit;
        if (!await w.Repo.IsAncestorAsync(oldTip, newTip, cancellationToken).ConfigureAwait(false))
        {
            throw new AmpSessionsException("AmpFastForwardImpossible", ErrorKind.InvalidOperation,
                $"'{w.Session.BaseBranch}' is not an ancestor of session {w.Session.Id}'s branch, so it cannot be fast-forwarded", w.Session.Id,
                remedy: $"run {Invocation.Of(Operation.Rebase, w.Session.Id)} and merge again");
        }
        var checkout = known is not null ? known.Checkout : await RequireBaseCheckoutCleanAsync(w, cancellationToken).ConfigureAwait(false);
        Save(Current(w) with { StatusMessage = $"merging into {w.Session.BaseBranch}: fast-forward from {Short(oldTip)} to {Short(newTip)} (backup {result.BackupRef})" });
        // Should this process die from here on, repair sees whether the base moved and settles the session.
        w.Announce(MergeIntent.BaseRef, baseRef);
        w.Announce(MergeIntent.From, oldTip);
        w.Announce(MergeIntent.To, newTip);
        MergeMethod method;
        if (checkout is not null)
        {
            var there = Git(checkout.Path);
            // The reflog entry of the fast-forward names who moved the base: with no identity configured, the
            // documented fallback identity (as every other ref AmpSessions moves), not git's guess from the
            // host. The user's configuration is read in process where libgit2 can (no extra process).
            var merge = await there.RunAsync(["merge", "--ff-only", "--no-edit", w.Session.BranchName], allowFailure: true,
                extraEnvironment: await there.GetIdentityFallbackAsync(cancellationToken).ConfigureAwait(false), cancellationToken: cancellationToken).ConfigureAwait(false);
            if (merge.ExitCode != 0)
            {
                Save(Current(w) with { StatusMessage = $"merge into {w.Session.BaseBranch} failed" });
                if (GitLfs.IsMissingFilterFailure(merge.StandardError))
                {
                    // Checking out a file kept in LFS needs git-lfs: say that, not git's filter protocol words.
                    throw GitLfs.MissingError(checkout.Path, $"'{w.Session.BaseBranch}' was not changed");
                }
                throw new AmpSessionsException("AmpFastForwardFailed", ErrorKind.ExternalTool,
                    $"git merge --ff-only in '{checkout.Path}' failed (exit {merge.ExitCode}: {merge.StandardErrorTail(3).ReplaceLineEndings(" ")}); " +
                    $"'{w.Session.BaseBranch}' was not changed. Fix what git says there (for example move an untracked file out of the way), then merge again.", checkout.Path);
            }
            method = MergeMethod.FastForwardInWorktree;
        }
        else
        {
            await w.Repo.UpdateRefAsync(baseRef, newTip, oldTip, $"amp-sessions: merge {w.Session.BranchName} (fast-forward)", cancellationToken).ConfigureAwait(false);
            method = MergeMethod.RefUpdate;
        }
        var movedTo = await w.Repo.ResolveCommitAsync(baseRef, cancellationToken).ConfigureAwait(false) ?? newTip;
        var session = Save(Current(w) with
        {
            Status = SessionStatus.Merged,
            StatusMessage = $"merged into {w.Session.BaseBranch} at {Short(movedTo)}" + (checkout is null ? "" : $" (fast-forward in {checkout.Path})"),
            BaseCommit = movedTo,
        });
        result = result with { Session = session, Method = method, NewBaseCommit = movedTo, MergedInWorktree = checkout?.Path };
        context.Events.Merged(result);
        return result;
    }

    private async Task<PullRequestScriptRun> RunPullRequestScriptAsync(Workspace w, string script, string? message, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var session = Current(w);
        var head = await BranchTipAsync(w, cancellationToken).ConfigureAwait(false);
        message ??= await w.Worktree.ReadAsync(["log", "-1", "--format=%B", head], cancellationToken).ConfigureAwait(false);
        Save(session with { StatusMessage = "running the pull request script" });
        var run = await ProcessRunner.RunAsync(PlatformShell.Command(script) with
        {
            WorkingDirectory = session.WorktreePath,
            Timeout = timeout,
            Containment = ContainmentScope.ForSession(session.Id, "pull-request"),
            Environment = new Dictionary<string, string?>
            {
                ["AMP_SESSION_ID"] = session.Id,
                ["AMP_SESSION_BRANCH"] = session.BranchName,
                ["AMP_SESSION_BASE"] = session.BaseBranch,
                ["AMP_SESSION_TITLE"] = session.Name,
                ["AMP_SESSION_MESSAGE"] = message.TrimEnd('\n'),
                ["AMP_SESSION_WORKTREE"] = session.WorktreePath,
                ["AMP_SESSION_HEAD"] = head,
            },
        }, (Func<OutputLine, LineDecision>?)null, cancellationToken).ConfigureAwait(false);
        if (run.Cancelled)
        {
            cancellationToken.ThrowIfCancellationRequested();
        }
        if (run.TimedOut)
        {
            Save(Current(w) with { StatusMessage = "the pull request script timed out" });
            throw new AmpSessionsException("AmpPullRequestScriptTimedOut", ErrorKind.Timeout,
                $"The pull request script of session {session.Id} ran longer than {timeout.TotalMinutes:0.#} minutes and was stopped; the base branch was not changed.", script);
        }
        if (run.ExitCode != 0)
        {
            Save(Current(w) with { StatusMessage = $"the pull request script failed (exit {run.ExitCode})" });
            throw new AmpSessionsException("AmpPullRequestScriptFailed", ErrorKind.ExternalTool,
                $"The pull request script of session {session.Id} failed (exit {run.ExitCode}): {run.StandardErrorTail(3).ReplaceLineEndings(" ")}; the base branch was not changed.", script);
        }
        return new PullRequestScriptRun(script, run.ExitCode, run.StandardOutput, run.StandardError, run.Duration);
    }
}
