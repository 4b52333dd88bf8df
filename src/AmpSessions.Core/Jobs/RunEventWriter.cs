using System.Threading.Channels;
using AmpSessions.Core.Errors;

namespace AmpSessions.Core.Jobs;

/// <summary>
/// What a core operation uses to report while it runs, from any thread. Events go into the run's
/// channel in order; a front end reads them on its own thread. Events written after the run ended
/// are dropped, since nobody reads them any more.
/// </summary>
public sealed class RunEventWriter
{
    private readonly ChannelWriter<RunEvent> channel;
    private readonly TimeProvider clock;

    internal RunEventWriter(ChannelWriter<RunEvent> channel, TimeProvider clock)
    {
        this.channel = channel;
        this.clock = clock;
    }

    /// <summary>Reports an activity's state; <paramref name="key"/> and <paramref name="parentKey"/> nest it under another (see <see cref="RunProgress"/>).</summary>
    public void Progress(string activity, string status, int? percentComplete = null, string? currentOperation = null, string? key = null, string? parentKey = null)
    {
        if (percentComplete is { } percent)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(percent, nameof(percentComplete));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(percent, 100, nameof(percentComplete));
        }
        Post(RunEventKind.Progress, progress: new RunProgress
        {
            Activity = activity,
            Status = status,
            PercentComplete = percentComplete,
            CurrentOperation = currentOperation,
            Key = key,
            ParentKey = parentKey,
        });
    }

    /// <summary>Ends a progress activity so the host stops showing it.</summary>
    public void CompleteProgress(string activity, string status = "Done", string? key = null, string? parentKey = null) =>
        Post(RunEventKind.Progress, progress: new RunProgress { Activity = activity, Status = status, PercentComplete = 100, IsCompleted = true, Key = key, ParentKey = parentKey });

    public void Verbose(string message) => Post(RunEventKind.Verbose, message);

    public void Information(string message) => Post(RunEventKind.Information, message);

    public void Warning(string message) => Post(RunEventKind.Warning, message);

    public void Output(object item)
    {
        ArgumentNullException.ThrowIfNull(item);
        Post(RunEventKind.Output, output: item);
    }

    public void Error(AmpSessionsException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        Post(RunEventKind.Error, error: error);
    }

    private void Post(RunEventKind kind, string? message = null, RunProgress? progress = null, object? output = null, AmpSessionsException? error = null) =>
        channel.TryWrite(new RunEvent { Kind = kind, Time = clock.GetUtcNow(), Message = message, Progress = progress, Output = output, Error = error });
}
