using System.Text.Json;
using AmpSessions.Testing;

namespace AmpSessions.Cli.Tests.Batches;

/// <summary>`batch run` and `report` through the built CLI, with real sessions on real repositories and the fake agent.</summary>
public sealed class BatchRunCliTests : IDisposable
{
    private readonly TempDirectory temp = new("amp-batch-cli");
    private readonly CliRunner cli;

    public BatchRunCliTests()
    {
        cli = new CliRunner(temp.Combine("data"));
        foreach (var name in new[] { "repo-a", "repo-b" })
        {
            TestRepository.CreateGreetRepository(temp.Combine(name));
        }
        File.WriteAllText(temp.Combine("batch.yaml"), $$"""
            version: 3
            metadata:
              name: "cli sessions"
            execution:
              concurrency: 2
              timeout_sec: 120
            agents:
              - id: fake
                command: ["{{TestPaths.FakeAgent}}"]
              - id: broken
                command: ["{{TestPaths.FakeAgent}}"]
                env: { FAKE_AMP_SCENARIO: "agent-error" }
            tasks:
              - id: rename
                type: batch
                prompts: ["Rename hello to greet"]
                repositories: ["./repo-a", "./repo-b"]
                script_command: "git grep --quiet 'export function greet' -- src/greet.ts"
            metrics:
              export_formats: [jsonl, csv, html]
            """);
    }

    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task Batch_run_runs_every_item_as_a_session_and_reports_it()
    {
        var run = await cli.RunAsync("batch", "run", temp.Combine("batch.yaml"), "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var result = JsonDocument.Parse(run.StandardOutput);
        var batchId = result.RootElement.GetProperty("batchId").GetString()!;
        var items = result.RootElement.GetProperty("ran").EnumerateArray().ToArray();
        Assert.Equal(4, items.Length);
        Assert.Equal(2, items.Count(i => i.GetProperty("status").GetString() == "Passed" && i.GetProperty("agentId").GetString() == "fake"));
        Assert.Equal(2, items.Count(i => i.GetProperty("status").GetString() == "Error" && i.GetProperty("agentId").GetString() == "broken"));

        // Every item was a session of this batch, now archived with its worktree gone.
        var sessions = await cli.RunAsync("list", "--json");
        using var list = JsonDocument.Parse(sessions.StandardOutput);
        Assert.Equal(4, list.RootElement.EnumerateArray().Count(s => s.GetProperty("batchId").GetString() == batchId && s.GetProperty("status").GetString() == "Archived"));
        Assert.DoesNotContain(".worktrees", TestRepository.GitIn(temp.Combine("repo-a"), "worktree", "list", "--porcelain"));

        var html = temp.Combine("report.html");
        var report = await cli.RunAsync("report", batchId, "--format", "html", "--output", html);
        Assert.True(report.ExitCode == 0, report.ToString());
        Assert.Contains("<svg", File.ReadAllText(html));
        var csv = await cli.RunAsync("report", batchId, "--format", "csv");
        Assert.Equal(5, csv.StandardOutput.Trim().Split('\n').Length);
    }
}
