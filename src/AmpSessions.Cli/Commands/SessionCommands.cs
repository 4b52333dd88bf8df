using System.CommandLine;
using AmpSessions.Core.Backups;
using AmpSessions.Core.Git;
using AmpSessions.Core.Sessions;
using static AmpSessions.Cli.Commands.CommandContext;

namespace AmpSessions.Cli.Commands;

/// <summary>The session workspace commands: new, list, status, set, diff, commit, open, cleanup, repair, backups.</summary>
internal static class SessionCommands
{
    public static void AddTo(RootCommand root)
    {
        AddNew(root);
        AddList(root);
        AddStatus(root);
        AddSet(root);
        AddDiff(root);
        AddCommit(root);
        AddOpen(root);
        AddCleanup(root);
        AddRepair(root);
        AddBackups(root);
    }

    private static void AddNew(RootCommand root)
    {
        var repo = new Option<string>("--repo") { Description = "The Git checkout to work on.", Required = true, HelpName = "path" };
        var baseBranch = new Option<string?>("--base") { Description = "The branch to start from (default: the branch checked out in the repository).", HelpName = "branch" };
        var name = new Option<string>("--name") { Description = "A short name for the goal; it becomes part of the branch name.", Required = true };
        var prompt = new Option<string>("--prompt") { Description = "What the agent should do.", Required = true };
        var script = new Option<string?>("--script") { Description = "A shell command that tests the work after each iteration (exit 0 passes).", HelpName = "command" };
        var model = new Option<string?>("--model") { Description = "A model override for the agent.", HelpName = "id" };
        var mode = new Option<string?>("--mode") { Description = "The agent mode (for Amp: low, medium, high, ...).", HelpName = "mode" };
        var branch = new Option<string?>("--branch") { Description = "An explicit branch name instead of amp/<slug>/<time>; it must not exist.", HelpName = "name" };
        var notes = new Option<string?>("--notes") { Description = "Notes for the agent's context." };
        root.Add("new", "Create a session: a branch off the base and a worktree at <repo>/.worktrees/<id>.", async (p, output, ct) =>
        {
            var session = await Sessions(p).CreateAsync(new NewSessionRequest
            {
                RepoPath = p.GetValue(repo)!,
                BaseBranch = p.GetValue(baseBranch),
                Name = p.GetValue(name)!,
                Prompt = p.GetValue(prompt)!,
                ScriptCommand = p.GetValue(script),
                ModelOverride = p.GetValue(model),
                AgentMode = p.GetValue(mode),
                BranchName = p.GetValue(branch),
                Notes = p.GetValue(notes),
            }, ct);
            output.Result(session, s =>
            {
                output.Line($"Created session {s.Id} \"{s.Name}\"");
                output.Line($"  branch:   {s.BranchName} (from {s.BaseBranch} at {Short(s.BaseCommit)})");
                output.Line($"  worktree: {s.WorktreePath}");
                output.Line($"Next: amp-sessions iterate {s.Id}");
            });
            return CliApplication.Success;
        }, repo, baseBranch, name, prompt, script, model, mode, branch, notes);
    }

    private static void AddList(RootCommand root)
    {
        var repo = new Option<string?>("--repo") { Description = "Only sessions of this repository.", HelpName = "path" };
        var status = new Option<SessionStatus?>("--status") { Description = "Only sessions in this status.", HelpName = "status" };
        root.Add("list", "List sessions, newest first.", async (p, output, ct) =>
        {
            var sessions = await Sessions(p).ListAsync(p.GetValue(repo), p.GetValue(status), ct);
            output.Result(sessions, list =>
            {
                if (list.Count == 0)
                {
                    output.Line("No sessions. Create one with: amp-sessions new --repo <path> --name <name> --prompt <prompt>");
                    return;
                }
                output.Table(["ID", "NAME", "STATUS", "BRANCH", "CREATED"],
                    list.Select(s => (IReadOnlyList<string>)[s.Id, s.Name, s.Status.ToString(), s.BranchName, s.CreatedAt.ToLocalTime().ToString("yyyy-MM-dd HH:mm")]));
            });
            return CliApplication.Success;
        }, repo, status);
    }

