using System.Management.Automation;
using AmpSessions.Core.Jobs;
using AmpSessions.Module.Infrastructure;

namespace AmpSessions.Module.Jobs;

/// <summary>
/// The job <c>-AsJob</c> returns: a parent with one <see cref="AmpChildJob"/> per session over a
/// group of core background runs. Get-Job, Wait-Job, Receive-Job, Stop-Job and Remove-Job work on
/// it; its state is derived from its children.
/// </summary>
public sealed class AmpJob : Job
{
    public const string JobTypeName = "AmpSessionsJob";

    /// <summary>How long Stop-Job waits for the runs to honour cancellation.</summary>
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(30);

    private readonly BackgroundRunGroup group;
    private readonly object sync = new();

    internal AmpJob(string command, BackgroundRunGroup group)
        : base(command, null)
    {
        PSJobTypeName = JobTypeName;
        this.group = group;
        var index = 0;
        var runs = group.Runs;
        var keyedActivityIds = new ProgressActivityIds(firstId: runs.Count + 1);
        foreach (var run in runs)
        {
            var child = new AmpChildJob(command, run, progressActivityId: ++index, parentActivityId: 0, keyedActivityIds);
            child.StateChanged += OnChildStateChanged;
            ChildJobs.Add(child);
        }
    }

    public override string StatusMessage
    {
        get
        {
            var finished = ChildJobs.Count(c => IsFinished(c.JobStateInfo.State));
            return $"{finished} of {ChildJobs.Count} runs finished";
        }
    }

    public override bool HasMoreData => ChildJobs.Any(c => c.HasMoreData);

    public override string Location => Environment.MachineName;

    /// <summary>Starts the runs; called after the job was written to the pipeline.</summary>
    internal void Start()
    {
        SetJobState(JobState.Running);
        group.StartAll();
    }

    public override void StopJob()
    {
        lock (sync)
        {
            if (!IsFinished(JobStateInfo.State))
            {
                SetJobState(JobState.Stopping);
            }
        }
        foreach (var child in ChildJobs.OfType<AmpChildJob>())
        {
            child.RequestStop();
        }
        group.CancelAll();
        // The children's final states, not only the runs' ends: the parent's state follows from them in their
        // StateChanged handlers, and Stop-Job returns with the job already Stopped.
        Task.WhenAll(ChildJobs.OfType<AmpChildJob>().Select(child => child.FinalStateSeen)).Wait(StopWait);
    }

    private void OnChildStateChanged(object? sender, JobStateEventArgs e)
    {
        lock (sync)
        {
            var states = ChildJobs.Select(c => c.JobStateInfo.State).ToArray();
            if (!states.All(IsFinished))
            {
                if (JobStateInfo.State == JobState.NotStarted && states.Contains(JobState.Running))
                {
                    SetJobState(JobState.Running);
                }
                return;
            }
            var final = states.Contains(JobState.Failed) ? JobState.Failed
                : states.Contains(JobState.Stopped) ? JobState.Stopped
                : JobState.Completed;
            if (JobStateInfo.State != final)
            {
                SetJobState(final);
            }
        }
    }

    private static bool IsFinished(JobState state) => state is JobState.Completed or JobState.Failed or JobState.Stopped;

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var child in ChildJobs)
            {
                child.StateChanged -= OnChildStateChanged;
                child.Dispose();
            }
        }
        base.Dispose(disposing);
    }
}
