using AmpSessions.Core.Errors;

namespace AmpSessions.Core.Integration;

/// <summary>
/// A rebase (or the rebase step of a merge) stopped on conflicts. The operation itself returns the
/// <see cref="RebaseResult"/>, since stopping is a state to resolve and not a failed call; front
/// ends that report such states on an error stream (PowerShell) raise this alongside the result.
/// </summary>
public sealed class RebaseConflictException : AmpSessionsException
{
    public const string Id = "AmpRebaseConflict";

    public RebaseConflictException(RebaseResult result)
        : base(Id, ErrorKind.Conflict, Describe(result), result.Session.Id,
            remedy: $"resolve them in {result.Session.WorktreePath} and `git add` them, then run {Invocation.Of(Operation.Rebase, result.Session.Id, Parameter.Continue)} (or {Parameter.Abort} to put the branch back as it was)")
    {
        Result = result;
    }

    /// <summary>The rebase as it stopped: the conflicted paths and the commit being applied.</summary>
    public RebaseResult Result { get; }

    private static string Describe(RebaseResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.Outcome != RebaseOutcome.Conflicted)
        {
            throw new ArgumentException($"The rebase of session {result.Session.Id} ended {result.Outcome}, not on conflicts.", nameof(result));
        }
        var paths = result.ConflictedPaths;
        var applying = result.StoppedAtCommit is { } commit ? $" while applying {(commit.Length > 7 ? commit[..7] : commit)} {result.StoppedAtSubject}".TrimEnd() : "";
        return $"The rebase of session {result.Session.Id} onto {result.Onto} stopped on conflicts{applying} in {paths.Count} file{(paths.Count == 1 ? "" : "s")} " +
            $"({string.Join(", ", paths.Take(5))}{(paths.Count > 5 ? $" and {paths.Count - 5} more" : "")})";
    }
}
