using System.CommandLine;
using AmpSessions.Core.Backups;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Git;
using AmpSessions.Core.Sessions;
using AmpSessions.Core.Templates;
using static AmpSessions.Cli.Commands.CommandContext;

namespace AmpSessions.Cli.Commands;

/// <summary>The session workspace commands: new, list, status, set, diff, commit, open, cleanup, repair, backups.</summary>
internal static class SessionCommands
{
    public static void AddTo(RootCommand root)
    {
        AddNew(root);
        AddSet(root);
        AddList(root);
        AddStatus(root);
        AddDiff(root);
        AddCommit(root);
        AddOpen(root);
        AddCleanup(root);
        AddRepair(root);
        AddBackups(root);
        AddTemplates(root);
    }

    private static void AddNew(RootCommand root)
    {
        var repo = new Option<string?>("--repo") { Description = "The Git checkout to work on (default: the template's, else the repository the current folder is in).", HelpName = "path" };
        var template = new Option<string?>("--template") { Description = "Start from a saved template (see `amp-sessions template`); options given here win.", HelpName = "name" };
        var baseBranch = new Option<string?>("--base") { Description = "The branch to start from (default: the branch checked out in the repository).", HelpName = "branch" };
        var name = new Option<string>("--name") { Description = "A short name for the goal; it becomes part of the branch name.", Required = true };
        var prompt = new Option<string?>("--prompt") { Description = "What the agent should do (required unless from a template)." };
        var script = new Option<string?>("--script") { Description = "A command that tests the work after each iteration (exit 0 passes), run by /bin/sh -c (on Debian and Ubuntu that is dash: no bash-only syntax) or cmd /c on Windows; choose another with --shell.", HelpName = "command" };
        var shell = ShellOption();
        var model = new Option<string?>("--model") { Description = "A model override for the agent.", HelpName = "id" };
        var mode = new Option<string?>("--mode") { Description = "The agent mode (for Amp: low, medium, high, ...).", HelpName = "mode" };
        var branch = new Option<string?>("--branch") { Description = "An explicit branch name instead of amp/<slug>/<time>; it must not exist.", HelpName = "name" };
        var notes = new Option<string?>("--notes") { Description = "Notes for the agent's context." };
        var agent = AgentOption();
        var timeout = IterationCommands.TimeoutOption("The time limit of one agent turn (default 30 minutes).");
        var allowTool = AllowToolOption();
        var allowAll = new Option<bool>("--allow-all-tools") { Description = "Let the agent use every tool without approval: the full-auto preset (Amp's --dangerously-allow-all)." };
        var allowPush = new Option<bool>("--allow-push") { Description = "Let the agent `git push` (AmpSessions' guard denies pushes otherwise)." };
        var mcp = new Option<string?>("--mcp-config") { Description = "MCP servers for the agent: JSON or the path of a JSON file.", HelpName = "json-or-file" };
        var env = EnvOption();
        var quiet = new Option<bool>("--no-notifications") { Description = "No desktop notifications for this session." };
        var budget = new BudgetOptions(changing: false);
        var environment = EnvironmentOption();
        var preset = PresetOption();
        var mcpServer = McpServerOption();
        var noSetup = new Option<bool>("--no-setup") { Description = "Do not run the configured setup command in the new worktree." };
        root.Add("new", "Create a session: a branch off the base and a worktree at <repo>/.worktrees/<id>.", async (p, output, ct) =>
        {
            var manager = Sessions(p);
            var request = new NewSessionRequest
            {
                RepoPath = p.GetValue(repo) ?? "",
                BaseBranch = p.GetValue(baseBranch),
                Name = p.GetValue(name)!,
                Prompt = p.GetValue(prompt) ?? "",
                ScriptCommand = p.GetValue(script),
                ScriptShell = p.GetValue(shell),
                ModelOverride = p.GetValue(model),
                AgentMode = p.GetValue(mode),
                BranchName = p.GetValue(branch),
                Notes = p.GetValue(notes),
                Agent = p.GetValue(agent),
                Timeout = p.GetValue(timeout),
                AllowedTools = p.GetValue(allowTool) ?? [],
                AllowAllTools = p.GetValue(allowAll),
                AllowPush = p.GetValue(allowPush),
                McpConfig = p.GetValue(mcp),
                AgentEnvironment = ParseEnvironment(p.GetValue(env)),
                NotificationsEnabled = !p.GetValue(quiet),
                Budget = budget.Read(p),
                Environment = p.GetValue(environment),
                Preset = p.GetValue(preset),
                McpServers = p.GetValue(mcpServer) ?? [],
                SkipSetup = p.GetValue(noSetup),
            };
            if (p.GetValue(template) is { } templateName)
            {
                request = new TemplateService(manager.Context).Apply(templateName, request);
            }
            // As git does: without --repo (or a template's), the repository is the one the current folder is in.
            request = request.RepoPath.Length == 0 ? request with { RepoPath = Environment.CurrentDirectory } : request;
            RequireUsage(request.Prompt.Length > 0, "--prompt is required (or a --template with a prompt): run `amp-sessions new --help` for usage.");
            if (AttemptCommands.Requested(p))
            {
                return await AttemptCommands.NewAsync(p, output, request, ct);
            }
            var session = await manager.CreateAsync(request, ct);
            output.Result(session, s =>
            {
                output.Line($"Created session {s.Id} \"{s.Name}\"");
                output.Line($"  branch:   {s.BranchName} (from {s.BaseBranch} at {Short(s.BaseCommit)})");
                output.Line($"  worktree: {s.WorktreePath}");
                if (s.Ports is { } ports)
                {
                    output.Line($"  ports:    {ports} (AMP_SESSION_PORT={ports.First})");
                }
                if (s.Status != SessionStatus.Error)
                {
                    output.Line($"Next: amp-sessions iterate {s.Id}");
                }
            });
            if (session.Status == SessionStatus.Error)
            {
                // The session exists, its worktree too: the setup failed, and a script must notice.
                output.Note($"amp-sessions: session {session.Id} was created, but {session.StatusMessage}.");
                return CliApplication.Failed;
            }
            return CliApplication.Success;
        }, [repo, template, baseBranch, name, prompt, script, shell, model, mode, branch, notes, agent, timeout, allowTool, allowAll, allowPush, mcp, env, quiet,
            environment, preset, mcpServer, noSetup,
            AttemptCommands.Attempts, AttemptCommands.AttemptAgents, AttemptCommands.AttemptModes, AttemptCommands.NoRun, .. budget.All]);
    }

