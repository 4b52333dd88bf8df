using AmpSessions.Core.Errors;

namespace AmpSessions.Core.Batches;

/// <summary>What is wrong at one place of a batch file (or of an evaluation case file).</summary>
public enum BatchFileErrorKind
{
    /// <summary>Not valid YAML (bad indentation, an unclosed bracket or quote).</summary>
    SyntaxError,
    /// <summary>The file has no content.</summary>
    EmptyFile,
    /// <summary>A key this schema does not know (often a typo).</summary>
    UnknownKey,
    /// <summary>The same key twice in one mapping.</summary>
    DuplicateKey,
    /// <summary>A value of the wrong shape: a list where text is expected, text where a number is.</summary>
    WrongType,
    /// <summary>A required key is absent.</summary>
    MissingKey,
    /// <summary>A value of the right type that is not allowed (concurrency 0, an unknown export format).</summary>
    InvalidValue,
    /// <summary>A name that refers to nothing (an agent's environment that is not defined).</summary>
    UnknownReference,
    /// <summary>Two agents, tasks or items with the same id.</summary>
    DuplicateId,
    /// <summary>A folder the file names (a repository, a cases_dir) does not exist.</summary>
    PathNotFound,
    /// <summary>A schema version other than the one this build reads.</summary>
    UnsupportedVersion,
}

/// <summary>One problem in a batch or case file: where (1-based line and column) and what to do.</summary>
public sealed record BatchFileError(string FilePath, int Line, int Column, BatchFileErrorKind Kind, string Message)
{
    /// <summary>The compiler-style form editors understand: <c>file:line:column: message</c>.</summary>
    public override string ToString() => $"{FilePath}:{Line}:{Column}: {Message}";
}

/// <summary>
/// A YAML file that cannot be used (a batch file, a configuration file). Every problem found is in
/// <see cref="Errors"/>; the message is the first one (with a count of the others), so one line says
/// what to fix first, and the remedy names the command that lists them all.
/// </summary>
public abstract class FileProblemsException : AmpSessionsException
{
    protected FileProblemsException(string errorId, string what, IReadOnlyList<BatchFileError> errors, Func<BatchFileError, FormattableString> listsThemAll)
        : base(errorId, ErrorKind.InvalidArgument, Describe(what, errors), errors.Count > 0 ? errors[0].FilePath : null,
            remedy: errors.Count > 1 ? listsThemAll(errors[0]) : null)
    {
        Errors = errors;
    }

    public IReadOnlyList<BatchFileError> Errors { get; }

    private static string Describe(string what, IReadOnlyList<BatchFileError> errors) => errors.Count switch
    {
        0 => $"The {what} is invalid.",
        1 => errors[0].ToString(),
        _ => $"{errors[0]} (and {errors.Count - 1} more problem{(errors.Count == 2 ? "" : "s")})",
    };
}

/// <summary>A batch file that cannot be used.</summary>
public sealed class BatchFileException : FileProblemsException
{
    public const string Id = "AmpBatchFileInvalid";

    public BatchFileException(IReadOnlyList<BatchFileError> errors)
        : base(Id, "batch file", errors, first => $"{Invocation.Of(Operation.ValidateBatch, null, new Argument(Parameter.Path, first.FilePath))} lists them all")
    {
    }
}
