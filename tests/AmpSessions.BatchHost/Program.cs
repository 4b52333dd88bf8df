using AmpSessions.Core;
using AmpSessions.Core.Batches;
using AmpSessions.Testing.Batches;

// batch-host run <batch-file> <data-dir> [i/N]  |  batch-host resume <batch-id> <data-dir>
// One line per event on stdout ("started <id>", "item <item-id> <status> <attempt>", "finished <status>").
if (args.Length < 3 || args[0] is not ("run" or "resume"))
{
    Console.Error.WriteLine("usage: batch-host run <batch-file> <data-dir> [i/N] | batch-host resume <batch-id> <data-dir>");
    return 2;
}
var service = new BatchService(AmpContext.Open(args[2]), (_, _) => new ProcessBatchItemRunner(),
    new BatchRunnerOptions { StopPollInterval = TimeSpan.FromMilliseconds(100) });
var progress = new Events();
var result = args[0] == "run"
    ? await service.RunAsync(new BatchRunRequest { FilePath = args[1], Shard = args.Length > 3 ? BatchShard.Parse(args[3]) : null }, progress)
    : await service.ResumeAsync(args[1], progress);
return result.Status == BatchStatus.Completed ? 0 : 1;

internal sealed class Events : IProgress<BatchEvent>
{
    private readonly object gate = new();

    public void Report(BatchEvent value)
    {
        var line = value switch
        {
            BatchStarted s => $"started {s.BatchId} {s.Remaining}/{s.Total}",
            ItemStatusChanged { Status: not BatchItemStatus.Running, Retrying: false } i => $"item {i.Item.Id} {i.Status} {i.Attempt}",
            BatchFinished f => $"finished {f.Status}",
            _ => null,
        };
        if (line is not null)
        {
            lock (gate)
            {
                Console.Out.WriteLine(line);
                Console.Out.Flush();
            }
        }
    }
}
