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

    /// <summary>Limits that override the file's execution.budget, each one given (null fields keep the file's).</summary>
    public Budgets.Budget? Budget { get; init; }

    /// <summary>The batch file's text when it is generated (an evaluation run), not read from <see cref="FilePath"/>; its folder anchors relative paths.</summary>
    public string? FileText { get; init; }

    /// <summary>
    /// Where the journal goes instead of the batch's data folder (a volume shared by the shards of a
    /// Kubernetes Indexed Job). When it already holds this file's and shard's journal (the pod ran
    /// before and was restarted), the run continues it: what finished there never runs again.
    /// </summary>
    public string? JournalPath { get; init; }
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

    /// <summary>Where clone URLs of evaluation repositories tables are cloned.</summary>
    private string CloneRoot => Evaluation.RepositoryClones.Root(context.Data.Root);

    /// <summary>The folder of one batch's journal, logs and reports.</summary>
    public string BatchFolder(string batchId) => Path.Combine(context.Data.Root, "batches", batchId);

    /// <summary>Parses and expands a batch file without running anything.</summary>
    public BatchValidation Validate(string filePath, BatchShard? shard = null)
    {
        var definition = BatchFileParser.Load(filePath, CloneRoot);
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
            ? Expand(BatchFileParser.Parse(text, fullPath, CloneRoot), request.Shard)
            : Validate(fullPath, request.Shard);
        if (request.Budget is { } budget)
        {
            var file = validation.Definition.Execution.Budget;
            validation = validation with
            {
                Definition = validation.Definition with
                {
                    Execution = validation.Definition.Execution with
                    {
                        Budget = Budgets.BudgetRules.Checked(new Budgets.Budget
                        {
                            Tokens = budget.Tokens ?? file.Tokens,
                            CostUsd = budget.CostUsd ?? file.CostUsd,
                            Time = budget.Time ?? file.Time,
                        }),
                    },
                },
            };
        }
        var runner = runnerFactory(context, validation.Definition);

        var journalPath = request.JournalPath is { } given ? Path.GetFullPath(given) : null;
        var continued = journalPath is not null && File.Exists(journalPath) ? BatchJournal.Read(journalPath) : null;
        var id = continued is null ? NewBatchId() : ContinuedBatchId(continued, validation);
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
            JournalPath = journalPath ?? Path.Combine(folder, "journal.jsonl"),
            TotalItems = validation.Selected.Count,
            CreatedAt = now,
        };
        BatchJournal journal;
        try
        {
            Storage.PrivateFiles.Folder(Path.GetDirectoryName(folder)!);
            Storage.PrivateFiles.Folder(folder);
            Storage.PrivateFiles.Folder(Path.Combine(folder, "logs"));
            journal = continued is not null ? BatchJournal.OpenForAppend(record.JournalPath) : BatchJournal.Create(record.JournalPath, new BatchJournalHeader
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
                Budget = validation.Definition.Execution.Budget.IsEmpty ? null : validation.Definition.Execution.Budget,
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
            var previous = (continued?.Latest() ?? []).Where(r => r.Status.IsFinished()).ToDictionary(r => r.ItemId, StringComparer.Ordinal);
            foreach (var finished in previous.Values)
            {
                Store.RecordItem(finished);
            }
            return await RunClaimedAsync(record, validation, journal, previous, runner, progress, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The id of the batch a journal given with --journal already holds: it must be this file's and
    /// this shard's, and not a batch this data directory knows (that one resumes with `batch resume`).
    /// </summary>
    private string ContinuedBatchId(BatchJournalContents continued, BatchValidation validation)
    {
        var header = continued.Header;
        if (header.ContentHash != validation.Definition.ContentHash || !header.ItemIds.ToHashSet(StringComparer.Ordinal).SetEquals(validation.Selected.Select(i => i.Id)))
        {
            throw new AmpSessionsException("AmpBatchJournalOfAnotherRun", ErrorKind.InvalidArgument,
                $"The journal '{continued.Path}' belongs to another batch file or shard ({header.Name}, shard {header.Shard?.ToString() ?? "all"})", continued.Path,
                remedy: $"give each shard a journal path of its own, or move the old journal away");
        }
        if (Store.Get(header.BatchId) is not null)
        {
            throw new AmpSessionsException("AmpBatchJournalInUse", ErrorKind.InvalidOperation,
                $"The journal '{continued.Path}' is batch {header.BatchId}'s, which this data directory already has", header.BatchId,
                remedy: $"resume it with {Invocation.Of(Operation.ResumeBatch, header.BatchId)}");
        }
        return header.BatchId;
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
        var definition = BatchFileParser.Parse(batch.FileText, batch.FilePath, CloneRoot);
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
            LogDirectory = Storage.PrivateFiles.Folder(Path.Combine(BatchFolder(batch.Id), "logs")),
            Concurrency = batch.Concurrency ?? validation.Definition.Execution.Concurrency,
        };
        var result = await new BatchRunner(Store, runner, context.Clock, runnerOptions).RunAsync(plan, context.Events.Recording(progress), cancellationToken).ConfigureAwait(false);
        var reports = new List<string>();
        foreach (var format in validation.Definition.Metrics.ExportFormats)
        {
            var path = Path.Combine(BatchFolder(batch.Id), "report" + ReportFormats.Extension(format));
            BatchReports.Write(StoredReport(current) with { Budget = validation.Definition.Execution.Budget.IsEmpty ? null : validation.Definition.Execution.Budget }, format, path);
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
        Budget = BudgetOf(batch),
    };

    private Budgets.Budget? BudgetOf(BatchRecord batch)
    {
        try
        {
            return BatchFileParser.Parse(batch.FileText, batch.FilePath, CloneRoot).Execution.Budget is { IsEmpty: false } budget ? budget : null;
        }
        catch (BatchFileException)
        {
            return null;
        }
    }

    // The report still works when the folders the file names are gone: it then shows every metric.
    private IReadOnlyList<BatchMetric> MetricsOf(BatchRecord batch)
    {
        try
        {
            return BatchFileParser.Parse(batch.FileText, batch.FilePath, CloneRoot).Metrics.Collection;
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
