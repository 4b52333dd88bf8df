using System.CommandLine;
using AmpSessions.Core.Batches;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Reports;
using static AmpSessions.Cli.Commands.CommandContext;

namespace AmpSessions.Cli.Commands;

/// <summary>`batch run|validate|status|list|stop|resume|merge` and `report`.</summary>
internal static class BatchCommands
{
    public static void AddTo(RootCommand root)
    {
        var batch = new Command("batch", "Run agents × tasks × repositories from a batch file (see docs/BATCH.md): resumable, shardable, reported.");
        root.Subcommands.Add(batch);
        AddRun(batch);
        AddValidate(batch);
        AddStatus(batch);
        AddList(batch);
        AddStop(batch);
        AddResume(batch);
        AddMerge(batch);
        AddReport(root);
    }

    private static BatchService Service(ParseResult parseResult) => new(OpenContext(parseResult));

    private static Argument<string> FileArgument() => new("file") { Description = "The batch file (YAML, version 3)." };

    private static Argument<string> BatchArgument() => new("batch") { Description = "The batch: its id, a unique prefix of the id, or its name." };

    private static Option<string?> ShardOption() => new("--shard")
    {
        Description = "Run only shard i of N (1-based, e.g. 2/3): items are split by id, so N machines running the same file share it out. job/N: this pod's shard of a Kubernetes Indexed Job (from JOB_COMPLETION_INDEX).",
        HelpName = "i/N",
    };

    private static BatchShard? Shard(ParseResult p, Option<string?> option) => p.GetValue(option) is { } text ? BatchShard.Parse(text) : null;

    private static void AddRun(Command batch)
    {
        var file = FileArgument();
        var shard = ShardOption();
        var concurrency = new Option<int?>("--concurrency") { Description = "Items run at once (overrides execution.concurrency).", HelpName = "n" };
        var journal = new Option<string?>("--journal")
        {
            Description = "Write the journal here instead of the data directory (a volume the shards share); an existing journal of this file and shard is continued.",
            HelpName = "path",
        };
        var budget = new BudgetOptions(changing: false, iterations: false);
        batch.Add("run", "Validate and run a batch file; each finished item goes to the batch's journal and the store at once.", async (p, output, ct) =>
        {
            var limits = budget.Read(p);
            var request = new BatchRunRequest
            {
                FilePath = p.GetValue(file)!,
                Shard = Shard(p, shard),
                Concurrency = p.GetValue(concurrency),
                JournalPath = p.GetValue(journal),
                Budget = limits.IsEmpty ? null : limits,
            };
            var service = Service(p);
            var result = await BatchProgressDisplay.RunAsync(output, progress => service.RunAsync(request, progress, ct));
            return RenderRun(output, result, ct);
        }, [file, shard, concurrency, journal, .. budget.All]);
    }

    private static void AddResume(Command batch)
    {
        var reference = BatchArgument();
        batch.Add("resume", "Run what did not finish of a stopped or interrupted batch; finished items never run again.", async (p, output, ct) =>
        {
            var service = Service(p);
            var result = await BatchProgressDisplay.RunAsync(output, progress => service.ResumeAsync(p.GetValue(reference)!, progress, ct));
            return RenderRun(output, result, ct);
        }, reference);
    }

    private static int RenderRun(Output output, BatchRunResult result, CancellationToken cancellationToken)
    {
        output.Result(result, r =>
        {
            output.Line($"Batch {r.BatchId} {r.Status.ToString().ToLowerInvariant()}: {r.Completed} of {r.Total} items finished, {r.Passed} passed ({r.Ran.Count} ran now).");
            output.Line($"  journal: {r.JournalPath}");
            foreach (var report in r.Reports)
            {
                output.Line($"  report:  {report}");
            }
            if (r.Status != BatchStatus.Completed)
            {
                output.Line($"Resume with: amp-sessions batch resume {r.BatchId}");
            }
        });
        return result.Status is BatchStatus.Completed ? CliApplication.Success
            : cancellationToken.IsCancellationRequested ? CliApplication.Cancelled
            : CliApplication.Failed;
    }

