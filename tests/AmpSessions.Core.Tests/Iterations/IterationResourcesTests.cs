using AmpSessions.Core.Git;
using AmpSessions.Core.Iterations;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Iterations;

/// <summary>
/// An iteration keeps one database connection and one repository handle per repository for its whole run,
/// and lets go of them when it ends: its records are checkpointed into the database file as before.
/// </summary>
public sealed class IterationResourcesTests : IDisposable
{
    private readonly IterationTestBed bed = new();

    public void Dispose() => bed.Dispose();

    [Fact]
    public async Task An_iteration_reuses_one_connection_and_one_handle_per_repository_and_checkpoints_at_the_end()
    {
        var session = await bed.NewSessionAsync("success-edit");
        var connections = bed.Context.Database.ConnectionsOpened;
        var worktree = RepositoryHandles.CountsFor(session.WorktreePath);
        var main = RepositoryHandles.CountsFor(bed.Repo.Root);

        var iteration = await bed.IterateAsync(session);

        Assert.Equal(IterationStatus.Succeeded, iteration.Status);
        Assert.NotNull(iteration.CommitSha);
        // Without the iteration's resources: 12 connections, the worktree opened 14 times, the main repository 6 times.
        Assert.InRange(bed.Context.Database.ConnectionsOpened - connections, 1, 2);
        Assert.InRange(RepositoryHandles.CountsFor(session.WorktreePath).Opened - worktree.Opened, 1, 4);
        Assert.InRange(RepositoryHandles.CountsFor(bed.Repo.Root).Opened - main.Opened, 0, 2);
        // Nothing stays open after the iteration: no handle, and no connection (the last one to close checkpoints the WAL away).
        Assert.Equal(0, RepositoryHandles.CountsFor(session.WorktreePath).Open);
        Assert.False(File.Exists(bed.Context.Database.Path + "-wal"), "a connection outlived the iteration");
        // The records are complete for a store opened afresh.
        var fresh = AmpContext.Open(Path.GetDirectoryName(bed.Context.Database.Path)!);
        var stored = Assert.Single(fresh.Iterations.List(session.Id));
        Assert.Equal(iteration.CommitSha, stored.CommitSha);
        Assert.NotNull(stored.EndedAt);
        Assert.Equal(AmpSessions.Core.Sessions.SessionStatus.Idle, fresh.Sessions.Get(session.Id)!.Status);
    }

    [Fact]
    public async Task An_iteration_inside_a_caller_s_handle_scope_reads_through_that_scope()
    {
        var session = await bed.NewSessionAsync("success-edit");
        var before = RepositoryHandles.CountsFor(session.WorktreePath);
        using (var pipeline = RepositoryHandles.Share())
        {
            var iteration = await bed.IterateAsync(session);

            Assert.Equal(IterationStatus.Succeeded, iteration.Status);
            // The caller's scope opened the handles and still holds them after the iteration.
            Assert.True(pipeline.Opened >= 1, "the iteration did not read through the caller's scope");
            Assert.True(RepositoryHandles.CountsFor(session.WorktreePath).Open >= 1, "the caller's scope lost its handle");
        }
        Assert.Equal(0, RepositoryHandles.CountsFor(session.WorktreePath).Open);
        Assert.True(RepositoryHandles.CountsFor(session.WorktreePath).Opened > before.Opened);
    }

    [Fact]
    public async Task An_iteration_and_the_latest_script_run_are_read_as_single_rows_matching_the_full_lists()
    {
        var session = await bed.NewSessionAsync("success-edit", script: "echo checked");
        var other = await bed.NewSessionAsync("success-edit", script: "echo other");
        Assert.Null(bed.Context.Iterations.LastScriptRun(session.Id));

        var first = await bed.IterateAsync(session);
        await bed.IterateAsync(other);
        await bed.UseScenarioAsync(session, "success-edit");
        var second = await bed.IterateAsync(session);

        var listed = bed.Context.Iterations.List(session.Id);
        Assert.Equal(2, listed.Count);
        // The records returned by the iterations are the stored rows, as the full list has them.
        Assert.Equivalent(listed[0], bed.Context.Iterations.Get(first.Id), strict: true);
        Assert.Equivalent(listed[1], bed.Context.Iterations.Get(second.Id), strict: true);
        Assert.Equal(listed[1].CommitSha, second.CommitSha);
        Assert.Null(bed.Context.Iterations.Get(listed.Max(i => i.Id) + 1000));
        var runs = bed.Context.Iterations.ListScriptRuns(session.Id);
        Assert.Equal(2, runs.Count);
        Assert.Equivalent(runs[^1], bed.Context.Iterations.LastScriptRun(session.Id), strict: true);
        Assert.Equal(second.ScriptRunId, runs[^1].Id);
    }

    [Fact]
    [Trait("Platform", "Linux")]
    public async Task A_running_iteration_s_row_names_its_transcript_while_the_agent_works()
    {
        var scenario = bed.WriteScenario("talk-then-hang", """
            {"steps": [
              {"text": "Working on it."},
              {"hang": true}
            ]}
            """);
        var session = await bed.NewSessionAsync(scenario);
        using var cancel = new CancellationTokenSource();
        var running = bed.IterateAsync(session, cancellationToken: cancel.Token);
        try
        {
            await FakeAgentRecord.WaitForAsync(bed.RecordPath, 1, TimeSpan.FromSeconds(60));
            var row = Assert.Single(bed.Context.Iterations.List(session.Id));
            Assert.Equal(IterationStatus.Running, row.Status);
            Assert.Equal(Path.Combine(bed.Context.Data.SessionLogs(session.Id), $"iteration-{row.Number}.jsonl"), row.TranscriptPath);
        }
        finally
        {
            cancel.Cancel();
        }
        var iteration = await running;
        Assert.Equal(IterationStatus.Cancelled, iteration.Status);
        Assert.True(File.Exists(iteration.TranscriptPath), "the transcript was not written where the row says");
    }
}
