namespace AmpSessions.Core.Processes;

/// <summary>Which stream a line came from.</summary>
public enum OutputStream
{
    StandardOutput,
    StandardError,
}

/// <summary>One line of output, as the process wrote it (without the line ending).</summary>
public readonly record struct OutputLine(OutputStream Stream, string Text);

/// <summary>How a process ended.</summary>
public sealed record ProcessResult
{
    public required int ExitCode { get; init; }
    // The whole text when the spec captured and no handler read the lines; otherwise the last lines (about 16 KB) of each.
    public required string StandardOutput { get; init; }
    public required string StandardError { get; init; }
    public required TimeSpan Duration { get; init; }
    /// <summary>The time limit ran out and the process tree was killed.</summary>
    public bool TimedOut { get; init; }
    /// <summary>The caller cancelled and the process tree was killed.</summary>
    public bool Cancelled { get; init; }
    /// <summary>The caller's line handler asked to stop the process (for example a login prompt was seen).</summary>
    public bool StoppedByHandler { get; init; }

    public bool Succeeded => ExitCode == 0 && !TimedOut && !Cancelled && !StoppedByHandler;

    /// <summary>The last lines of stderr, for error messages.</summary>
    public string StandardErrorTail(int maxLines = 10)
    {
        var lines = StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return string.Join(Environment.NewLine, lines.Skip(Math.Max(0, lines.Length - maxLines)));
    }
}
