using AmpSessions.Core.Git;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Core.Iterations;

/// <summary>What is checked after a turn's commit and recorded on the iteration.</summary>
internal static class IterationAftermath
{
    /// <summary>
    /// An edit inside a submodule is not part of the session's commit (the submodule is its own
    /// repository): say so on the iteration instead of reporting "nothing changed" in silence.
    /// </summary>
    public static async Task<IterationRecord> NoteSubmoduleWorkAsync(AmpContext context, Session session, GitClient worktree, IterationRecord iteration)
    {
        var submodules = await SubmoduleWork.InitializedAsync(worktree, session.WorktreePath, context.Options.GitExecutable, CancellationToken.None).ConfigureAwait(false);
        var dirty = submodules.Where(s => s.Dirty).Select(s => s.Path).ToArray();
        if (dirty.Length == 0)
        {
            return iteration;
        }
        var note = $"the agent changed files inside the submodule{(dirty.Length == 1 ? "" : "s")} {string.Join(", ", dirty)}, which are not part of the session's commit " +
            "(a submodule is its own repository): they stay in the worktree; commit them in the submodule, then commit the new submodule pointer in the session";
        return iteration with { Warnings = [.. iteration.Warnings, note] };
    }
}
