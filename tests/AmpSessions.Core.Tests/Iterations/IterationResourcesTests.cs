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

    [Fact]
    public async Task A_turn_s_running_row_and_the_session_s_running_status_are_written_together_or_not_at_all()
    {
        var session = await bed.NewSessionAsync("success-edit");
        // The second of the two writes fails (a real SQLite error, as a full disk or a lost file would raise): the first
        // must not stay behind. Written in two transactions, the Running row remained with the session still Idle.
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={bed.Context.Database.Path}"))
        {
            connection.Open();
            using var trigger = connection.CreateCommand();
            trigger.CommandText = "CREATE TRIGGER fail_running BEFORE UPDATE OF status ON sessions WHEN NEW.status = 'Running' " +
                "BEGIN SELECT RAISE(ABORT, 'injected failure of the session write'); END";
            trigger.ExecuteNonQuery();
        }

        await Assert.ThrowsAnyAsync<Exception>(() => bed.IterateAsync(session));

        Assert.Empty(bed.Context.Iterations.List(session.Id));
        Assert.Equal(AmpSessions.Core.Sessions.SessionStatus.Idle, bed.Context.Sessions.Get(session.Id)!.Status);
        Assert.DoesNotContain(bed.Context.Events.After(0, new AmpSessions.Core.Events.EventFilter { SessionId = session.Id }),
            e => e.Type == AmpSessions.Core.Events.AmpEventTypes.StatusChanged && e.Message.Contains("is Running", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_turn_start_records_the_running_status_change_once_and_tells_listeners_after_it_is_stored()
    {
        var session = await bed.NewSessionAsync("success-edit");
        var seen = new List<(string Type, bool Stored)>();
        void Listen(AmpSessions.Core.Events.AmpEvent e, string root)
        {
            if (e.SessionId == session.Id && e.Type == AmpSessions.Core.Events.AmpEventTypes.StatusChanged && e.Message.Contains("is Running", StringComparison.Ordinal))
            {
                // Told after the commit: a fresh reader already sees the row and the status.
                var fresh = AmpContext.Open(Path.GetDirectoryName(bed.Context.Database.Path)!);
                lock (seen)
                {
                    seen.Add((e.Type, fresh.Sessions.Get(session.Id)!.Status == AmpSessions.Core.Sessions.SessionStatus.Running
                        && fresh.Iterations.List(session.Id).Count == 1));
                }
            }
        }
        AmpSessions.Core.Events.EventHub.Published += Listen;
        try
        {
            var iteration = await bed.IterateAsync(session);
            Assert.Equal(IterationStatus.Succeeded, iteration.Status);
        }
        finally
        {
            AmpSessions.Core.Events.EventHub.Published -= Listen;
        }
        var told = Assert.Single(seen);
        Assert.True(told.Stored, "listeners heard of the Running status before the row and the status were stored");
        Assert.Single(bed.Context.Events.After(0, new AmpSessions.Core.Events.EventFilter { SessionId = session.Id }),
            e => e.Type == AmpSessions.Core.Events.AmpEventTypes.StatusChanged && e.Message.Contains("is Running", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_turn_s_outcome_and_the_session_s_status_after_it_are_written_together_or_not_at_all()
    {
        var session = await bed.NewSessionAsync("success-edit");
        // The session's write at the turn's end fails: the iteration's outcome must not be stored without it (written in two
        // transactions, the row said Succeeded and ended while the session still said Running).
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={bed.Context.Database.Path}"))
        {
            connection.Open();
            using var trigger = connection.CreateCommand();
            trigger.CommandText = "CREATE TRIGGER fail_finish BEFORE UPDATE OF status ON sessions WHEN OLD.status = 'Running' AND NEW.status <> 'Running' " +
                "BEGIN SELECT RAISE(ABORT, 'injected failure of the session write'); END";
            trigger.ExecuteNonQuery();
        }

        await Assert.ThrowsAnyAsync<Exception>(() => bed.IterateAsync(session));

        var row = Assert.Single(bed.Context.Iterations.List(session.Id));
        Assert.Equal(IterationStatus.Running, row.Status);
        Assert.Null(row.EndedAt);
        Assert.Equal(AmpSessions.Core.Sessions.SessionStatus.Running, bed.Context.Sessions.Get(session.Id)!.Status);
    }
}
