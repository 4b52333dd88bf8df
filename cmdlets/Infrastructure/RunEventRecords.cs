using System.Management.Automation;
using AmpSessions.Core.Jobs;

namespace AmpSessions.Module.Infrastructure;

/// <summary>Core run events as PowerShell records, for the pipeline and for jobs alike.</summary>
internal static class RunEventRecords
{
    public static ProgressRecord Progress(RunProgress progress, int activityId, int parentActivityId) =>
        new(activityId, progress.Activity, progress.Status)
        {
            PercentComplete = progress.PercentComplete ?? -1,
            CurrentOperation = progress.CurrentOperation,
            ParentActivityId = parentActivityId,
            RecordType = progress.IsCompleted ? ProgressRecordType.Completed : ProgressRecordType.Processing,
        };

    public static InformationRecord Information(RunEvent item, string source) =>
        new(item.Message, source) { TimeGenerated = item.Time.LocalDateTime };
}
