using AmpSessions.Core.Batches;
using AmpSessions.Testing.Batches;

namespace AmpSessions.Core.Tests.Batches;

/// <summary>Batch runs hold real processes; run these test classes one at a time so timings stay sane on small machines.</summary>
[CollectionDefinition(Name)]
public sealed class BatchRunCollection
{
    public const string Name = "batch runs";
}

/// <summary>A workspace with two repositories (repo-a passes `test -f PASS`, repo-b does not) and a service running items as real processes.</summary>
public sealed class BatchRunTestBed : IDisposable
{
    public BatchRunTestBed()
    {
        Workspace.Folder("repo-a");
        Workspace.WriteFile("repo-a/PASS", "yes\n");
        Workspace.Folder("repo-b");
        Context = AmpContext.Open(Workspace.DataDirectory);
        Service = new BatchService(Context, (_, _) => Runner, new BatchRunnerOptions { StopPollInterval = TimeSpan.FromMilliseconds(100) });
    }

    public BatchWorkspace Workspace { get; } = new();
    public ProcessBatchItemRunner Runner { get; } = new();
    public AmpContext Context { get; }
    public BatchService Service { get; }

    /// <summary>Writes batch.yaml: the agents given, two tasks (build: graded by `test -f PASS`; docs: ungraded) over repo-a and repo-b.</summary>
    public string WriteBatch(string execution, params string[] agents) => Workspace.WriteFile("batch.yaml", $$"""
        version: 3
        metadata:
          name: "Runner test"
        execution:
        {{execution}}
        agents:
        {{string.Join("\n", agents)}}
        tasks:
          - id: build
            type: batch
            prompts: ["Add a feature"]
            repositories: ["./repo-a", "./repo-b"]
            script_command: "test -f PASS"
          - id: docs
            type: batch
            prompts: ["Write the docs"]
            repositories: ["./repo-a", "./repo-b"]
        prices:
          steady: { input: 3, output: 15, cache_creation: 3.75, cache_read: 0.3 }
        metrics:
          export_formats: [jsonl, csv, html]
        """);

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
