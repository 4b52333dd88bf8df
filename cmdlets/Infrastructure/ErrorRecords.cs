using System.Management.Automation;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Integration;
using AmpSessions.Core.Jobs;

namespace AmpSessions.Module.Infrastructure;

/// <summary>
/// The one place core failures become PowerShell errors: the stable ErrorId becomes the
/// FullyQualifiedErrorId, the ErrorKind an ErrorCategory, the exception's target (else the
/// pipeline input) the target object, and the message and its remedy are rendered in PowerShell's
/// words (cmdlets and parameters, <see cref="RemedyStyle.PowerShell"/>): the message shown is
/// ErrorDetails.Message, the remedy alone is ErrorDetails.RecommendedAction.
/// </summary>
internal static class ErrorRecords
{
    public static ErrorRecord From(Exception error, object? input) => error switch
    {
        AmpSessionsException amp => new ErrorRecord(InPowerShellWords(amp), amp.ErrorId, Category(amp.Kind), amp.Target ?? input)
        {
            ErrorDetails = new ErrorDetails(amp.Render(RemedyStyle.PowerShell)) { RecommendedAction = amp.RenderRemedy(RemedyStyle.PowerShell) },
        },
        UnauthorizedAccessException => new ErrorRecord(error, "AmpAccessDenied", ErrorCategory.PermissionDenied, input),
        IOException => new ErrorRecord(error, "AmpIoError", ErrorCategory.ResourceUnavailable, input),
        _ => new ErrorRecord(error, "AmpUnexpectedError", ErrorCategory.NotSpecified, input),
    };

    /// <summary>Reports a rebase that stopped on conflicts as an error beside the result, so -ErrorAction and $? see it.</summary>
    public static RebaseResult? ReportConflict(RunEventWriter events, RebaseResult? rebase)
    {
        if (rebase is { Outcome: RebaseOutcome.Conflicted })
        {
            events.Error(new RebaseConflictException(rebase));
        }
        return rebase;
    }

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

    /// <summary>$_.Exception.Message in PowerShell's words as well (scripts log it), not only ErrorDetails.</summary>
    private static AmpSessionsException InPowerShellWords(AmpSessionsException error)
    {
        error.MessageStyle = RemedyStyle.PowerShell;
        return error;
    }
}
