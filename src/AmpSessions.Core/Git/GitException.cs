using AmpSessions.Core.Errors;

namespace AmpSessions.Core.Git;

/// <summary>A git command failed: carries its arguments, exit code and stderr.</summary>
public sealed class GitException : AmpSessionsException
{
    public GitException(IReadOnlyList<string> arguments, int exitCode, string standardError, string? message = null)
        : this(arguments, exitCode, standardError, message, GitLfs.IsMissingFilterFailure(standardError))
    {
    }

    // A missing git-lfs gets one sentence of what is wrong and what to do instead of git's protocol errors.
    private GitException(IReadOnlyList<string> arguments, int exitCode, string standardError, string? message, bool lfsMissing)
        : base(lfsMissing ? GitLfs.MissingErrorId : "AmpGitFailed", ErrorKind.ExternalTool,
            lfsMissing ? GitLfs.MissingProblem : message ?? $"git {string.Join(' ', arguments)} failed (exit {exitCode}): {FirstLines(standardError)}",
            string.Join(' ', arguments), remedy: lfsMissing ? GitLfs.MissingRemedy : null)
    {
        Arguments = arguments;
        ExitCode = exitCode;
        StandardError = standardError;
    }

    public IReadOnlyList<string> Arguments { get; }
    public int ExitCode { get; }
    public string StandardError { get; }

    private static string FirstLines(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? "(no message)" : string.Join(" ", lines.Take(3));
    }
}
