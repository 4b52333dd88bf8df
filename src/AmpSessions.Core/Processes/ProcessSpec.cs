namespace AmpSessions.Core.Processes;

/// <summary>
/// Everything needed to start one process: an executable and an argument list (never a command
/// string), the folder it runs in, the environment changes, text for stdin and a time limit.
/// </summary>
public sealed record ProcessSpec
{
    public ProcessSpec(string fileName, IEnumerable<string>? arguments = null)
    {
        FileName = fileName;
        Arguments = arguments?.ToArray() ?? Array.Empty<string>();
    }

    public string FileName { get; init; }

    public IReadOnlyList<string> Arguments { get; init; }

    public string? WorkingDirectory { get; init; }

    /// <summary>Changes applied over the inherited environment: a null value removes the variable.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>Written to stdin, which is then closed. Null closes stdin at once.</summary>
    public string? StandardInput { get; init; }

    /// <summary>Kill the whole process tree after this long. Null: no limit.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Values that must never appear in anything logged (tokens, keys).</summary>
    public IReadOnlyCollection<string> Secrets { get; init; } = Array.Empty<string>();

    /// <summary>
    /// Contain everything the process starts: its descendants carry the scope's marker and are
    /// killed when it ends (normally, by time limit or by cancellation), even ones that detached.
    /// Null: only the process tree is killed on time limit or cancellation.
    /// </summary>
    public ContainmentScope? Containment { get; init; }

    /// <summary>
    /// On time limit or cancellation, first ask the process to stop (SIGINT, Ctrl+C on Windows) and
    /// kill the tree only after this long. Null: kill at once.
    /// </summary>
    public TimeSpan? GracePeriod { get; init; }

    /// <summary>
    /// Whether the result keeps the whole of stdout and stderr, for a process whose output is its
    /// answer (git). Only without a line handler: a process whose lines are streamed to a handler, or
    /// that does not capture, keeps a bounded tail of each stream (for error messages), never all of it.
    /// </summary>
    public bool CaptureOutput { get; init; } = true;

    /// <summary>The command line for logs and errors, quoted for reading, secrets redacted.</summary>
    public string Describe() =>
        SecretRedactor.Redact(string.Join(' ', new[] { FileName }.Concat(Arguments).Select(QuoteForDisplay)), Secrets);

    private static string QuoteForDisplay(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsLetterOrDigit(c) || "-_./:=@+,%".Contains(c))
            ? argument
            : "'" + argument.Replace("'", "'\\''") + "'";
}
