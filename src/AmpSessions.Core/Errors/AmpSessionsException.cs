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
/// (PowerShell's FullyQualifiedErrorId and the CLI's --json error code). <see cref="Problem"/> says
/// what was wrong; <see cref="Remedy"/>, when there is something to do, says what, naming
/// operations as <see cref="Invocation"/>s and <see cref="Parameter"/>s so each front end renders
/// them in its own words (<see cref="Render"/>):
/// <code>
/// throw new AmpSessionsException("AmpNoScript", ErrorKind.InvalidOperation,
///     $"Session {id} has no script command", id,
///     remedy: $"set one with {Invocation.Of(Operation.SetSession, id, new(Parameter.Script, "&lt;command&gt;"))}");
/// </code>
/// <see cref="Exception.Message"/> is the command-line rendering (logs, journals, stored errors)
/// until a front end claims the exception for its users with <see cref="MessageStyle"/> (the module
/// does, so <c>$_.Exception.Message</c> names cmdlets and -Parameters too).
/// </summary>
public class AmpSessionsException : Exception
{
    public AmpSessionsException(string errorId, ErrorKind kind, string message, object? target = null, Exception? inner = null, FormattableString? remedy = null)
        : base(message, inner)
    {
        ErrorId = errorId;
        Kind = kind;
        Target = target;
        Problem = message;
        Remedy = remedy;
    }

    /// <summary>Stable PascalCase id, e.g. AmpSessionNotFound.</summary>
    public string ErrorId { get; }

    public ErrorKind Kind { get; }

    /// <summary>The offending input (a session id, a path), when there is one.</summary>
    public object? Target { get; }

    /// <summary>What was wrong, without what to do.</summary>
    public string Problem { get; }

    /// <summary>What to do, with its operations and parameters still unrendered; null when there is nothing to suggest.</summary>
    public FormattableString? Remedy { get; }

    /// <summary>
    /// The words <see cref="Message"/> renders the remedy in: the command line's, unless the front end
    /// that caught the exception sets its own before showing it.
    /// </summary>
    public RemedyStyle MessageStyle { get; set; } = RemedyStyle.CommandLine;

    public override string Message => Render(MessageStyle);

    /// <summary>The whole message with the remedy in <paramref name="style"/>'s words.</summary>
    public string Render(RemedyStyle style) => Remedy is null ? Problem : Join(Problem, style.Render(Remedy));

    /// <summary>Just the remedy in <paramref name="style"/>'s words (PowerShell's RecommendedAction), or null.</summary>
    public string? RenderRemedy(RemedyStyle style) => Remedy is null ? null : Sentence(style.Render(Remedy));

    private static string Join(string problem, string remedy) => problem.TrimEnd('.') + ": " + Period(remedy);

    private static string Sentence(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + Period(text)[1..];

    private static string Period(string text) => text.EndsWith('.') ? text : text + ".";
}

/// <summary>A session reference matched nothing, or more than one session.</summary>
public sealed class SessionNotFoundException : AmpSessionsException
{
    public SessionNotFoundException(string reference, string message, string errorId = "AmpSessionNotFound", FormattableString? remedy = null)
        : base(errorId, ErrorKind.NotFound, message, reference, remedy: remedy) { }
}
