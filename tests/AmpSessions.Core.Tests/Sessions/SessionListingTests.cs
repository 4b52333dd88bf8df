using AmpSessions.Core.Errors;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Core.Tests.Sessions;

/// <summary>`list` at any size: the newest page with a count of the rest, and every session streamed, over a real store.</summary>
public sealed class SessionListingTests : IDisposable
{
    private readonly SessionTestBed bed = new();

    public void Dispose() => bed.Dispose();

    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Rows s000..s(n-1), one minute apart, so the newest is the last inserted.</summary>
    private List<Session> Insert(int count, Func<int, SessionStatus>? status = null, string repoRoot = "/repo")
    {
        var rows = new List<Session>();
        for (var i = 0; i < count; i++)
        {
            var id = $"s{i:D3}{repoRoot.Length:D2}xx";
            var row = new Session
            {
                Id = id,
                Name = $"Session {i}",
                Prompt = "p",
                RepoRoot = repoRoot,
                BaseBranch = "main",
                BaseCommit = new string('a', 40),
                BranchName = $"amp/s{i}/20260101-000000",
                WorktreePath = $"{repoRoot}/.worktrees/{id}",
                Status = status?.Invoke(i) ?? SessionStatus.Idle,
                CreatedAt = Start.AddMinutes(i),
                UpdatedAt = Start.AddMinutes(i),
            };
            bed.Context.Sessions.Insert(row);
            rows.Add(row);
        }
        return rows;
    }

    [Fact]
    public async Task A_page_is_the_newest_sessions_with_a_count_of_the_rest()
    {
        var rows = Insert(25);

        var page = await bed.Manager.ListPageAsync(null, null, 20);

        Assert.Equal(rows.AsEnumerable().Reverse().Take(20).Select(s => s.Id), page.Sessions.Select(s => s.Id));
        Assert.Equal(25, page.Total);
        Assert.Equal(5, page.Rest);
    }

    [Fact]
    public async Task A_page_larger_than_the_store_holds_everything_and_no_rest()
    {
        Insert(3);

        var page = await bed.Manager.ListPageAsync(null, null, 20);

        Assert.Equal(3, page.Sessions.Count);
        Assert.Equal(0, page.Rest);
    }

    [Fact]
    public async Task Filters_apply_to_the_page_and_to_its_count()
    {
        Insert(6, i => i % 2 == 0 ? SessionStatus.Archived : SessionStatus.Idle);
        Insert(4, repoRoot: "/other/repo");

        var archived = await bed.Manager.ListPageAsync(null, SessionStatus.Archived, 2);
        var other = SessionListing.Page(bed.Context, "/other/repo", null, 3);

        Assert.Equal(["s00405xx", "s00205xx"], archived.Sessions.Select(s => s.Id));
        Assert.Equal(3, archived.Total);
        Assert.Equal(3, other.Sessions.Count);
        Assert.All(other.Sessions, s => Assert.Equal("/other/repo", s.RepoRoot));
        Assert.Equal(4, other.Total);
    }

    [Fact]
    public async Task Interrupted_sessions_are_paged_and_counted_as_observed()
    {
        // A Running row nobody's process holds reads as Interrupted: the page and its count say so.
        Insert(5, i => i < 3 ? SessionStatus.Running : SessionStatus.Idle);

        var interrupted = await bed.Manager.ListPageAsync(null, SessionStatus.Interrupted, 2);
        var running = await bed.Manager.ListPageAsync(null, SessionStatus.Running, 2);

        Assert.Equal(["s00205xx", "s00105xx"], interrupted.Sessions.Select(s => s.Id));
        Assert.All(interrupted.Sessions, s => Assert.Equal(SessionStatus.Interrupted, s.Status));
        Assert.Equal(3, interrupted.Total);
        Assert.Empty(running.Sessions);
        Assert.Equal(0, running.Total);
    }

    [Fact]
    public async Task Streaming_yields_every_session_newest_first_as_the_list_does()
    {
        Insert(30, i => i == 7 ? SessionStatus.Running : SessionStatus.Idle);

        var streamed = (await bed.Manager.StreamAsync(null, null)).ToList();

        Assert.Equal((await bed.Manager.ListAsync()).Select(s => (s.Id, s.Status)), streamed.Select(s => (s.Id, s.Status)));
        Assert.Equal(30, streamed.Count);
        Assert.Equal(SessionStatus.Interrupted, streamed.Single(s => s.Id == "s00705xx").Status);
    }

    [Fact]
    public void The_store_reads_a_row_only_when_the_enumeration_asks_for_it()
    {
        Insert(3);
        using var rows = bed.Context.Sessions.Stream().GetEnumerator();
        Assert.True(rows.MoveNext());
        Assert.Equal("s00205xx", rows.Current.Id);

        // Written after the read began: a streamed read is one statement, which sees the store as it was when it started.
        Insert(1, repoRoot: "/late/repo");

        var rest = new List<string>();
        while (rows.MoveNext())
        {
            rest.Add(rows.Current.Id);
        }
        Assert.Equal(["s00105xx", "s00005xx"], rest);
        Assert.Equal(4, bed.Context.Sessions.Count());
    }

    [Fact]
    public async Task A_page_of_fewer_than_one_is_refused_with_the_remedy()
    {
        var error = await Assert.ThrowsAsync<AmpSessionsException>(() => bed.Manager.ListPageAsync(null, null, 0));

        Assert.Equal("AmpUsagePageSize", error.ErrorId);
        Assert.Contains("1 or more", error.Message);
    }

    [Fact]
    public void The_newest_first_order_is_an_index_so_a_page_does_not_sort_every_session()
    {
        Insert(30);

        var plan = bed.Context.Database.Execute(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = $"EXPLAIN QUERY PLAN SELECT id, name FROM sessions {AmpSessions.Core.Storage.SessionStore.NewestFirst} LIMIT 20";
            using var reader = command.ExecuteReader();
            var details = new List<string>();
            while (reader.Read())
            {
                details.Add(reader.GetString(3));
            }
            return details;
        });

        Assert.Contains(plan, step => step.Contains("USING INDEX ix_sessions_created", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, step => step.Contains("TEMP B-TREE", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_page_reads_its_times_as_written_whatever_their_form()
    {
        Insert(2);
        // A row whose times are not in the round-trip form the store writes (an older writer): still read, same instant.
        bed.Context.Database.Execute(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE sessions SET created_at = '2026-01-01 00:05:00+00:00' WHERE id = 's00005xx'";
            return command.ExecuteNonQuery();
        });

        var page = await bed.Manager.ListPageAsync(null, null, 20);

        Assert.Equal(2, page.Total);
        Assert.Equal(Start.AddMinutes(5), page.Sessions.Single(s => s.Id == "s00005xx").CreatedAt);
        Assert.Equal(Start.AddMinutes(1), page.Sessions.Single(s => s.Id == "s00105xx").CreatedAt);
        Assert.Equal(TimeSpan.Zero, page.Sessions.Single(s => s.Id == "s00105xx").CreatedAt.Offset);
    }
}