    private static void AddStatus(RootCommand root)
    {
        var session = SessionArgument();
        root.Add("status", "Show a session with the live state of its branch and worktree.", async (p, output, ct) =>
        {
            var state = await Sessions(p).GetStateAsync(p.GetValue(session)!, ct);
            output.Result(StatusView.From(state), _ => StatusView.Render(state, output));
            return CliApplication.Success;
        }, session);
    }

    private static void AddSet(RootCommand root)
    {
        var session = SessionArgument();
        var name = new Option<string?>("--name") { Description = "A new name (the branch keeps its name)." };
        var script = new Option<string?>("--script") { Description = "The test command run after each iteration; \"\" removes it.", HelpName = "command" };
        var model = new Option<string?>("--model") { Description = "A model override for the agent; \"\" removes it.", HelpName = "id" };
        var mode = new Option<string?>("--mode") { Description = "The agent mode; \"\" removes it.", HelpName = "mode" };
        var notes = new Option<string?>("--notes") { Description = "Notes for the agent's context; \"\" removes them." };
        root.Add("set", "Change a session's name, test script, model, agent mode or notes.", async (p, output, ct) =>
        {
            var updated = await Sessions(p).UpdateAsync(p.GetValue(session)!, new SessionUpdate
            {
                Name = p.GetValue(name),
                ScriptCommand = p.GetValue(script),
                ModelOverride = p.GetValue(model),
                AgentMode = p.GetValue(mode),
                Notes = p.GetValue(notes),
            }, ct);
            output.Result(updated, s => output.Line($"Updated session {s.Id} \"{s.Name}\""));
            return CliApplication.Success;
        }, session, name, script, model, mode, notes);
    }

    private static void AddDiff(RootCommand root)
    {
        var session = SessionArgument();
        var staged = new Option<bool>("--staged") { Description = "Only what is staged (the index against HEAD)." };
        var unstaged = new Option<bool>("--unstaged") { Description = "Only what is not staged (the working tree, untracked files included, against the index)." };
        var nameOnly = new Option<bool>("--name-only") { Description = "Only the names of changed files." };
        root.Add("diff", "Show the session's changes (default: everything since it left the base, uncommitted and untracked included).", async (p, output, ct) =>
        {
            var scope = DiffScopes.FromSwitches(p.GetValue(staged), p.GetValue(unstaged));
            var diff = await Sessions(p).DiffAsync(p.GetValue(session)!, scope, p.GetValue(nameOnly), ct);
            output.Result(diff, d =>
            {
                if (p.GetValue(nameOnly))
                {
                    foreach (var file in d.Files)
                    {
                        output.Line($"{Letter(file.Change)}\t{(file.OldPath is null ? file.Path : $"{file.OldPath} -> {file.Path}")}");
                    }
                }
                else
                {
                    Console.Out.Write(d.Patch);
                }
            });
            return CliApplication.Success;
        }, session, staged, unstaged, nameOnly);
    }

    private static void AddCommit(RootCommand root)
    {
        var session = SessionArgument();
        var message = new Option<string>("--message", "-m") { Description = "The commit message.", Required = true };
        root.Add("commit", "Commit manual changes in the session's worktree (everything changed, untracked files included).", async (p, output, ct) =>
        {
            var result = await Sessions(p).CommitAsync(p.GetValue(session)!, p.GetValue(message)!, ct);
            output.Result(result, r => output.Line($"Committed {Short(r.Commit)} {r.Subject} ({r.Files.Count} file{(r.Files.Count == 1 ? "" : "s")})"));
            return CliApplication.Success;
        }, session, message);
    }

    private static void AddOpen(RootCommand root)
    {
        var session = SessionArgument();
        var editor = new Option<string?>("--editor") { Description = "The editor command (default: $AMP_SESSIONS_EDITOR, else code).", HelpName = "command" };
        var terminal = new Option<bool>("--terminal") { Description = "Open a terminal in the worktree instead of an editor ($AMP_SESSIONS_TERMINAL chooses which)." };
        root.Add("open", "Open the session's worktree in an editor or a terminal.", async (p, output, ct) =>
        {
            var result = await Sessions(p).OpenAsync(p.GetValue(session)!, p.GetValue(editor), p.GetValue(terminal), ct);
            output.Result(result, r => output.Line($"Opened {r.Path} with {r.Program}"));
            return CliApplication.Success;
        }, session, editor, terminal);
    }

