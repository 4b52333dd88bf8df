using AmpSessions.Core.Errors;

namespace AmpSessions.Core.Processes;

/// <summary>The program to run is not installed or not on PATH.</summary>
public sealed class ExecutableNotFoundException : AmpSessionsException
{
    public ExecutableNotFoundException(string fileName, string? hint = null)
        : base("AmpExecutableNotFound", ErrorKind.ExternalTool,
            $"'{fileName}' was not found: install it or put it on PATH{(hint is null ? "" : $" ({hint})")}.", fileName)
    {
        FileName = fileName;
    }

    /// <summary>Not found, with what to do instead of installing it (which may name an operation or parameter).</summary>
    public ExecutableNotFoundException(string fileName, FormattableString remedy)
        : base("AmpExecutableNotFound", ErrorKind.ExternalTool, $"'{fileName}' was not found", fileName, remedy: remedy)
    {
        FileName = fileName;
    }

    public string FileName { get; }
}
