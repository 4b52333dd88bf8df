using AmpSessions.Core.Errors;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Core.Integration;

public sealed partial class IntegrationService
{
    /// <summary>The file name an export gets when only a folder (or nothing) is given: &lt;id&gt;-&lt;name slug&gt;.patch.</summary>
    public static string DefaultPatchFileName(Session session)
    {
        ArgumentNullException.ThrowIfNull(session);
        var slug = SessionNaming.Slugify(session.Name);
        return slug.Length == 0 ? $"{session.Id}.patch" : $"{session.Id}-{slug}.patch";
    }

    /// <summary>
    /// Writes the session's committed change since its merge-base with the base as a patch file
    /// (<c>git format-patch</c>) that <c>git am</c> applies on the base: one patch of the whole change
    /// (<paramref name="squashed"/>, its message composed like squash's), or one per session commit.
    /// <paramref name="outputPath"/>: a file, an existing folder, or null for the current folder. No ref,
    /// index or file of the repository changes.
    /// </summary>
    public async Task<ExportResult> ExportPatchAsync(string reference, string? outputPath = null, bool squashed = true, CancellationToken cancellationToken = default)
    {
        if (outputPath is not null && string.IsNullOrWhiteSpace(outputPath))
        {
            throw new AmpSessionsException("AmpOutputPathEmpty", ErrorKind.InvalidArgument, "The output path is empty", outputPath, remedy: $"pass {Parameter.Output} a file name, or leave it out");
        }
        var w = await OpenAsync(reference, cancellationToken).ConfigureAwait(false);
        SessionChange change;
        try
        {
            change = await RequireChangeAsync(w, "AmpNothingToExport", "export", allowMissingBase: false, cancellationToken).ConfigureAwait(false);
        }
        catch (AmpSessionsException ex) when (ex.ErrorId == "AmpNothingToExport" && w.Session.Status == SessionStatus.Merged)
        {
            throw MergedAlready(w.Session);
        }
        var (tip, basePoint, commits) = change;
        var target = ResolveOutputPath(outputPath, w.Session);

        var patchHead = tip;
        if (squashed && commits.Count > 1)
        {
            // A commit object only, reachable from no ref: the squashed change without rewriting the branch.
            var message = await ComposeMessageAsync(w.Worktree, w.Session, commits, cancellationToken).ConfigureAwait(false);
            var tree = await w.Worktree.ReadAsync(["rev-parse", tip + "^{tree}"], cancellationToken).ConfigureAwait(false);
            patchHead = await CommitTreeAsync(w.Worktree, tree, basePoint.ForkPoint, message, cancellationToken).ConfigureAwait(false);
        }
        // git writes the bytes itself (file contents need not be UTF-8); a regular file goes through a
        // temporary name, so a failure never leaves half a patch under the name asked for, while a
        // FIFO or device (/dev/stdout) is written through rather than replaced.
        await Storage.AtomicFile.WriteWithAsync(target, path =>
            w.Worktree.RunAsync(["format-patch", "--output=" + path, $"{basePoint.ForkPoint}..{patchHead}"], cancellationToken: cancellationToken)).ConfigureAwait(false);
        var files = await w.Worktree.DiffNameStatusAsync([basePoint.ForkPoint, tip], cancellationToken: cancellationToken).ConfigureAwait(false);
        var uncommitted = (await w.Worktree.GetStatusAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Changes.Count();
        return new ExportResult
        {
            Session = w.Session, OutputPath = target, Squashed = squashed, PatchCount = squashed ? 1 : commits.Count, CommitCount = commits.Count,
            MergeBase = basePoint.ForkPoint, Head = tip, Files = files, UncommittedChangeCount = uncommitted,
        };
    }

    /// <summary>
    /// Export of a merged session: its commits are the base's now, so "run an iteration" would be
    /// wrong. Says where the work is and the git command that writes it as a patch: the range from
    /// the base's tip before the merge (the Merged event records it) to the merged commit.
    /// </summary>
    private AmpSessionsException MergedAlready(Session session)
    {
        var merged = session.BaseCommit;
        var before = context.Events.Last(1, new Events.EventFilter { Types = [Events.AmpEventTypes.Merged], SessionId = session.Id })
            .Select(e => e.Data["oldBaseCommit"]?.GetValue<string>()).FirstOrDefault();
        var range = before is null ? $"-1 {Short(merged)}" : $"{Short(before)}..{Short(merged)}";
        return new AmpSessionsException("AmpSessionAlreadyMerged", ErrorKind.InvalidOperation,
            $"Session {session.Id} is merged: its work is on '{session.BaseBranch}' at {Short(merged)}, so the session has no change of its own left to export", session.Id,
            remedy: before is null
                ? (FormattableString)$"write its work as a patch with `git -C \"{session.RepoRoot}\" format-patch {range}` (-1 takes the last commit; raise the count to take more)"
                : $"write its work as a patch with `git -C \"{session.RepoRoot}\" format-patch {range}`");
    }

    private static string ResolveOutputPath(string? outputPath, Session session)
    {
        var full = Path.GetFullPath(outputPath ?? DefaultPatchFileName(session));
        if (Directory.Exists(full))
        {
            return Path.Combine(full, DefaultPatchFileName(session));
        }
        var folder = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(folder))
        {
            throw new AmpSessionsException("AmpOutputFolderMissing", ErrorKind.NotFound,
                $"The folder '{folder}' for the patch does not exist: create it, or write the patch into an existing folder.", folder);
        }
        return full;
    }
}
