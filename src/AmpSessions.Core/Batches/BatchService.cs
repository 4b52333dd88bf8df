using AmpSessions.Core.Events;
using System.Diagnostics;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Reports;
using AmpSessions.Core.Sessions;
using AmpSessions.Core.Storage;

namespace AmpSessions.Core.Batches;

/// <summary>What `batch run` needs.</summary>
public sealed record BatchRunRequest
{
    public required string FilePath { get; init; }

    /// <summary>Overrides the file's execution.shard.</summary>
    public BatchShard? Shard { get; init; }

    /// <summary>Overrides the file's execution.concurrency.</summary>
    public int? Concurrency { get; init; }

    /// <summary>The batch file's text when it is generated (an evaluation run), not read from <see cref="FilePath"/>; its folder anchors relative paths.</summary>
    public string? FileText { get; init; }
}

/// <summary>A checked batch file and what it expands to.</summary>
public sealed record BatchValidation
{
    public required BatchDefinition Definition { get; init; }

    /// <summary>Every item of the file.</summary>
    public required IReadOnlyList<BatchItem> Items { get; init; }

    public BatchShard? Shard { get; init; }

    /// <summary>The items the shard (if any) selects.</summary>
    public required IReadOnlyList<BatchItem> Selected { get; init; }
}

/// <summary>A batch with every item's latest result.</summary>
public sealed record BatchDetails
{
    public required BatchSummary Summary { get; init; }
    public required IReadOnlyList<BatchItemResult> Items { get; init; }

    /// <summary>The batch's id (pipelines bind it by property name).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string Id => Summary.Id;
}

/// <summary>
/// The batch operations every front end calls: validate, run, resume, stop, list, status. Batch
/// state lives in the store (batches, batch_items) and in a journal per batch under
/// <c>&lt;data&gt;/batches/&lt;id&gt;/</c>, with item logs beside it.
/// </summary>
public sealed class BatchService
{
    private readonly AmpContext context;
    private readonly Func<AmpContext, BatchDefinition, IBatchItemRunner> runnerFactory;
    private readonly BatchRunnerOptions runnerOptions;

    /// <summary>The item runner comes from <paramref name="runnerFactory"/>, by default <see cref="BatchItemRunnerFactory.Create"/>.</summary>
    public BatchService(AmpContext context, Func<AmpContext, BatchDefinition, IBatchItemRunner>? runnerFactory = null, BatchRunnerOptions? runnerOptions = null)
    {
        this.context = context;
        this.runnerFactory = runnerFactory ?? BatchItemRunnerFactory.Create;
        this.runnerOptions = runnerOptions ?? new BatchRunnerOptions();
        Store = new BatchStore(context.Database);
    }

    public BatchStore Store { get; }

    /// <summary>The folder of one batch's journal, logs and reports.</summary>
    public string BatchFolder(string batchId) => Path.Combine(context.Data.Root, "batches", batchId);

    /// <summary>Parses and expands a batch file without running anything.</summary>
    public BatchValidation Validate(string filePath, BatchShard? shard = null)
    {
        var definition = BatchFileParser.Load(filePath);
        return Expand(definition, shard ?? definition.Execution.Shard);
    }

    private static BatchValidation Expand(BatchDefinition definition, BatchShard? shard)
    {
        var items = BatchExpansion.Expand(definition);
        return new BatchValidation
        {
            Definition = definition,
            Items = items,
            Shard = shard,
            Selected = shard is null ? items : shard.Select(items, i => i.Id),
        };
    }

    /// <summary>
    /// Runs a batch file: validates it (a bad file starts nothing), records the batch and its items,
    /// runs them, and writes the file's export formats next to the journal.
    /// </summary>
    public async Task<BatchRunResult> RunAsync(BatchRunRequest request, IProgress<BatchEvent>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Concurrency is < 1)
        {
            throw new AmpSessionsException("AmpUsageConcurrencyInvalid", ErrorKind.InvalidArgument,
                $"--concurrency {request.Concurrency} is not allowed: give 1 or more.", request.Concurrency);
        }
        var fullPath = Path.GetFullPath(request.FilePath);
        var validation = request.FileText is { } text
            ? Expand(BatchFileParser.Parse(text, fullPath), request.Shard)
            : Validate(fullPath, request.Shard);
        var runner = runnerFactory(context, validation.Definition);

