using AmpSessions.Core.Errors;
using AmpSessions.Core.Processes;

namespace AmpSessions.Core.Git;

/// <summary>
/// Git LFS as git meets it: for a path whose attributes say <c>filter=lfs</c>, git runs the
/// <c>git-lfs</c> program to check files out and in. When that program is not installed and the
/// configuration says the filter is required (<c>git lfs install</c> writes <c>filter.lfs.required=true</c>),
/// every checkout, add, commit and status that touches such a path fails with git's protocol-level
/// words ("git-lfs: not found", "the remote end hung up unexpectedly"); this says what is wrong instead.
/// </summary>
public static class GitLfs
{
    public const string MissingErrorId = "AmpGitLfsMissing";

    /// <summary>Whether the git-lfs program is on PATH (no process started).</summary>
    public static bool IsInstalled => ExecutableLocator.Find("git-lfs") is not null;

    /// <summary>Whether git's error output is the LFS filter failing because git-lfs is not installed.</summary>
    public static bool IsMissingFilterFailure(string standardError) =>
        (standardError.Contains("git-lfs", StringComparison.Ordinal)
            || standardError.Contains("filter lfs failed", StringComparison.Ordinal)
            || standardError.Contains("filter 'lfs' failed", StringComparison.Ordinal))
        && !IsInstalled;

    public const string MissingProblem =
        "git-lfs is not installed (or not on PATH), but this repository keeps files in Git LFS and its git configuration requires the LFS filter, so git cannot check those files out or in";

    public static FormattableString MissingRemedy =>
        $"install Git LFS (https://git-lfs.com) so that `git lfs version` works, then try again; if the repository should not use LFS, remove the filter=lfs lines from its .gitattributes";

    /// <summary>The error for a turn or step that would fail on the missing filter; nothing has been changed when it is thrown.</summary>
    public static AmpSessionsException MissingError(object? target, string? what = null) =>
        new(MissingErrorId, ErrorKind.ExternalTool, what is null ? MissingProblem : MissingProblem + "; " + what, target, remedy: MissingRemedy);

    /// <summary>
    /// Whether work in <paramref name="worktree"/> would hit the missing filter: git-lfs is absent, an
    /// attributes file of the repository names the lfs filter, and the configuration requires it. Starts
    /// a git process (to read the configuration) only when the first two hold: a machine with git-lfs, or
    /// a repository without LFS, pays nothing.
    /// </summary>
    public static async Task<bool> WouldFailAsync(GitClient worktree, string worktreePath, CancellationToken cancellationToken)
    {
        if (IsInstalled)
        {
            return false;
        }
        if (!NamesLfsFilter(Path.Combine(worktreePath, ".gitattributes"))
            && !NamesLfsFilter(Path.Combine(await worktree.GetCommonDirAsync(cancellationToken).ConfigureAwait(false), "info", "attributes")))
        {
            return false;
        }
        var required = await worktree.RunAsync(["config", "--type=bool", "--get", "filter.lfs.required"], allowFailure: true, cancellationToken: cancellationToken).ConfigureAwait(false);
        return required.ExitCode == 0 && required.StandardOutput.Trim() == "true";
    }

    private static bool NamesLfsFilter(string attributesFile)
    {
        try
        {
            return File.Exists(attributesFile) && File.ReadLines(attributesFile).Any(line => line.Contains("filter=lfs", StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
