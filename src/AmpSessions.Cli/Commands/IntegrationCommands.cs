using System.CommandLine;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Integration;
using static AmpSessions.Cli.Commands.CommandContext;

namespace AmpSessions.Cli.Commands;

/// <summary>Bringing a session's work back: squash, rebase (--continue, --abort), merge, export, restore.</summary>
internal static class IntegrationCommands
{
    public static void AddTo(RootCommand root)
    {
        AddSquash(root);
        AddRebase(root);
        AddMerge(root);
        AddExport(root);
        AddRestore(root);
    }

    private static IntegrationService Integration(ParseResult parseResult) => new(OpenContext(parseResult));

    private static void AddSquash(RootCommand root)
    {
        var session = SessionArgument();
        var message = new Option<string?>("--message", "-m") { Description = "The squashed commit's message (default: the session's name over the commits' subjects)." };
        root.Add("squash", "Squash all the session's commits since it left the base into one (a backup ref is kept first).", async (p, output, ct) =>
        {
            var result = await Integration(p).SquashAsync(p.GetValue(session)!, p.GetValue(message), ct);
            output.Result(result, r =>
            {
                output.Line(r.Changed
                    ? $"Squashed {AmpSessions.Core.Display.DisplayFormat.Plural(r.SquashedCommitCount, "commit")} of session {r.Session.Id} into {Short(r.NewHead)} {FirstLine(r.Message)}"
                    : $"Session {r.Session.Id} already has one commit with that message: nothing to squash.");
                if (r.BackupRef is not null)
                {
                    output.Line($"Backup: {r.BackupRef}");
                }
            });
            return CliApplication.Success;
        }, session, message);
    }

    private static void AddRebase(RootCommand root)
    {
        var session = SessionArgument();
        var onto = new Option<string?>("--onto") { Description = "Rebase onto this branch instead of the session's base; it becomes the session's base.", HelpName = "branch" };
        var resume = new Option<bool>("--continue") { Description = "Continue a rebase stopped on conflicts once they are resolved and added." };
        var abort = new Option<bool>("--abort") { Description = "Abandon the rebase in progress: branch, index and worktree as they were before it." };
        root.Add("rebase", "Rebase the session's commits onto its base (a backup ref is kept first); on conflicts, resolve and --continue, or --abort.", async (p, output, ct) =>
        {
            if (p.GetValue(resume) && p.GetValue(abort) || (p.GetValue(resume) || p.GetValue(abort)) && p.GetValue(onto) is not null)
            {
                throw new AmpSessionsException("AmpUsageConflictingOptions", ErrorKind.InvalidArgument,
                    "--continue, --abort and --onto cannot be combined: give one of them (or none to start a rebase onto the base).");
            }
            var integration = Integration(p);
            var id = p.GetValue(session)!;
            var result = p.GetValue(resume) ? await integration.ContinueRebaseAsync(id, ct)
                : p.GetValue(abort) ? await integration.AbortRebaseAsync(id, ct)
                : await integration.RebaseAsync(id, p.GetValue(onto), ct);
            output.Result(result, r => RenderRebase(r, output));
            return ConflictExit(result, output);
        }, session, onto, resume, abort);
    }

    private static void RenderRebase(RebaseResult r, Output output)
    {
        switch (r.Outcome)
        {
            case RebaseOutcome.Succeeded:
                output.Line(r.AlreadyUpToDate
                    ? $"Session {r.Session.Id} is already on {r.Onto} ({Short(r.OntoCommit)}): nothing to rebase."
                    : $"Rebased session {r.Session.Id} onto {r.Onto} ({Short(r.OntoCommit)}): head {Short(r.NewHead)}.");
                break;
            case RebaseOutcome.Aborted:
                output.Line($"Aborted the rebase of session {r.Session.Id}: head back at {Short(r.NewHead)}.");
                break;
            case RebaseOutcome.Conflicted:
                output.Line($"Conflicts while applying {Short(r.StoppedAtCommit)} {r.StoppedAtSubject} onto {r.Onto}:");
                foreach (var path in r.ConflictedPaths)
                {
                    output.Line($"  {path}");
                }
                break;
        }
        if (r.BackupRef is not null && r.Outcome != RebaseOutcome.Conflicted)
        {
            output.Line($"Backup: {r.BackupRef}");
        }
    }

    /// <summary>A rebase stopped on conflicts is a failure for scripts: exit 1 with one stderr line saying what to do.</summary>
    private static int ConflictExit(RebaseResult? rebase, Output output)
    {
        if (rebase is not { Outcome: RebaseOutcome.Conflicted } r)
        {
            return CliApplication.Success;
        }
        output.Note($"amp-sessions: rebase of session {r.Session.Id} onto {r.Onto} stopped on conflicts in {r.ConflictedPaths.Count} file{(r.ConflictedPaths.Count == 1 ? "" : "s")}: " +
            $"resolve them in {r.Session.WorktreePath}, `git add` them, then run `amp-sessions rebase {r.Session.Id} --continue` (or `--abort`).");
        return CliApplication.Failed;
    }

