using System.Text;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Git;
using AmpSessions.Core.Processes;
using AmpSessions.Core.Scripts;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Core.Iterations;

/// <summary>
/// The context the agent gets with every prompt: goal, constraints, notes, a summary of the
/// session's diff so far and the last test result. Written to <c>.amp-sessions/context.md</c> in the
/// worktree (that file alone is git-excluded, so it is never committed, while the repository's own
/// `.amp-sessions/commands/` stay committable) and never over the repository's own AGENT.md or AGENTS.md.
/// </summary>
public static class SessionContextFile
{
    public const string Folder = ".amp-sessions";
    public const string FileName = "context.md";
    /// <summary>How much of the diff summary goes into the context.</summary>
    public const int MaxDiffCharacters = 12_000;

    public static string RelativePath => Folder + "/" + FileName;

    /// <summary>Writes the file and returns its text (which also goes into the prompt).</summary>
    public static async Task<string> WriteAsync(Session session, GitClient worktree, string commonDir, string baseCommit, string? iterationNotes,
        ScriptRun? lastScript, CancellationToken cancellationToken)
    {
        if (await worktree.TracksAnythingUnderAsync(RelativePath, cancellationToken).ConfigureAwait(false))
        {
            throw new AmpSessionsException("AmpContextFolderTracked", ErrorKind.InvalidOperation,
                $"The repository tracks '{RelativePath}', where AmpSessions writes its session context: rename that file in the repository.", session.Id);
        }
        // The context file alone: the folder also holds the repository's slash commands (.amp-sessions/commands/*.md), which are committed.
        GitExcludes.Ensure(commonDir, "/" + RelativePath);
        var text = Compose(session, await DiffSummaryAsync(worktree, baseCommit, cancellationToken).ConfigureAwait(false), iterationNotes, lastScript);
        var folder = Path.Combine(session.WorktreePath, Folder);
        Directory.CreateDirectory(folder);
        // A few kilobytes: written at once on this thread rather than through the thread pool's asynchronous file I/O, over the
        // previous turn's file and cut to length rather than emptied first (ext4 writes an emptied file back at close; see
        // PrivateFiles.WriteAllText). Made as File.WriteAllText makes files (0666 less the umask): it is the agent's to read.
        Storage.PrivateFiles.WriteAllText(Path.Combine(folder, FileName), text,
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite);
        return text;
    }

    internal static string Compose(Session session, string diffSummary, string? iterationNotes, ScriptRun? lastScript)
    {
        var text = new StringBuilder();
        text.AppendLine($"# Session context: {session.Name}");
        text.AppendLine();
        text.AppendLine("## Goal");
        text.AppendLine(session.Prompt.Trim());
        text.AppendLine();
        text.AppendLine("## Constraints");
        text.AppendLine($"- Work only inside this folder (a git worktree on branch `{session.BranchName}`, based on `{session.BaseBranch}`).");
        text.AppendLine("- Do not commit, switch branches, rebase or push: AmpSessions commits your changes after the turn.");
        text.AppendLine("- Keep the change focused on the goal; leave unrelated files alone.");
        if (session.ScriptCommand is { } script)
        {
            text.AppendLine($"- The work is checked by running `{script}`; it must exit 0.");
        }
        var notes = string.Join("\n", new[] { session.Notes, iterationNotes }.Where(n => !string.IsNullOrWhiteSpace(n)).Select(n => n!.Trim()));
        if (notes.Length > 0)
        {
            text.AppendLine();
            text.AppendLine("## Notes");
            text.AppendLine(notes);
        }
        text.AppendLine();
        text.AppendLine("## Changes so far (git diff -U0 against the base)");
        text.AppendLine(diffSummary.Length == 0 ? "(none yet)" : "```diff\n" + diffSummary.TrimEnd() + "\n```");
        text.AppendLine();
        text.AppendLine("## Last test result");
        text.AppendLine(lastScript is null
            ? "(no test run yet)"
            : $"`{lastScript.Command}` {lastScript.Status.ToString().ToLowerInvariant()}{(lastScript.ExitCode is { } code ? $" (exit {code})" : "")}" +
              (string.IsNullOrWhiteSpace(lastScript.OutputTail) || lastScript.Passed ? "" : "\n```\n" + lastScript.OutputTail.TrimEnd() + "\n```"));
        return text.ToString();
    }

    private static async Task<string> DiffSummaryAsync(GitClient worktree, string baseCommit, CancellationToken cancellationToken)
    {
        // Nothing committed since the base and nothing changed (a first turn): the diff is empty, no process needed.
        var status = worktree.StatusInProcess(includeUntracked: true) is { } records ? GitPorcelain.ParseStatus(records) : null;
        if (status is { IsClean: true } && status.HeadCommit == baseCommit)
        {
            return "";
        }
        string[] options = ["diff", "-U0", "--no-color", "--no-ext-diff", "--stat=120", "--patch"];
        ProcessResult result;
        // The status just read already says whether anything is untracked: a second scan of the working tree would cost
        // as much again (thousands of lstat calls in a large worktree).
        var hasUntracked = status is not null ? status.Entries.Any(e => e.Kind == StatusEntryKind.Untracked) : worktree.HasUntrackedFilesInProcess();
        if (hasUntracked == false)
        {
            // Nothing untracked: the working tree against the base is the same diff as the tree of
            // everything staged, in one process (.env files left out as staging leaves them out).
            result = await worktree.RunAsync([.. options, "--ignore-submodules=dirty", baseCommit, "--", ".", ":(exclude)" + Folder,
                .. GitClient.SecretFileExcludes], cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var tree = await WorkingTreeSnapshot.WriteWorkingTreeAsync(worktree, cancellationToken).ConfigureAwait(false);
            result = await worktree.RunAsync([.. options, baseCommit, tree, "--", ".", ":(exclude)" + Folder],
                cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        var diff = result.StandardOutput;
        return diff.Length <= MaxDiffCharacters ? diff : diff[..MaxDiffCharacters] + "\n… (diff truncated)";
    }

    /// <summary>The prompt sent to the agent: the request, then the context.</summary>
    public static string Prompt(string request, string context) =>
        $"{request.Trim()}\n\n---\nSession context (also in {RelativePath}):\n\n{context}";
}
