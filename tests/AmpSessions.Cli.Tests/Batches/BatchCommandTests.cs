using System.Text.Json;
using AmpSessions.Core;
using AmpSessions.Core.Batches;
using AmpSessions.Testing;
using AmpSessions.Testing.Batches;
using static AmpSessions.Testing.Batches.BatchWorkspace;

namespace AmpSessions.Cli.Tests.Batches;

/// <summary>
/// The batch commands through the built CLI. Batches whose results these tests read are run through
/// the core with the test-only process runner (plain folders, no git); `batch run` itself, with real
/// sessions, is in <see cref="BatchRunCliTests"/>.
/// </summary>
public sealed class BatchCommandTests : IDisposable
{
    private readonly BatchWorkspace ws = new();
    private readonly CliRunner cli;

    public BatchCommandTests()
    {
        cli = new CliRunner(ws.DataDirectory);
    }

    public void Dispose() => ws.Dispose();

    private string WriteBatch() => ws.WriteBatch("  concurrency: 2",
        ws.Agent("steady", ws.Script("steady", Succeeds())), ws.Agent("broken", ws.Script("broken", AlwaysErrors())));

    private async Task<BatchRunResult> RunInCoreAsync(string file, BatchShard? shard = null) =>
        await new BatchService(AmpContext.Open(ws.DataDirectory), (_, _) => new ProcessBatchItemRunner())
            .RunAsync(new BatchRunRequest { FilePath = file, Shard = shard });

    [Fact]
    public async Task Validate_describes_a_good_file_and_its_items()
    {
        var file = WriteBatch();

        var text = await cli.RunAsync("batch", "validate", file);
        var json = await cli.RunAsync("batch", "validate", file, "--shard", "2/3", "--json");

        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains($"{file}: valid. \"Runner test\": 2 agents × 2 tasks = 8 items.", text.StandardOutput);
        Assert.Contains("build (batch): 4 items (1 prompt × 2 repositories per agent)", text.StandardOutput);
        Assert.True(json.ExitCode == 0, json.ToString());
        using var document = JsonDocument.Parse(json.StandardOutput);
        var root = document.RootElement;
        Assert.True(root.GetProperty("valid").GetBoolean());
        Assert.Equal(8, root.GetProperty("items").GetInt32());
        Assert.Equal("2/3", root.GetProperty("shard").GetString());
        Assert.Equal(root.GetProperty("selected").GetInt32(), root.GetProperty("itemIds").GetArrayLength());
        Assert.InRange(root.GetProperty("selected").GetInt32(), 2, 3);
    }

    [Fact]
    public async Task Validate_lists_every_problem_with_file_line_and_column()
    {
        var file = ws.WriteFile("bad.yaml", """
            version: 3
            execution:
              concurrency: 0
            agents:
              - id: a
                environment: nowhere
            tasks:
              - id: t
                type: batch
                prompts: ["x"]
                repositories: ["./missing"]
            """);

        var text = await cli.RunAsync("batch", "validate", file);
        var json = await cli.RunAsync("batch", "validate", file, "--json");

        Assert.Equal(1, text.ExitCode);
        Assert.Equal(
        [
            $"{file}:3:16: 'concurrency' in execution is 0: it must be at least 1 (items run at once).",
            $"{file}:6:18: Agent 'a' names environment 'nowhere', but the file defines no environments: add it under 'environments' or remove the key.",
            $"{file}:11:20: Repository './missing' of task 't' does not exist (looked for {ws.Path("missing")}): create it or fix the path (relative paths start at the batch file's folder).",
            "amp-sessions: 3 problems in the batch file: nothing was started.",
        ], text.StandardError.TrimEnd().Split('\n'));
        Assert.Equal(1, json.ExitCode);
        using var document = JsonDocument.Parse(json.StandardOutput);
        var errors = document.RootElement.GetProperty("errors");
        Assert.False(document.RootElement.GetProperty("valid").GetBoolean());
        Assert.Equal(["3:16 InvalidValue", "6:18 UnknownReference", "11:20 PathNotFound"],
            errors.EnumerateArray().Select(e => $"{e.GetProperty("line").GetInt32()}:{e.GetProperty("column").GetInt32()} {e.GetProperty("kind").GetString()}"));
    }

    [Fact]
    public async Task Run_of_a_bad_file_or_shard_starts_nothing()
    {
        var file = WriteBatch();

        var bad = await cli.RunAsync("batch", "run", ws.WriteFile("bad.yaml", "version: 4\n"));
        var shard = await cli.RunAsync("batch", "run", file, "--shard", "4/3");
        var list = await cli.RunAsync("batch", "list", "--json");

        Assert.Equal(1, bad.ExitCode);
        Assert.Contains($"amp-sessions: {ws.Path("bad.yaml")}:1:10: Batch file version 4 is not supported", bad.StandardError);
        Assert.Equal(2, shard.ExitCode);
        Assert.Contains("'4/3' is not a shard", shard.StandardError);
        Assert.Equal("[]", list.StandardOutput.Trim());
        Assert.False(Directory.Exists(Path.Combine(ws.DataDirectory, "batches")));
        Assert.Empty(ws.Invocations());
    }

