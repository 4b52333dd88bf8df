using System.Text.Json;
using AmpSessions.Testing;

namespace AmpSessions.Cli.Tests;

/// <summary>The acceptance test: 16 `new` processes started at once on one repository all succeed.</summary>
public sealed class ConcurrentNewTests : IDisposable
{
    private const int Count = 16;
    private readonly CliTestBed bed = new();

    public void Dispose() => bed.Dispose();

    private async Task<JsonElement[]> StartAllAtOnceAsync(Func<int, string> name)
    {
        var runs = Enumerable.Range(0, Count)
            .Select(i => bed.Cli.RunAsync(["new", "--repo", bed.Repo.Root, "--base", "main", "--name", name(i), "--prompt", $"task {i}", "--json"], null, TimeSpan.FromMinutes(5)))
            .ToArray();
        var results = await Task.WhenAll(runs);
        Assert.All(results, r => Assert.True(r.ExitCode == 0, r.ToString()));
        return results.Select(r => JsonDocument.Parse(r.StandardOutput).RootElement.Clone()).ToArray();
    }

    private async Task AssertSixteenDistinctSessionsAsync(JsonElement[] sessions)
    {
        string Field(JsonElement s, string p) => s.GetProperty(p).GetString()!;
        Assert.Equal(Count, sessions.Select(s => Field(s, "id")).Distinct().Count());
        Assert.Equal(Count, sessions.Select(s => Field(s, "branchName")).Distinct().Count());
        Assert.Equal(Count, sessions.Select(s => Field(s, "worktreePath")).Distinct().Count());
        Assert.All(sessions, s => Assert.Equal("Idle", Field(s, "status")));

        var branches = bed.Repo.Git("for-each-ref", "--format=%(refname:short)", "refs/heads/amp/").Split('\n');
        Assert.Equal(sessions.Select(s => Field(s, "branchName")).Order(StringComparer.Ordinal), branches.Order(StringComparer.Ordinal));

        var worktreeList = bed.Repo.Git("worktree", "list", "--porcelain");
        var listed = worktreeList.Split('\n').Where(l => l.StartsWith("worktree ", StringComparison.Ordinal)).Select(l => l["worktree ".Length..]).ToArray();
        Assert.Equal(Count + 1, listed.Length);
        Assert.All(sessions, s => Assert.Contains(Field(s, "worktreePath"), listed));
        Assert.DoesNotContain("prunable", worktreeList);
        foreach (var session in sessions)
        {
            Assert.Equal(Field(session, "branchName"), TestRepository.GitIn(Field(session, "worktreePath"), "branch", "--show-current"));
        }

        var rows = await bed.JsonAsync("list");
        Assert.Equal(Count, rows.GetArrayLength());
        Assert.All(rows.EnumerateArray(), r => Assert.Equal("Idle", r.GetProperty("status").GetString()));

        var fsck = bed.Repo.Git("fsck", "--full", "--strict");
        Assert.DoesNotContain("error", fsck);
        Assert.DoesNotContain("warning", fsck);
        Assert.Equal("", bed.Repo.Git("status", "--porcelain", "--untracked-files=all"));
    }

    [Fact]
    public async Task Sixteen_processes_with_the_same_name_all_succeed()
    {
        var sessions = await StartAllAtOnceAsync(_ => "Same goal");

        await AssertSixteenDistinctSessionsAsync(sessions);
        Assert.All(sessions, s => Assert.StartsWith("amp/same-goal/", s.GetProperty("branchName").GetString()));
    }

    [Fact]
    public async Task Sixteen_processes_with_distinct_names_all_succeed()
    {
        var sessions = await StartAllAtOnceAsync(i => $"Goal number {i}");

        await AssertSixteenDistinctSessionsAsync(sessions);
    }
}
