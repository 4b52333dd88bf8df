using System.Management.Automation;
using AmpSessions.Core.Jobs;
using AmpSessions.Module.Infrastructure;

namespace AmpSessions.Module.Jobs;

/// <summary>
/// One session of an <see cref="AmpJob"/>: a shell over a core background run. A worker moves the
/// run's events into the job's Output, Error, Progress, Verbose, Warning and Information
/// collections (never the pipeline) and sets the final state once the run has ended.
/// </summary>
public sealed class AmpChildJob : Job
{
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(30);

    private readonly IBackgroundRun run;
    private readonly int progressActivityId;
    private readonly int parentActivityId;
    private readonly ProgressActivityIds keyedActivityIds;
    private volatile bool stopRequested;
    // Set once the final state is set and its StateChanged handlers (the parent's among them) have run:
    // Stop-Job returns after that, so the job and its parent already read Stopped when it does.
    private readonly TaskCompletionSource finished = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="keyedActivityIds">Ids of activities with a key (a batch and its items), shared by the job's children so none collide.</param>
    internal AmpChildJob(string command, IBackgroundRun run, int progressActivityId, int parentActivityId, ProgressActivityIds keyedActivityIds)
        : base(command, run.Name)
    {
        PSJobTypeName = AmpJob.JobTypeName;
        this.run = run;
        this.progressActivityId = progressActivityId;
        this.parentActivityId = parentActivityId;
        this.keyedActivityIds = keyedActivityIds;
        run.StateChanged += OnRunStateChanged;
        _ = Task.Run(ForwardAsync);
    }

    public override string StatusMessage => run.State.ToString();

    public override bool HasMoreData =>
        Output.Count > 0 || Error.Count > 0 || Progress.Count > 0 || Verbose.Count > 0 || Warning.Count > 0 || Information.Count > 0;

    public override string Location => Environment.MachineName;

    public override void StopJob()
    {
        RequestStop();
        FinalStateSeen.Wait(StopWait);
    }

    /// <summary>Completes once the job's final state is set and every StateChanged handler has seen it.</summary>
    internal Task FinalStateSeen => finished.Task;

    /// <summary>
    /// Cancels the run and remembers that it was asked to stop: a cancelled iteration still ends its
    /// run normally (with a record whose status is Cancelled), and such a job ended Stopped, not Completed.
    /// </summary>
    internal void RequestStop()
    {
        stopRequested = true;
        run.Cancel();
    }

    private void OnRunStateChanged(object? sender, BackgroundRunStateChangedEventArgs e)
    {
        if (e.Current == BackgroundRunState.Running)
        {
            SetJobState(JobState.Running);
        }
    }

    private async Task ForwardAsync()
    {
        try
        {
            await ForwardEventsAndEndAsync().ConfigureAwait(false);
        }
        finally
        {
            finished.TrySetResult();
        }
    }

    private async Task ForwardEventsAndEndAsync()
    {
        await foreach (var item in run.Events.ReadAllAsync().ConfigureAwait(false))
        {
            Add(item);
        }
        await run.Completion.ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        switch (run.State)
        {
            case BackgroundRunState.Completed:
                if (run.Result is { } result)
                {
                    foreach (var item in LanguagePrimitives.GetEnumerable(result) ?? new[] { result })
                    {
                        Output.Add(PSObject.AsPSObject(item));
                    }
                }
                SetJobState(stopRequested ? JobState.Stopped : JobState.Completed);
                break;
            case BackgroundRunState.Cancelled:
                SetJobState(JobState.Stopped);
                break;
            default:
                Error.Add(ErrorRecords.From(run.Error!, run.Name));
                SetJobState(JobState.Failed);
                break;
        }
    }

    private void Add(RunEvent item)
    {
        switch (item.Kind)
        {
            case RunEventKind.Progress:
                // A session run is one activity per child; a batch reports its own and one per running item.
                Progress.Add(item.Progress!.Key is null
                    ? RunEventRecords.Progress(item.Progress, progressActivityId, parentActivityId)
                    : keyedActivityIds.Record(item.Progress, parentActivityId));
                break;
            case RunEventKind.Verbose:
                Verbose.Add(new VerboseRecord(item.Message));
                break;
            case RunEventKind.Information:
                Information.Add(RunEventRecords.Information(item, Name));
                break;
            case RunEventKind.Warning:
                Warning.Add(new WarningRecord(item.Message));
                break;
            case RunEventKind.Output:
                Output.Add(PSObject.AsPSObject(item.Output));
                break;
            case RunEventKind.Error:
                Error.Add(ErrorRecords.From(item.Error!, Name));
                break;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            run.StateChanged -= OnRunStateChanged;
        }
        base.Dispose(disposing);
    }
}