    private static void RequireUsage(bool condition, string message)
    {
        if (!condition)
        {
            throw new Core.Errors.AmpSessionsException("AmpUsageMissingOption", Core.Errors.ErrorKind.InvalidArgument, message);
        }
    }

    private static void AddTemplates(RootCommand root)
    {
        var templates = new Command("template", "Saved starting points for sessions: a prompt with its repository, base and script.");
        root.Subcommands.Add(templates);
        var name = new Argument<string>("name") { Description = "The template's name." };
        var prompt = new Option<string>("--prompt") { Description = "What the agent should do.", Required = true };
        var repo = new Option<string?>("--repo") { Description = "The repository sessions from this template use.", HelpName = "path" };
        var baseBranch = new Option<string?>("--base") { Description = "The base branch.", HelpName = "branch" };
        var script = new Option<string?>("--script") { Description = "The test script command.", HelpName = "command" };
        var model = new Option<string?>("--model") { Description = "The model override.", HelpName = "id" };
        var mode = new Option<string?>("--mode") { Description = "The agent mode.", HelpName = "mode" };
        var environment = EnvironmentOption("The environment its sessions run in.");
        var agent = new Option<string?>("--agent") { Description = "The agent profile (or agent) its sessions use.", HelpName = "agent" };
        var preset = PresetOption("The permission preset its sessions use.");
        var mcpServer = McpServerOption("An MCP server its sessions use, by name (repeatable).");
        var setup = new Option<string?>("--setup") { Description = "The setup command for its sessions' new worktrees, instead of the configured one.", HelpName = "command" };
        templates.Add("save", "Save (or replace) a template.", (p, output, ct) =>
        {
            var saved = new TemplateService(OpenContext(p)).Save(p.GetValue(name)!, p.GetValue(prompt)!, p.GetValue(repo), p.GetValue(baseBranch),
                p.GetValue(script), p.GetValue(model), p.GetValue(mode), p.GetValue(environment), p.GetValue(agent), p.GetValue(preset), p.GetValue(mcpServer), p.GetValue(setup));
            output.Result(saved, t => output.Line($"Saved template \"{t.Name}\". Use it with: amp-sessions new --template \"{t.Name}\" --name <name>"));
            return Task.FromResult(CliApplication.Success);
        }, name, prompt, repo, baseBranch, script, model, mode, environment, agent, preset, mcpServer, setup);
        templates.Add("list", "List templates.", (p, output, ct) =>
        {
            var list = new TemplateService(OpenContext(p)).List();
            output.Result(list, l =>
            {
                if (l.Count == 0)
                {
                    output.Line("No templates. Save one with: amp-sessions template save <name> --prompt <prompt>");
                    return;
                }
                output.Table(["NAME", "REPO", "BASE", "SCRIPT", "PROMPT"],
                    l.Select(t => (IReadOnlyList<string>)[t.Name, t.RepoRoot ?? "-", t.BaseBranch ?? "-", t.ScriptCommand ?? "-", t.Prompt.ReplaceLineEndings(" ")]));
            });
            return Task.FromResult(CliApplication.Success);
        });
        var removeName = new Argument<string>("name") { Description = "The template to remove." };
        templates.Add("remove", "Remove a template.", (p, output, ct) =>
        {
            new TemplateService(OpenContext(p)).Remove(p.GetValue(removeName)!);
            output.Result(new TemplateRemovedView(p.GetValue(removeName)), r => output.Line($"Removed template \"{r.Removed}\"."));
            return Task.FromResult(CliApplication.Success);
        }, removeName);
    }