    private static void AddMerge(RootCommand root)
    {
        var session = SessionArgument();
        var squash = new Option<bool>("--squash") { Description = "Squash the session's commits into one first." };
        var message = new Option<string?>("--message", "-m") { Description = "The squashed commit's message (with --squash); also given to --pr-script." };
        var noRebase = new Option<bool>("--no-rebase") { Description = "Do not rebase first; the base must not have moved." };
        var prScript = new Option<string?>("--pr-script")
        {
            Description = "Instead of moving the base, run this command through the shell in the worktree with AMP_SESSION_ID, AMP_SESSION_BRANCH, AMP_SESSION_BASE, " +
                "AMP_SESSION_TITLE, AMP_SESSION_MESSAGE, AMP_SESSION_WORKTREE and AMP_SESSION_HEAD set.",
            HelpName = "command",
        };
        root.Add("merge", "Squash (optional), rebase and fast-forward the base branch to the session's work; never forces (a backup ref is kept first).", async (p, output, ct) =>
        {
            var result = await Integration(p).MergeAsync(p.GetValue(session)!, new MergeOptions
            {
                Squash = p.GetValue(squash),
                Message = p.GetValue(message),
                NoRebase = p.GetValue(noRebase),
                PullRequestScript = p.GetValue(prScript),
            }, ct);
            output.Result(result, r =>
            {
                if (r.Squash is { Changed: true } s)
                {
                    output.Line($"Squashed {AmpSessions.Core.Display.DisplayFormat.Plural(s.SquashedCommitCount, "commit")} into {Short(s.NewHead)} {FirstLine(s.Message)}");
                }
                if (r.Rebase is { } rebase)
                {
                    RenderRebase(rebase with { BackupRef = null }, output);
                }
                switch (r.Method)
                {
                    case MergeMethod.FastForwardInWorktree:
                        output.Line($"Merged session {r.Session.Id} into {r.BaseBranch}: fast-forward {Short(r.OldBaseCommit)}..{Short(r.NewBaseCommit)} in {r.MergedInWorktree}");
                        break;
                    case MergeMethod.RefUpdate:
                        output.Line($"Merged session {r.Session.Id} into {r.BaseBranch}: fast-forward {Short(r.OldBaseCommit)}..{Short(r.NewBaseCommit)} (not checked out anywhere)");
                        break;
                    case MergeMethod.PullRequestScript:
                        Console.Out.Write(r.PullRequestScript!.StandardOutput);
                        output.Line($"Ran the pull request script for session {r.Session.Id}; {r.BaseBranch} was not changed.");
                        break;
                }
                output.Line($"Backup: {r.BackupRef}");
            });
            return ConflictExit(result.Rebase, output);
        }, session, squash, message, noRebase, prScript);
    }

    private static void AddExport(RootCommand root)
    {
        var session = SessionArgument();
        var outputPath = new Option<string?>("--output", "-o") { Description = "The patch file, or a folder for it (default: <id>-<name>.patch here).", HelpName = "file" };
        var allCommits = new Option<bool>("--all-commits") { Description = "One patch per session commit instead of one patch of the whole change." };
        root.AddShortRead("export", "Write the session's committed change as a patch file that `git am` applies on the base.", async (p, output, ct) =>
        {
            var result = await Integration(p).ExportPatchAsync(p.GetValue(session)!, p.GetValue(outputPath), squashed: !p.GetValue(allCommits), ct);
            output.Result(result, r =>
            {
                output.Line($"Wrote {r.OutputPath}: {r.PatchCount} patch{(r.PatchCount == 1 ? "" : "es")} from {r.CommitCount} commit{(r.CommitCount == 1 ? "" : "s")}, " +
                    $"{r.Files.Count} file{(r.Files.Count == 1 ? "" : "s")}, on {Short(r.MergeBase)}.");
                if (r.UncommittedChangeCount > 0)
                {
                    output.Note($"Note: {r.UncommittedChangeCount} uncommitted change{(r.UncommittedChangeCount == 1 ? " is" : "s are")} not in the patch; commit them first to include them.");
                }
            });
            return CliApplication.Success;
        }, session, outputPath, allCommits);
    }

    private static void AddRestore(RootCommand root)
    {
        var session = SessionArgument();
        var backup = new Option<string?>("--backup") { Description = "The backup to restore (a name from `amp-sessions backups`; default: the latest).", HelpName = "name" };
        root.Add("restore", "Put the session's branch and worktree back to a backup (the current state is backed up first).", async (p, output, ct) =>
        {
            var result = await Integration(p).RestoreAsync(p.GetValue(session)!, p.GetValue(backup), ct);
            output.Result(result, r =>
            {
                output.Line($"Restored session {r.Session.Id} to backup {r.Backup.Name}: branch at {Short(r.NewHead)} (was {Short(r.OldHead)}), " +
                    (r.WorktreeFromSnapshot ? "worktree and index from the backup's snapshot." : "worktree clean at that commit."));
                output.Line($"The state before is kept in {r.SafetyBackupRef}");
            });
            return CliApplication.Success;
        }, session, backup);
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0];
}
