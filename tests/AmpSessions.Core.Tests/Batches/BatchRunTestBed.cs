using AmpSessions.Core.Batches;
using AmpSessions.Testing.Batches;

namespace AmpSessions.Core.Tests.Batches;

/// <summary>Batch runs hold real processes; run these test classes one at a time so timings stay sane on small machines.</summary>
[CollectionDefinition(Name)]
public sealed class BatchRunCollection
{
    public const string Name = "batch runs";
}

/// <summary>A batch workspace and a service running its items as real processes.</summary>
public sealed class BatchRunTestBed : IDisposable
{
    public BatchRunTestBed()
    {
        Context = AmpContext.Open(Workspace.DataDirectory);
        Service = new BatchService(Context, (_, _) => Runner, new BatchRunnerOptions { StopPollInterval = TimeSpan.FromMilliseconds(100) });
    }

    public BatchWorkspace Workspace { get; } = new();
    public ProcessBatchItemRunner Runner { get; } = new();
    public AmpContext Context { get; }
    public BatchService Service { get; }

    /// <summary>Writes the workspace's standard batch file (see <see cref="BatchWorkspace.WriteBatch"/>).</summary>
    public string WriteBatch(string execution, params string[] agents) => Workspace.WriteBatch(execution, agents);

    public void Dispose() => Workspace.Dispose();
}

/// <summary>Collects events (they arrive on worker threads).</summary>
public sealed class EventLog : IProgress<BatchEvent>
{
    private readonly List<BatchEvent> events = [];

    public void Report(BatchEvent value)
    {
        lock (events)
        {
            events.Add(value);
        }
    }

    public IReadOnlyList<BatchEvent> All
    {
        get
        {
            lock (events)
            {
                return events.ToList();
            }
        }
    }
}