    [Fact]
    public async Task List_and_status_show_a_finished_batch()
    {
        var result = await RunInCoreAsync(WriteBatch());

        var list = await cli.RunAsync("batch", "list");
        var status = await cli.RunAsync("batch", "status", result.BatchId[..5]);
        var json = await cli.RunAsync("batch", "status", result.BatchId, "--json");
        var missing = await cli.RunAsync("batch", "status", "zzzz");

        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Matches($@"(?m)^{result.BatchId}\s+Runner test\s+Completed\s+-\s+8/8\s+3\s", list.StandardOutput);
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains($"Batch {result.BatchId} \"Runner test\"  [Completed]", status.StandardOutput);
        Assert.Contains("8/8 finished, 3 passed, 1 failed, 4 error", status.StandardOutput);
        Assert.Matches(@"(?m)^\w{12}\s+broken\s+build\s+repo-a\s+error\s+1\s+\S+s\s+Model provider returned an error: overloaded$", status.StandardOutput);
        using var document = JsonDocument.Parse(json.StandardOutput);
        Assert.Equal("Completed", document.RootElement.GetProperty("summary").GetProperty("batch").GetProperty("status").GetString());
        Assert.False(document.RootElement.GetProperty("summary").GetProperty("batch").TryGetProperty("fileText", out _));
        Assert.Equal(["Passed", "Failed", "Passed", "Passed", "Error", "Error", "Error", "Error"],
            document.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("status").GetString()));
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("No batch matches 'zzzz'", missing.StandardError);
    }

    [Fact]
    public async Task Stop_and_resume_of_a_finished_batch_explain_themselves()
    {
        var result = await RunInCoreAsync(WriteBatch());

        var stop = await cli.RunAsync("batch", "stop", result.BatchId);
        var resume = await cli.RunAsync("batch", "resume", result.BatchId);

        Assert.Equal(1, stop.ExitCode);
        Assert.Contains($"Batch {result.BatchId} has already completed: there is nothing to stop.", stop.StandardError);
        Assert.True(resume.ExitCode == 0, resume.ToString());
        Assert.Contains("8 of 8 items finished", resume.StandardOutput);
        Assert.Empty(ws.Invocations().Skip(8));
    }

    [Fact]
    public async Task Merge_combines_shard_journals_into_one_that_reports()
    {
        var file = WriteBatch();
        var first = await RunInCoreAsync(file, new BatchShard(1, 2));
        var second = await RunInCoreAsync(file, new BatchShard(2, 2));
        var output = ws.Path("merged", "all.jsonl");

        var merge = await cli.RunAsync("batch", "merge", first.JournalPath, second.JournalPath, "--output", output);
        var toStdout = await cli.RunAsync("batch", "merge", first.JournalPath);
        var report = await cli.RunAsync("report", output, "--format", "csv", "--output", ws.Path("merged", "all.csv"));
        var html = await cli.RunAsync("report", output, "--format", "html");

        Assert.True(merge.ExitCode == 0, merge.ToString());
        Assert.Contains($"Merged 2 journals into {output}: 8 items, 0 unfinished, 0 missing.", merge.StandardOutput);
        Assert.Equal(8, BatchJournal.Read(output).Latest().Count);
        Assert.True(toStdout.ExitCode == 0, toStdout.ToString());
        Assert.StartsWith("{\"record\":\"batch\"", toStdout.StandardOutput);
        Assert.Contains("of the batch's 8 items are in no journal given: is a shard missing?", toStdout.StandardError);
        Assert.True(report.ExitCode == 0, report.ToString());
        Assert.Equal(9, File.ReadAllLines(ws.Path("merged", "all.csv")).Length);
        Assert.True(html.ExitCode == 0, html.ToString());
        Assert.StartsWith("<!DOCTYPE html>", html.StandardOutput);
        Assert.Contains("<section id=\"matrix\">", html.StandardOutput);
    }

    [Fact]
    public async Task Report_writes_each_format_for_a_stored_batch()
    {
        var result = await RunInCoreAsync(WriteBatch());

        var jsonl = await cli.RunAsync("report", result.BatchId, "--format", "jsonl", "--output", ws.Path("r", "items.jsonl"), "--json");
        var html = await cli.RunAsync("report", result.BatchId, "--output", ws.Path("r", "report.html"));
        var bad = await cli.RunAsync("report", result.BatchId, "--format", "pdf");

        Assert.True(jsonl.ExitCode == 0, jsonl.ToString());
        Assert.Equal(ws.Path("r", "items.jsonl"), JsonDocument.Parse(jsonl.StandardOutput).RootElement.GetProperty("output").GetString());
        Assert.Equal(8, File.ReadAllLines(ws.Path("r", "items.jsonl")).Length);
        Assert.True(html.ExitCode == 0, html.ToString());
        Assert.Contains("Wrote the html report of 8 items", html.StandardOutput);
        Assert.Contains("href=\"../data/batches/", File.ReadAllText(ws.Path("r", "report.html")));
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("'pdf' is not a report format: use jsonl, csv, html.", bad.StandardError);
    }
}