    private static void AddValidate(Command batch)
    {
        var file = FileArgument();
        var shard = ShardOption();
        batch.Add("validate", "Check a batch file without running it: every problem with file:line:column, then the items it expands to.", (p, output, _) =>
        {
            BatchValidation validation;
            try
            {
                validation = Service(p).Validate(p.GetValue(file)!, Shard(p, shard));
            }
            catch (BatchFileException ex)
            {
                foreach (var error in ex.Errors)
                {
                    Console.Error.WriteLine(error.ToString());
                }
                if (output.IsJson)
                {
                    output.Result(new BatchInvalidView(false, ex.Errors), _ => { });
                }
                Console.Error.WriteLine($"amp-sessions: {ex.Errors.Count} problem{(ex.Errors.Count == 1 ? "" : "s")} in the batch file: nothing was started.");
                return Task.FromResult(CliApplication.Failed);
            }
            var d = validation.Definition;
            output.Result(new BatchValidView(
                Valid: true,
                File: d.FilePath,
                Name: d.Metadata.Name,
                Items: validation.Items.Count,
                Selected: validation.Selected.Count,
                Shard: validation.Shard?.ToString(),
                Agents: d.Agents.Select(a => a.Id).ToArray(),
                Tasks: d.Tasks.Select(t => new BatchValidView.Task(t.Id, t.Type, validation.Items.Count(i => i.TaskId == t.Id))).ToArray(),
                ItemIds: validation.Selected.Select(i => i.Id).ToArray()), _ =>
            {
                output.Line($"{d.FilePath}: valid. \"{d.Metadata.Name}\": {BatchText.Count(d.Agents.Count, "agent")} × {BatchText.Count(d.Tasks.Count, "task")} = {BatchText.Count(validation.Items.Count, "item")}" +
                    (validation.Shard is null ? "." : $"; shard {validation.Shard} runs {validation.Selected.Count}."));
                foreach (var task in d.Tasks)
                {
                    var count = validation.Items.Count(i => i.TaskId == task.Id);
                    output.Line($"  {task.Id} ({task.Type.ToString().ToLowerInvariant()}): {BatchText.Count(count, "item")}" + (task.Type == BatchTaskType.Batch
                        ? $" ({BatchText.Count(task.Prompts.Count, "prompt")} × {task.Repositories.Count} repositor{(task.Repositories.Count == 1 ? "y" : "ies")} per agent)"
                        : $" ({BatchText.Count(task.Cases.Count, "case")} per agent)"));
                }
                output.Line($"  {d.Execution.Concurrency} at once, time limit {(d.Execution.Timeout is { } t ? BatchText.Duration(t) : "none")}, up to {Core.Display.DisplayFormat.Plural(d.Execution.RetryPolicy.MaxAttempts, "attempt")}");
            });
            return Task.FromResult(CliApplication.Success);
        }, file, shard);
    }

    private static void AddStatus(Command batch)
    {
        var reference = BatchArgument();
        batch.Add("status", "Show a batch and every item's latest result.", (p, output, _) =>
        {
            var details = Service(p).Status(p.GetValue(reference)!);
            var b = details.Summary.Batch;
            output.Result(details, _ =>
            {
                output.Line($"Batch {b.Id} \"{b.Name}\"  [{b.Status}]{(b.Shard is null ? "" : $"  shard {b.Shard}")}");
                output.Line($"  {BatchText.Counts(details.Summary)}");
                if (b.Message is not null)
                {
                    output.Line($"  {b.Message}");
                }
                output.Line($"  file:    {b.FilePath}");
                output.Line($"  journal: {b.JournalPath}");
                output.Line();
                output.Table(["ITEM", "AGENT", "TASK", "REPO/CASE", "STATUS", "TRIES", "TIME", "ERROR"], details.Items.Select(i => (IReadOnlyList<string>)
                [
                    i.ItemId, i.AgentId, i.TaskId, i.CaseId ?? i.Repository ?? "-", BatchText.Status(i.Status), i.Attempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    i.Status == BatchItemStatus.Pending ? "-" : BatchText.Duration(i.Duration), (i.Error ?? "").ReplaceLineEndings(" "),
                ]));
            });
            return Task.FromResult(CliApplication.Success);
        }, reference);
    }

    private static void AddList(Command batch)
    {
        batch.Add("list", "List batches, newest first.", (p, output, _) =>
        {
            output.Result(Service(p).List(), list =>
            {
                if (list.Count == 0)
                {
                    output.Line("No batches. Start one with: amp-sessions batch run <file>");
                    return;
                }
                output.Table(["ID", "NAME", "STATUS", "SHARD", "DONE", "PASSED", "CREATED"], list.Select(b => (IReadOnlyList<string>)
                [
                    b.Id, b.Batch.Name, b.Status.ToString(), b.Batch.Shard?.ToString() ?? "-", $"{b.Finished}/{b.Total}", b.Passed.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    Core.Display.DisplayFormat.Time(b.Batch.CreatedAt),
                ]));
            });
            return Task.FromResult(CliApplication.Success);
        });
    }

