using System.Collections.Concurrent;
using System.Diagnostics;
using AmpSessions.Core.Batches;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace AmpSessions.Cli.Commands;

/// <summary>
/// Shows a running batch: on a terminal a live Spectre view (a progress bar, the running items
/// with their attempt and time, the latest results); otherwise (redirected, --json) one plain
/// line per finished item on stderr, so stdout stays clean.
/// </summary>
internal sealed class BatchProgressDisplay : IProgress<BatchEvent>
{
    private const int RecentLines = 8;

    private readonly Output output;
    private readonly bool live;
    private readonly ConcurrentDictionary<string, (BatchItem Item, int Attempt, long StartedTimestamp, bool Retrying)> running = new();
    private readonly ConcurrentQueue<string> recent = new();
    private readonly TaskCompletionSource batchStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private BatchStarted? started;
    private BatchProgress? progress;

    private BatchProgressDisplay(Output output, bool live)
    {
        this.output = output;
        this.live = live;
    }

    /// <summary>Runs the batch work while showing its progress.</summary>
    public static async Task<T> RunAsync<T>(Output output, Func<IProgress<BatchEvent>, Task<T>> work)
    {
        // The only Spectre renderer: its console is set up here, where it is first used, not in every command.
        CiRun.ConfigureConsole();
        var interactive = !output.IsJson && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
        var display = new BatchProgressDisplay(output, interactive);
        if (!interactive)
        {
            return await work(display).ConfigureAwait(false);
        }
        // The live view starts with the batch: a file that fails validation leaves no half-drawn display behind.
        var task = work(display);
        await Task.WhenAny(task, display.batchStarted.Task).ConfigureAwait(false);
        if (task.IsCompleted)
        {
            return await task.ConfigureAwait(false);
        }
        T result = default!;
        await AnsiConsole.Live(display.Render()).AutoClear(false).StartAsync(async context =>
        {
            while (!task.IsCompleted)
            {
                context.UpdateTarget(display.Render());
                await Task.WhenAny(task, Task.Delay(200)).ConfigureAwait(false);
            }
            context.UpdateTarget(display.Render());
            result = await task.ConfigureAwait(false);
        }).ConfigureAwait(false);
        return result;
    }

    public void Report(BatchEvent value)
    {
        switch (value)
        {
            case BatchStarted s:
                started = s;
                batchStarted.TrySetResult();
                Plain($"batch {s.BatchId} \"{s.Name}\": {s.Remaining} of {s.Total} items to run, {s.Concurrency} at once{(s.Shard is null ? "" : $", shard {s.Shard}")}");
                break;
            case BatchProgress p:
                progress = p;
                break;
            case ItemStatusChanged { Status: BatchItemStatus.Running } e:
                running[e.Item.Id] = (e.Item, e.Attempt, Stopwatch.GetTimestamp(), false);
                break;
            case ItemStatusChanged { Retrying: true } e:
                running[e.Item.Id] = (e.Item, e.Attempt, Stopwatch.GetTimestamp(), true);
                Finished($"retry   {e.Item.Label}: attempt {e.Attempt} {BatchText.Status(e.Status)}{(e.Message is null ? "" : $" ({e.Message})")}");
                break;
            case ItemStatusChanged e:
                running.TryRemove(e.Item.Id, out _);
                var done = progress is null ? "" : $"[{progress.Completed + (e.Status.IsFinished() ? 1 : 0)}/{progress.Total}] ";
                Finished($"{done}{BatchText.Status(e.Status),-9} {e.Item.Label}{(e.Attempt > 1 ? $" (attempt {e.Attempt})" : "")}{(e.Message is null ? "" : $": {e.Message}")}");
                break;
            case BatchFinished f:
                Plain($"batch {f.BatchId} {f.Status.ToString().ToLowerInvariant()}: {f.Completed} of {f.Total} items finished");
                break;
        }
    }

    private void Finished(string line)
    {
        if (!live)
        {
            output.Note(line);
            return;
        }
        recent.Enqueue(line);
        while (recent.Count > RecentLines && recent.TryDequeue(out _))
        {
        }
    }

    private void Plain(string line)
    {
        if (!live)
        {
            output.Note(line);
        }
    }

    private IRenderable Render()
    {
        var total = progress?.Total ?? started?.Total ?? 0;
        var completed = progress?.Completed ?? (started is null ? 0 : started.Total - started.Remaining);
        var title = started is null ? "Starting batch…" : $"Batch {started.BatchId} \"{started.Name}\"";
        var bar = new BreakdownChart().Width(60).HideTags()
            .AddItem("done", Math.Max(completed, 0), Color.Green)
            .AddItem("left", Math.Max(total - completed, total == 0 ? 1 : 0), Color.Grey23);
        var summary = $"{completed}/{total} finished · {progress?.Passed ?? 0} passed · {progress?.Failed ?? 0} not passed · {running.Count} running";
        var table = new Table().Border(TableBorder.Simple).AddColumns("Running", "Attempt", "Time");
        foreach (var (item, attempt, startedAt, retrying) in running.Values.OrderBy(r => r.StartedTimestamp).Take(20))
        {
            table.AddRow(Markup.Escape(item.Label), retrying ? $"{attempt} (retrying)" : attempt.ToString(System.Globalization.CultureInfo.InvariantCulture),
                BatchText.Duration(Stopwatch.GetElapsedTime(startedAt)));
        }
        var rows = new List<IRenderable> { new Markup($"[bold]{Markup.Escape(title)}[/]"), bar, new Text(summary) };
        if (!running.IsEmpty)
        {
            rows.Add(table);
        }
        rows.AddRange(recent.Select(line => new Text(line)));
        return new Rows(rows);
    }
}
