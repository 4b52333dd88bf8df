using System.Text.Json;
using AmpSessions.Core;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Cli.Tests;

/// <summary>`list` pages by default and streams with --all or --json, run as a process over a store of many sessions.</summary>
public sealed class SessionListCommandTests : IDisposable
{
    private readonly CliTestBed bed = new();

    public void Dispose() => bed.Dispose();

    /// <summary>Rows as `new` leaves them (the store is the real one the CLI opens), one minute apart: the last is the newest.</summary>
    private List<string> Insert(int count)
    {
        var context = AmpContext.Open(bed.DataDirectory);
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var id = $"ls{i:D6}";
            context.Sessions.Insert(new Session
            {
                Id = id,
                Name = $"Session {i}",
                Prompt = "p",
                RepoRoot = bed.Repo.Root,
                BaseBranch = "main",
                BaseCommit = new string('a', 40),
                BranchName = $"amp/session-{i}/20260101-000000",
                WorktreePath = bed.Repo.Path(".worktrees", id),
                Status = SessionStatus.Idle,
                CreatedAt = start.AddMinutes(i),
                UpdatedAt = start.AddMinutes(i),
            });
            ids.Add(id);
        }
        ids.Reverse();
        return ids;
    }

    private static string[] IdsOf(string table) =>
        table.Split('\n').Where(l => l.StartsWith("ls", StringComparison.Ordinal)).Select(l => l.Split(' ')[0]).ToArray();

    [Fact]
    public async Task List_shows_the_newest_page_and_how_many_more_there_are()
    {
        var newestFirst = Insert(27);

        var table = await bed.SucceedsAsync("list");

        Assert.StartsWith("ID", table);
        Assert.Equal(newestFirst.Take(20), IdsOf(table));
        Assert.Contains("... and 7 more (the newest 20 of 27 shown): amp-sessions list --all, or --first <n>.", table);
    }

    [Fact]
    public async Task First_sets_the_page_and_all_shows_every_session_without_the_count()
    {
        var newestFirst = Insert(130);

        var three = await bed.SucceedsAsync("list", "--first", "3");
        var all = await bed.SucceedsAsync("list", "--all");

        Assert.Equal(newestFirst.Take(3), IdsOf(three));
        Assert.Contains("... and 127 more", three);
        Assert.Equal(newestFirst, IdsOf(all));
        Assert.DoesNotContain("more", all);
        // Past the rows that size the columns, streamed rows keep the same columns.
        var rows = all.Split('\n').Where(l => l.StartsWith("ls", StringComparison.Ordinal));
        Assert.Single(rows.Select(l => l.IndexOf("Idle", StringComparison.Ordinal)).Distinct());
    }

    [Fact]
    public async Task List_json_is_every_session_unless_a_page_is_asked_for()
    {
        var newestFirst = Insert(45);

        var all = await bed.JsonAsync("list");
        var page = await bed.JsonAsync("list", "--first", "5");
        var streamed = await bed.JsonAsync("list", "--all");

        Assert.Equal(newestFirst, all.EnumerateArray().Select(s => s.GetProperty("id").GetString()));
        Assert.All(all.EnumerateArray(), CliTestBed.AssertSessionObject);
        Assert.Equal(newestFirst.Take(5), page.EnumerateArray().Select(s => s.GetProperty("id").GetString()));
        Assert.Equal(all.GetRawText(), streamed.GetRawText());
    }

    [Fact]
    public async Task All_with_no_sessions_says_how_to_make_one()
    {
        Assert.Contains("amp-sessions new", await bed.SucceedsAsync("list", "--all"));
        Assert.Equal(JsonValueKind.Array, (await bed.JsonAsync("list", "--all")).ValueKind);
    }

    [Theory]
    [InlineData("--first", "0")]
    [InlineData("--first", "-4")]
    public async Task A_page_below_one_is_a_usage_error(string option, string value)
    {
        var result = await bed.RunAsync("list", option, value);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("amp-sessions: A page of sessions holds at least 1 (it was " + value + "): give a page size of 1 or more, or list them all.",
            CliTestBed.AssertOneErrorLine(result));
    }

    [Fact]
    public async Task First_and_all_together_are_a_usage_error()
    {
        var result = await bed.RunAsync("list", "--first", "3", "--all");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--first and --all", CliTestBed.AssertOneErrorLine(result));
    }
}