    private static void AddStop(Command batch)
    {
        var reference = BatchArgument();
        var wait = new Option<int>("--wait")
        {
            Description = "Seconds to wait for the running process to stop its items (0: just ask).",
            DefaultValueFactory = _ => 60,
            HelpName = "seconds",
        };
        batch.Add("stop", "Stop a batch, from any process: running items are cancelled, nothing new starts, the batch becomes Cancelled.", async (p, output, ct) =>
        {
            if (p.GetValue(wait) < 0)
            {
                throw new AmpSessionsException("AmpUsageWaitNegative", ErrorKind.InvalidArgument, "--wait must be 0 or more seconds.");
            }
            var summary = await Service(p).StopAsync(p.GetValue(reference)!, TimeSpan.FromSeconds(p.GetValue(wait)), ct);
            output.Result(summary, v =>
            {
                output.Line(v.Status == BatchStatus.Running
                    ? $"Batch {v.Id}: stop requested; process {v.Batch.ProcessId} is still stopping its items (check with `amp-sessions batch status {v.Id}`)."
                    : $"Batch {v.Id}: {v.Status} ({BatchText.Counts(v)}).");
                if (v.Status != BatchStatus.Completed)
                {
                    output.Line($"Resume with: amp-sessions batch resume {v.Id}");
                }
            });
            return CliApplication.Success;
        }, reference, wait);
    }

    private static void AddMerge(Command batch)
    {
        var journals = new Argument<string[]>("journal") { Description = "The journal.jsonl files to merge (one per shard).", Arity = ArgumentArity.OneOrMore };
        var outputPath = new Option<string?>("--output") { Description = "Write the merged journal here (default: stdout).", HelpName = "file" };
        batch.Add("merge", "Merge the journals of a batch file's shards into one journal (report it with `amp-sessions report <file>`).", (p, output, _) =>
        {
            var merged = BatchMerge.Combine(p.GetValue(journals)!);
            var path = p.GetValue(outputPath);
            BatchMerge.Write(merged, path, Console.Out);
            if (path is not null)
            {
                output.Result(new BatchMergeView(Path.GetFullPath(path), merged.Sources, merged.Items.Count, merged.MissingItems, merged.Unfinished), _ =>
                    output.Line($"Merged {merged.Sources.Count} journals into {Path.GetFullPath(path)}: {merged.Items.Count} items, {merged.Unfinished} unfinished, {merged.MissingItems} missing."));
            }
            if (merged.MissingItems > 0)
            {
                output.Note($"amp-sessions: {merged.MissingItems} of the batch's {merged.Header.AllItems} items are in no journal given: is a shard missing?");
            }
            return Task.FromResult(CliApplication.Success);
        }, journals, outputPath);
    }

    private static void AddReport(RootCommand root)
    {
        var source = new Argument<string>("batch-or-journal") { Description = "A batch (id, prefix or name) or a journal file (a batch's, or one written by `batch merge`)." };
        var format = new Option<string>("--format") { Description = $"The report format: {ReportFormats.Names}.", DefaultValueFactory = _ => "html", HelpName = "format" };
        var outputPath = new Option<string?>("--output") { Description = "Write the report here (default: stdout; links to logs are relative to this file's folder).", HelpName = "file" };
        root.Add("report", "Write a batch report: JSONL, CSV, or a self-contained HTML page with charts.", (p, output, _) =>
        {
            if (!ReportFormats.TryParse(p.GetValue(format) ?? "", out var reportFormat))
            {
                throw new AmpSessionsException("AmpUsageReportFormat", ErrorKind.InvalidArgument,
                    $"'{p.GetValue(format)}' is not a report format: use {ReportFormats.Names}.", p.GetValue(format));
            }
            var data = Service(p).LoadReport(p.GetValue(source)!);
            if (p.GetValue(outputPath) is not { } path)
            {
                BatchReports.Render(data, reportFormat, Console.Out, Environment.CurrentDirectory);
                return Task.FromResult(CliApplication.Success);
            }
            BatchReports.Write(data, reportFormat, path);
            output.Result(new BatchReportView(Path.GetFullPath(path), reportFormat, data.Items.Count), _ =>
                output.Line($"Wrote the {reportFormat.ToString().ToLowerInvariant()} report of {data.Items.Count} items to {Path.GetFullPath(path)}"));
            return Task.FromResult(CliApplication.Success);
        }, source, format, outputPath);
    }
}