        var id = NewBatchId();
        var folder = BatchFolder(id);
        var now = context.Now;
        var record = new BatchRecord
        {
            Id = id,
            Name = validation.Definition.Metadata.Name,
            FilePath = fullPath,
            FileText = validation.Definition.SourceText,
            ContentHash = validation.Definition.ContentHash,
            Status = BatchStatus.Pending,
            Shard = validation.Shard,
            Concurrency = request.Concurrency,
            JournalPath = Path.Combine(folder, "journal.jsonl"),
            TotalItems = validation.Selected.Count,
            CreatedAt = now,
        };
        BatchJournal journal;
        try
        {
            Directory.CreateDirectory(Path.Combine(folder, "logs"));
            journal = BatchJournal.Create(record.JournalPath, new BatchJournalHeader
            {
                BatchId = id,
                Name = record.Name,
                FilePath = fullPath,
                ContentHash = record.ContentHash,
                Shard = record.Shard,
                ItemIds = validation.Selected.Select(i => i.Id).ToList(),
                AllItems = validation.Items.Count,
                Metrics = validation.Definition.Metrics.Collection,
                CreatedAt = now,
            });
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            DeleteFolder(folder);
            throw new AmpSessionsException("AmpBatchFolderUnwritable", ErrorKind.PermissionDenied,
                $"Cannot write the batch folder '{folder}' ({ex.Message})", folder, ex,
                remedy: $"make the data directory writable or use another {Parameter.DataDirectory}");
        }
        using (journal)
        {
            try
            {
                Store.Insert(record, validation.Selected);
            }
            catch
            {
                journal.Dispose();
                DeleteFolder(folder);
                throw;
            }
            return await RunClaimedAsync(record, validation, journal, new Dictionary<string, BatchItemResult>(), runner, progress, cancellationToken).ConfigureAwait(false);
        }
    }

    private static void DeleteFolder(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: the error being reported matters more.
        }
    }

    /// <summary>
    /// Runs what did not finish of a stopped, interrupted (killed) or failed batch: items the journal
    /// or the store record as finished never run again. The batch file's text as it was at the start
    /// is used, so edits since then do not change the items.
    /// </summary>
    public async Task<BatchRunResult> ResumeAsync(string reference, IProgress<BatchEvent>? progress = null, CancellationToken cancellationToken = default)
    {
        var batch = Resolve(reference);
        var definition = BatchFileParser.Parse(batch.FileText, batch.FilePath);
        if (definition.ContentHash != batch.ContentHash)
        {
            // The text is the stored one, so only an instances file it names can have changed.
            throw new AmpSessionsException("AmpBatchInstancesChanged", ErrorKind.InvalidOperation,
                $"An instances file of batch {batch.Id} changed since the batch started, so its finished and unfinished items would be graded differently: restore the file, or start a new run.", batch.Id);
        }
        var validation = Expand(definition, batch.Shard);
        var stored = Store.Items(batch.Id);
        var expected = validation.Selected.Select(i => i.Id).ToHashSet(StringComparer.Ordinal);
        if (!expected.SetEquals(stored.Select(s => s.ItemId)))
        {
            throw new AmpSessionsException("AmpBatchItemsChanged", ErrorKind.InvalidOperation,
                $"Batch {batch.Id} no longer expands to the items it started with (a repository or case folder changed?)", batch.Id,
                remedy: $"start it again with {Invocation.Of(Operation.RunBatch, null, new Argument(Parameter.Path, batch.FilePath))}");
        }
        var runner = runnerFactory(context, definition);

        // The journal is written first, so it knows best; the store catches up with it.
        var previous = stored.ToDictionary(s => s.ItemId, StringComparer.Ordinal);
        foreach (var fromJournal in BatchJournal.Read(batch.JournalPath).Latest())
        {
            if (expected.Contains(fromJournal.ItemId) && (fromJournal.Status.IsFinished() || !previous[fromJournal.ItemId].Status.IsFinished()))
            {
                if (fromJournal.Status.IsFinished() && !previous[fromJournal.ItemId].Status.IsFinished())
                {
                    Store.RecordItem(fromJournal);
                }
                previous[fromJournal.ItemId] = fromJournal;
            }
        }
        using var journal = BatchJournal.OpenForAppend(batch.JournalPath);
        return await RunClaimedAsync(batch, validation, journal, previous, runner, progress, cancellationToken).ConfigureAwait(false);
    }

    private async Task<BatchRunResult> RunClaimedAsync(BatchRecord batch, BatchValidation validation, BatchJournal journal,
        IReadOnlyDictionary<string, BatchItemResult> previous, IBatchItemRunner runner, IProgress<BatchEvent>? progress, CancellationToken cancellationToken)
    {
        using var self = Process.GetCurrentProcess();
        var owner = batch with { ProcessId = self.Id, ProcessStartedAt = new DateTimeOffset(self.StartTime.ToUniversalTime(), TimeSpan.Zero), HostName = Environment.MachineName };
        var (claimed, current) = Store.Claim(batch.Id, IsHeldByLiveProcess, owner, context.Now);
        if (!claimed)
        {
            throw new AmpSessionsException("AmpBatchRunning", ErrorKind.ResourceBusy,
                $"Batch {batch.Id} is running in process {current.ProcessId} on {current.HostName}", batch.Id,
                remedy: $"wait for it, or stop it first with {Invocation.Of(Operation.StopBatch, batch.Id)}");
        }
        Store.ResetInterruptedItems(batch.Id);
        var plan = new BatchRunPlan
        {
            Batch = current,
            Definition = validation.Definition,
            Items = validation.Selected,
            Previous = previous,
            Journal = journal,
            LogDirectory = Directory.CreateDirectory(Path.Combine(BatchFolder(batch.Id), "logs")).FullName,
            Concurrency = batch.Concurrency ?? validation.Definition.Execution.Concurrency,
        };
        var result = await new BatchRunner(Store, runner, context.Clock, runnerOptions).RunAsync(plan, context.Events.Recording(progress), cancellationToken).ConfigureAwait(false);
        var reports = new List<string>();
        foreach (var format in validation.Definition.Metrics.ExportFormats)
        {
            var path = Path.Combine(BatchFolder(batch.Id), "report" + ReportFormats.Extension(format));
            BatchReports.Write(StoredReport(current), format, path);
            reports.Add(path);
        }
        return result with { Reports = reports };
    }

    /// <summary>
    /// Stops a batch: a running one is asked to stop (its process polls the store, cancels running
    /// items and marks the batch Cancelled), and this waits up to <paramref name="wait"/> for that.
    /// A batch whose process is gone is marked Cancelled at once.
    /// </summary>
    public async Task<BatchSummary> StopAsync(string reference, TimeSpan wait, CancellationToken cancellationToken = default)
    {
        var batch = Resolve(reference);
        switch (batch.Status)
        {
            case BatchStatus.Completed:
                throw new AmpSessionsException("AmpBatchAlreadyFinished", ErrorKind.InvalidOperation,
                    $"Batch {batch.Id} has already completed: there is nothing to stop.", batch.Id);
            case BatchStatus.Running when IsHeldByLiveProcess(batch):
                Store.RequestStop(batch.Id, context.Now);
                var deadline = context.Clock.GetUtcNow() + wait;
                // Reconcile: a process that dies while stopping leaves the batch Interrupted, not Running.
                while (Reconcile(Store.Get(batch.Id)!).Status == BatchStatus.Running && context.Clock.GetUtcNow() < deadline)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(100), context.Clock, cancellationToken).ConfigureAwait(false);
                }
                break;
            default:
                Store.RequestStop(batch.Id, context.Now);
                Store.ResetInterruptedItems(batch.Id);
                Store.Finish(batch.Id, BatchStatus.Cancelled, context.Now, "Stopped while not running: resuming the batch runs what did not finish.");
                break;
        }
        return Summary(Store.Get(batch.Id)!);
    }

    public IReadOnlyList<BatchSummary> List()
    {
        var counts = Store.CountsByBatch();
        return Store.List().Select(Reconcile)
            .Select(b => new BatchSummary { Batch = b, Counts = counts.GetValueOrDefault(b.Id) ?? new Dictionary<BatchItemStatus, int>() })
            .ToList();
    }

    public BatchDetails Status(string reference)
    {
        var batch = Resolve(reference);
        return new BatchDetails { Summary = Summary(batch), Items = Store.Items(batch.Id) };
    }

    /// <summary>Every batch, newest first, with its items' latest results.</summary>
    public IReadOnlyList<BatchDetails> ListDetails() =>
        List().Select(summary => new BatchDetails { Summary = summary, Items = Store.Items(summary.Id) }).ToList();

    /// <summary>
    /// Finds a batch by id, unique id prefix or name; a name means the latest run of that name (a
    /// nightly batch file runs again and again). A Running batch whose process is gone is marked Interrupted.
    /// </summary>
    public BatchRecord Resolve(string reference)
    {
        var text = reference?.Trim() ?? "";
        if (text.Length == 0)
        {
            throw new AmpSessionsException("AmpBatchNotFound", ErrorKind.NotFound, "No batch given", reference, remedy: $"pass its id (see {Invocation.Of(Operation.ListBatches)})");
        }
        var found = Store.Get(text) is { } exact ? [exact] : Store.FindByIdPrefixOrName(text);
        var byId = found.Where(b => b.Id.StartsWith(text, StringComparison.Ordinal)).ToList();
        // Newest first: a name alone picks its latest run.
        IReadOnlyList<BatchRecord> matches = byId.Count > 0 ? byId : found.Take(1).ToList();
        return matches.Count switch
        {
            0 => throw new AmpSessionsException("AmpBatchNotFound", ErrorKind.NotFound,
                $"No batch matches '{text}'", text, remedy: $"see {Invocation.Of(Operation.ListBatches)} for ids and names"),
            1 => Reconcile(matches[0]),
            _ => throw new AmpSessionsException("AmpBatchAmbiguous", ErrorKind.NotFound,
                $"'{text}' matches {matches.Count} batches ({string.Join(", ", matches.Take(5).Select(m => m.Id))}): give more of the id.", text),
        };
    }

    /// <summary>What a report shows: a journal file's results when <paramref name="batchOrJournal"/> is an existing file, else the stored batch's.</summary>
    public BatchReportData LoadReport(string batchOrJournal)
    {
        if (File.Exists(batchOrJournal))
        {
            return BatchReportData.FromJournal(batchOrJournal);
        }
        return StoredReport(Resolve(batchOrJournal));
    }

    private BatchReportData StoredReport(BatchRecord batch) => new()
    {
        BatchId = batch.Id,
        Name = batch.Name,
        Shard = batch.Shard,
        CreatedAt = batch.CreatedAt,
        Metrics = MetricsOf(batch),
        Items = Store.Items(batch.Id),
        Source = batch.JournalPath,
    };

    // The report still works when the folders the file names are gone: it then shows every metric.
    private static IReadOnlyList<BatchMetric> MetricsOf(BatchRecord batch)
    {
        try
        {
            return BatchFileParser.Parse(batch.FileText, batch.FilePath).Metrics.Collection;
        }
        catch (BatchFileException)
        {
            return BatchMetricsSettings.AllMetrics;
        }
    }

    private BatchSummary Summary(BatchRecord batch) => new()
    {
        Batch = batch,
        Counts = Store.CountsByBatch().GetValueOrDefault(batch.Id) ?? new Dictionary<BatchItemStatus, int>(),
    };

    private BatchRecord Reconcile(BatchRecord batch)
    {
        if (batch.Status != BatchStatus.Running || IsHeldByLiveProcess(batch))
        {
            return batch;
        }
        var message = $"The process running it ({batch.ProcessId} on {batch.HostName}) is gone: resuming the batch runs what did not finish.";
        Store.Finish(batch.Id, BatchStatus.Interrupted, context.Now, message);
        return Store.Get(batch.Id) ?? batch with { Status = BatchStatus.Interrupted, Message = message };
    }

    /// <summary>
    /// Whether the process recorded as running the batch is alive: same host, same pid, same start
    /// time (so a reused pid does not count). A batch run on another host is assumed alive.
    /// </summary>
    public static bool IsHeldByLiveProcess(BatchRecord batch)
    {
        if (batch.ProcessId is not { } pid)
        {
            return false;
        }
        if (!string.Equals(batch.HostName, Environment.MachineName, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        try
        {
            using var process = Process.GetProcessById(pid);
            if (process.HasExited)
            {
                return false;
            }
            var started = new DateTimeOffset(process.StartTime.ToUniversalTime(), TimeSpan.Zero);
            return batch.ProcessStartedAt is not { } recorded || (started - recorded).Duration() < TimeSpan.FromSeconds(2);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    private string NewBatchId()
    {
        var generate = context.Options.SessionIdGenerator ?? SessionNaming.NewId;
        for (var i = 0; i < 10; i++)
        {
            var id = generate();
            if (Store.Get(id) is null && !Directory.Exists(BatchFolder(id)))
            {
                return id;
            }
        }
        throw new AmpSessionsException("AmpBatchIdExhausted", ErrorKind.InvalidOperation, "Could not find a free batch id after 10 tries: try again.");
    }
}
