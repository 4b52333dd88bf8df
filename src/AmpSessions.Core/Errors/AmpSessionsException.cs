namespace AmpSessions.Core.Errors;

/// <summary>What kind of failure an error is; front ends map it to exit codes and PowerShell error categories.</summary>
public enum ErrorKind
{
    /// <summary>The input was wrong (bad path, empty message, unknown option value).</summary>
    InvalidArgument,
    /// <summary>Something named does not exist (session, branch, backup).</summary>
    NotFound,
    /// <summary>The request is valid but not in the current state (dirty worktree, rebase in progress).</summary>
    InvalidOperation,
    /// <summary>Another process holds what is needed (iteration running, database locked).</summary>
    ResourceBusy,
    /// <summary>Files or folders could not be read or written.</summary>
    PermissionDenied,
    /// <summary>A tool the operation needs (git, editor, agent) is missing or failed.</summary>
    ExternalTool,
    /// <summary>A Git conflict stops the operation until a person resolves it.</summary>
    Conflict,
    /// <summary>The operation was cancelled.</summary>
    Cancelled,
    /// <summary>The operation exceeded its time limit.</summary>
    Timeout,
}

/// <summary>
/// The base of every error the core raises on purpose. <see cref="ErrorId"/> is stable
/// (PowerShell's FullyQualifiedErrorId and the CLI's --json error code); the message says what was
/// wrong and what to do.
/// </summary>
public class AmpSessionsException : Exception
{
    public AmpSessionsException(string errorId, ErrorKind kind, string message, object? target = null, Exception? inner = null)
        : base(message, inner)
    {
        ErrorId = errorId;
        Kind = kind;
        Target = target;
    }

    /// <summary>Stable PascalCase id, e.g. AmpSessionNotFound.</summary>
    public string ErrorId { get; }

    public ErrorKind Kind { get; }

    /// <summary>The offending input (a session id, a path), when there is one.</summary>
    public object? Target { get; }
}

/// <summary>A session reference matched nothing, or more than one session.</summary>
public sealed class SessionNotFoundException : AmpSessionsException
{
    public SessionNotFoundException(string reference, string message, string errorId = "AmpSessionNotFound")
        : base(errorId, ErrorKind.NotFound, message, reference) { }
}
