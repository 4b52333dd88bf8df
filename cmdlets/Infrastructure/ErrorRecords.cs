using System.Management.Automation;
using AmpSessions.Core.Errors;

namespace AmpSessions.Module.Infrastructure;

/// <summary>
/// The one place core failures become PowerShell errors: the stable ErrorId becomes the
/// FullyQualifiedErrorId, the ErrorKind an ErrorCategory, the exception's target (else the
/// pipeline input) the target object.
/// </summary>
internal static class ErrorRecords
{
    public static ErrorRecord From(Exception error, object? input) => error switch
    {
        AmpSessionsException amp => new ErrorRecord(amp, amp.ErrorId, Category(amp.Kind), amp.Target ?? input),
        UnauthorizedAccessException => new ErrorRecord(error, "AmpAccessDenied", ErrorCategory.PermissionDenied, input),
        IOException => new ErrorRecord(error, "AmpIoError", ErrorCategory.ResourceUnavailable, input),
        _ => new ErrorRecord(error, "AmpUnexpectedError", ErrorCategory.NotSpecified, input),
    };

    public static ErrorCategory Category(ErrorKind kind) => kind switch
    {
        ErrorKind.InvalidArgument => ErrorCategory.InvalidArgument,
        ErrorKind.NotFound => ErrorCategory.ObjectNotFound,
        ErrorKind.InvalidOperation => ErrorCategory.InvalidOperation,
        ErrorKind.ResourceBusy => ErrorCategory.ResourceBusy,
        ErrorKind.PermissionDenied => ErrorCategory.PermissionDenied,
        ErrorKind.ExternalTool => ErrorCategory.ResourceUnavailable,
        // A conflict is a state the user must resolve before the operation can go on.
        ErrorKind.Conflict => ErrorCategory.InvalidOperation,
        ErrorKind.Cancelled => ErrorCategory.OperationStopped,
        ErrorKind.Timeout => ErrorCategory.OperationTimeout,
        _ => ErrorCategory.NotSpecified,
    };

    /// <summary>Failures that concern one pipeline item; anything else is a bug and stops the pipeline.</summary>
    public static bool IsPipelineItemFailure(Exception error) =>
        error is AmpSessionsException or IOException or UnauthorizedAccessException;
}