    private static void AddCleanup(RootCommand root)
    {
        var session = SessionArgument();
        var force = new Option<bool>("--force") { Description = "Clean up even with uncommitted or unmerged work (a backup ref is kept first)." };
        var purge = new Option<bool>("--purge") { Description = "Also delete the session's backup refs." };
        root.Add("cleanup", "Remove the session's worktree (and its branch once merged); the session becomes Archived.", async (p, output, ct) =>
        {
            var result = await Sessions(p).CleanupAsync(p.GetValue(session)!, p.GetValue(force), p.GetValue(purge), ct);
            output.Result(result, r =>
            {
                output.Line($"Archived session {r.Session.Id}: worktree {(r.WorktreeRemoved ? "removed" : "already gone")}, branch {(r.BranchDeleted ? "deleted" : "kept")}.");
                if (r.BackupRef is not null)
                {
                    output.Line($"Backup of the discarded work: {r.BackupRef}");
                }
                if (r.PurgedRefCount > 0)
                {
                    output.Line($"Purged {r.PurgedRefCount} backup ref{(r.PurgedRefCount == 1 ? "" : "s")}.");
                }
            });
            return CliApplication.Success;
        }, session, force, purge);
    }

    private static void AddRepair(RootCommand root)
    {
        var repo = new Option<string?>("--repo") { Description = "Only this repository.", HelpName = "path" };
        var reattach = new Option<bool>("--reattach") { Description = "Re-create missing worktrees from their branches." };
        var archive = new Option<bool>("--archive-missing") { Description = "Archive sessions whose worktree is missing." };
        var prune = new Option<bool>("--prune") { Description = "Remove clean worktrees under .worktrees/ that no session owns." };
        root.Add("repair", "Reconcile sessions with Git's worktrees: report and fix what does not match.", async (p, output, ct) =>
        {
            var report = await Sessions(p).RepairAsync(new RepairRequest
            {
                RepoPath = p.GetValue(repo),
                Reattach = p.GetValue(reattach),
                ArchiveMissing = p.GetValue(archive),
                Prune = p.GetValue(prune),
            }, ct);
            output.Result(report, r =>
            {
                if (r.IsHealthy)
                {
                    output.Line("Everything is consistent: every session has its worktree and branch.");
                    return;
                }
                foreach (var finding in r.Findings)
                {
                    output.Line($"{finding.Kind}{(finding.SessionId is null ? "" : $" [{finding.SessionId}]")}: {finding.Path}");
                    output.Line($"  {finding.Detail}; action: {finding.Action}");
                }
            });
            return CliApplication.Success;
        }, repo, reattach, archive, prune);
    }

    private static void AddBackups(RootCommand root)
    {
        var session = SessionArgument();
        root.Add("backups", "List the backup refs kept for a session (taken before squash, rebase, merge, restore and forced cleanup).", async (p, output, ct) =>
        {
            var manager = Sessions(p);
            var backups = await BackupService.ListAsync(manager.Resolve(p.GetValue(session)!), ct);
            output.Result(backups, list =>
            {
                if (list.Count == 0)
                {
                    output.Line("No backups yet.");
                    return;
                }
                output.Table(["NAME", "OPERATION", "BRANCH", "WORKTREE SNAPSHOT"],
                    list.Select(b => (IReadOnlyList<string>)[b.Name, b.Operation, Short(b.BranchCommit), b.WorktreeSnapshot is null ? "-" : Short(b.WorktreeSnapshot)]));
            });
            return CliApplication.Success;
        }, session);
    }

    internal static char Letter(FileChangeKind change) => change switch
    {
        FileChangeKind.Added => 'A',
        FileChangeKind.Deleted => 'D',
        FileChangeKind.Renamed => 'R',
        FileChangeKind.Copied => 'C',
        FileChangeKind.TypeChanged => 'T',
        FileChangeKind.Unmerged => 'U',
        _ => 'M',
    };
}