    private static Option<string?> AgentOption() => new("--agent")
    {
        Description = "The agent: a profile from the configuration's agents, amp (the default, or $AMP_SESSIONS_AGENT), claude, or amp:<command>, claude:<command>, exec:<command> for other stream-json agents.",
        HelpName = "agent",
    };

    internal static Option<string?> EnvironmentOption(string description = "The environment to run in (see `amp-sessions config list`); default: the configured one.") => new("--environment")
    {
        Description = description,
        HelpName = "name",
    };

    internal static Option<string?> PresetOption(string description = "The permission preset (read-only, safe-edit, full-auto, or one of the configuration's).") => new("--preset")
    {
        Description = description,
        HelpName = "name",
    };

    private static Option<string[]> McpServerOption(string description = "An MCP server from the configuration's mcp_servers, by name (repeatable).") => new("--mcp-server")
    {
        Description = description,
        HelpName = "name",
    };

    private static Option<string[]> AllowToolOption() => new("--allow-tool")
    {
        Description = "A tool the agent may use without approval (repeatable), e.g. Bash.",
        HelpName = "tool",
        AllowMultipleArgumentsPerToken = false,
    };

    private static Option<string[]> EnvOption() => new("--env")
    {
        Description = "NAME=VALUE for the agent's environment (repeatable), e.g. AMP_URL=http://localhost:7002. Secrets are refused: keep them in your shell's environment.",
        HelpName = "NAME=VALUE",
    };

    private static Dictionary<string, string> ParseEnvironment(string[]? pairs)
    {
        var environment = new Dictionary<string, string>();
        foreach (var pair in pairs ?? [])
        {
            var equals = pair.IndexOf('=');
            if (equals <= 0)
            {
                throw new Core.Errors.AmpSessionsException("AmpUsageEnvironment", Core.Errors.ErrorKind.InvalidArgument,
                    $"--env '{pair}' is not NAME=VALUE: write it as NAME=VALUE (an empty VALUE removes the variable).", pair);
            }
            environment[pair[..equals]] = pair[(equals + 1)..];
        }
        return environment;
    }

