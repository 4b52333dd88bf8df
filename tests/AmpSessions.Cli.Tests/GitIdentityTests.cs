using AmpSessions.Core.Processes;
using AmpSessions.Testing;

namespace AmpSessions.Cli.Tests;

/// <summary>A user who never configured git still gets their iteration committed, under the documented fallback identity.</summary>
public sealed class GitIdentityTests : IDisposable
{
    private readonly CliSessionBed bed = new();

    public GitIdentityTests()
    {
        bed.Cli.Environment["HOME"] = bed.Repo.Scratch("empty-home");
        bed.Cli.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        bed.Cli.Environment["XDG_CONFIG_HOME"] = null;
        foreach (var name in new[] { "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL", "GIT_CONFIG_GLOBAL" })
        {
            bed.Cli.Environment[name] = null;
        }
    }

    public void Dispose() => bed.Dispose();

    [Fact]
    public async Task Without_a_git_identity_the_iteration_is_committed_as_AmpSessions()
    {
        var id = await bed.NewSessionAsync();
        var worktree = bed.Worktree(id);
        // Nothing in the repository names anyone either.
        Assert.DoesNotContain("user.", File.ReadAllText(bed.Repo.Path(".git", "config")));

        var result = await bed.RunAsync("iterate", id, "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("Succeeded", CliSessionBed.Json(result).GetProperty("status").GetString());
        Assert.Equal("AmpSessions <amp-sessions@localhost>|AmpSessions <amp-sessions@localhost>",
            TestRepository.GitIn(worktree, "log", "-1", "--format=%an <%ae>|%cn <%ce>"));

        File.WriteAllText(Path.Combine(worktree, "NOTES.md"), "by hand\n");
        var manual = await bed.RunAsync("commit", id, "-m", "Notes by hand");
        Assert.True(manual.ExitCode == 0, manual.ToString());
        Assert.Equal("AmpSessions <amp-sessions@localhost>", TestRepository.GitIn(worktree, "log", "-1", "--format=%an <%ae>"));
    }

    [Fact]
    public async Task Without_a_git_identity_a_fast_forward_merge_is_logged_as_AmpSessions()
    {
        var id = await bed.NewSessionAsync();
        var iterated = await bed.RunAsync("iterate", id);
        Assert.True(iterated.ExitCode == 0, iterated.ToString());
        // Without GIT_CONFIG* variables the product reads the configuration in process (libgit2), as a user's
        // machine does; keep the system file out only where it names someone.
        var system = await ProcessRunner.RunAsync(new ProcessSpec("git", ["config", "--system", "--get-regexp", "^user\\."]), (Func<OutputLine, LineDecision>?)null);
        if (system.ExitCode != 0)
        {
            bed.Cli.Environment["GIT_CONFIG_NOSYSTEM"] = null;
        }

        var merged = await bed.RunAsync("merge", id);

        Assert.True(merged.ExitCode == 0, merged.ToString());
        // The base moved by a fast-forward in the main checkout (no commit made): its reflog entry names
        // the fallback identity, as every ref AmpSessions moves does, not git's guess from the host name.
        var entry = bed.Repo.Git("log", "-g", "-1", "--format=%gn <%ge>|%gs", "refs/heads/main");
        Assert.StartsWith("AmpSessions <amp-sessions@localhost>|merge ", entry);
        Assert.EndsWith(": Fast-forward", entry);
    }

    [Fact]
    public async Task Without_a_git_identity_squash_rebase_and_merge_commit_as_AmpSessions()
    {
        var id = await bed.NewSessionAsync();
        var iterated = await bed.RunAsync("iterate", id);
        Assert.True(iterated.ExitCode == 0, iterated.ToString());
        File.WriteAllText(Path.Combine(bed.Worktree(id), "NOTES.md"), "by hand\n");
        Assert.Equal(0, (await bed.RunAsync("commit", id, "-m", "Notes by hand")).ExitCode);
        // The base moves on (committed by the test's own identity), so the rebase really rewrites commits.
        bed.Repo.WriteFile("OTHER.md", "main moved\n");
        bed.Repo.CommitAll("main moves on");

        foreach (var step in new[] { new[] { "squash", id, "--message", "Rename hello to greet" }, ["rebase", id], ["merge", id] })
        {
            var result = await bed.RunAsync(step);
            Assert.True(result.ExitCode == 0, $"{string.Join(' ', step)}: {result}");
        }

        Assert.Equal("Rename hello to greet|AmpSessions <amp-sessions@localhost>|AmpSessions <amp-sessions@localhost>",
            bed.Repo.Git("log", "-1", "--format=%s|%an <%ae>|%cn <%ce>", "main"));
    }
}