    private static void AddSet(RootCommand root)
    {
        var session = SessionArgument();
        var name = new Option<string?>("--name") { Description = "A new name." };
        var prompt = new Option<string?>("--prompt") { Description = "A new goal for later iterations." };
        var script = new Option<string?>("--script") { Description = "The test script command (empty to remove).", HelpName = "command" };
        var shell = ShellOption();
        var model = new Option<string?>("--model") { Description = "The model override (empty to remove).", HelpName = "id" };
        var mode = new Option<string?>("--mode") { Description = "The agent mode (empty for the default).", HelpName = "mode" };
        var agent = AgentOption();
        var notes = new Option<string?>("--notes") { Description = "Notes for the agent's context (empty to remove)." };
        var mcp = new Option<string?>("--mcp-config") { Description = "MCP servers: JSON or a file path (empty to remove).", HelpName = "json-or-file" };
        var timeout = IterationCommands.TimeoutOption("The time limit of one agent turn.");
        var allowTool = AllowToolOption();
        var disallowTool = new Option<string[]>("--disallow-tool") { Description = "Remove a tool from the allowed list (repeatable).", HelpName = "tool" };
        var allowAll = new Option<bool?>("--allow-all-tools") { Description = "true: the agent may use every tool without approval; false: only the allowed list." };
        var allowPush = new Option<bool?>("--allow-push") { Description = "true: the guard lets the agent `git push`; false: it denies pushes (the default)." };
        var notifications = new Option<bool?>("--notifications") { Description = "true or false: desktop notifications for this session." };
        var env = EnvOption();
        var newThread = new Option<bool>("--new-thread") { Description = "Start a new agent thread at the next iteration." };
        var budget = new BudgetOptions(changing: true);
        var environment = EnvironmentOption("The environment to run in (empty for the configured default).");
        var preset = PresetOption("The permission preset (empty for the configured default).");
        var mcpServer = McpServerOption("MCP servers by name, replacing the session's (repeatable; one empty value removes them all).");
        root.Add("set", "Change a session's settings: script, model, agent, permissions, timeout, notes.", async (p, output, ct) =>
        {
            var updated = await Sessions(p).UpdateAsync(p.GetValue(session)!, new SessionUpdate
            {
                Name = p.GetValue(name),
                Prompt = p.GetValue(prompt),
                ScriptCommand = p.GetValue(script),
                ScriptShell = p.GetValue(shell),
                ModelOverride = p.GetValue(model),
                AgentMode = p.GetValue(mode),
                Agent = p.GetValue(agent),
                Notes = p.GetValue(notes),
                McpConfig = p.GetValue(mcp),
                Timeout = p.GetValue(timeout),
                AllowTools = p.GetValue(allowTool) ?? [],
                DisallowTools = p.GetValue(disallowTool) ?? [],
                AllowAllTools = p.GetValue(allowAll),
                AllowPush = p.GetValue(allowPush),
                NotificationsEnabled = p.GetValue(notifications),
                AgentEnvironment = ParseEnvironment(p.GetValue(env)),
                NewThread = p.GetValue(newThread),
                BudgetTokens = p.GetValue(budget.Tokens),
                BudgetCost = p.GetValue(budget.Cost),
                BudgetIterations = budget.Iterations is null ? null : p.GetValue(budget.Iterations),
                BudgetTime = p.GetValue(budget.Time),
                Environment = p.GetValue(environment),
                Preset = p.GetValue(preset),
                McpServers = p.GetValue(mcpServer) is { Length: > 0 } servers ? servers : null,
            }, ct);
            output.Result(updated, s => output.Line($"Updated session {s.Id} \"{s.Name}\" [{s.Status}]"));
            return CliApplication.Success;
        }, [session, name, prompt, script, shell, model, mode, agent, notes, mcp, timeout, allowTool, disallowTool, allowAll, allowPush, notifications, env, newThread, environment, preset, mcpServer, .. budget.All]);
    }

    private static Option<string?> ShellOption() => new("--shell")
    {
        Description = "The shell that runs the test script: sh (/bin/sh, the default on Unix), bash, pwsh or cmd (the default on Windows).",
        HelpName = "shell",
    };

    private static void AddList(RootCommand root)
    {
        var repo = new Option<string?>("--repo") { Description = "Only sessions of this repository.", HelpName = "path" };
        var status = new Option<SessionStatus?>("--status") { Description = "Only sessions in this status.", HelpName = "status" };
        var first = new Option<int?>("--first")
        {
            Description = $"Show the newest n sessions (default {SessionList.DefaultPageSize}; with --json the default is every session).",
            HelpName = "n",
        };
        var all = new Option<bool>("--all") { Description = "Show every session, streamed as they are read." };
        root.Add("list", $"List sessions, newest first: the newest {SessionList.DefaultPageSize} and a count of the rest (--all for every one).", async (p, output, ct) =>
        {
            var size = p.GetValue(first);
            if (size is not null && p.GetValue(all))
            {
                throw new AmpSessionsException("AmpUsageFirstAll", ErrorKind.InvalidArgument, "--first and --all contradict each other: give one of them.", size);
            }
            var sessions = Sessions(p);
            if (p.GetValue(all) || (output.IsJson && size is null))
            {
                SessionList.WriteAll(await sessions.StreamAsync(p.GetValue(repo), p.GetValue(status), ct), output, ct);
            }
            else
            {
                SessionList.WritePage(await sessions.ListPageAsync(p.GetValue(repo), p.GetValue(status), size ?? SessionList.DefaultPageSize, ct), output);
            }
            return CliApplication.Success;
        }, repo, status, first, all);
    }

    private static void AddStatus(RootCommand root)
    {
        var session = SessionArgument();
        root.AddShortRead("status", "Show a session with the live state of its branch and worktree.", async (p, output, ct) =>
        {
            var state = await Sessions(p).GetStateAsync(p.GetValue(session)!, ct);
            output.Result(StatusView.From(state), _ => StatusView.Render(state, output));
            return CliApplication.Success;
        }, session);
    }

    private static void AddDiff(RootCommand root)
    {
        var session = SessionArgument();
        var staged = new Option<bool>("--staged") { Description = "Only what is staged (the index against HEAD)." };
        var unstaged = new Option<bool>("--unstaged") { Description = "Only what is not staged (the working tree, untracked files included, against the index)." };
        var nameOnly = new Option<bool>("--name-only") { Description = "Only the names of changed files." };
        root.AddShortRead("diff", "Show the session's changes (default: everything since it left the base, uncommitted and untracked included).", async (p, output, ct) =>
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
