using System.Text.Json;

namespace AmpSessions.Cli.Tests;

/// <summary>`new` without --repo works on the repository the current folder is in, as git does.</summary>
public sealed class NewInCurrentRepositoryTests : IDisposable
{
    private readonly CliTestBed bed = new();

    public void Dispose() => bed.Dispose();

    [Fact]
    public async Task New_without_repo_in_a_subfolder_of_a_checkout_uses_that_repository()
    {
        var result = await bed.Cli.RunAsync(["new", "--name", "Here", "--prompt", "p", "--json"], bed.Repo.Path("src"), TimeSpan.FromMinutes(3));

        Assert.True(result.ExitCode == 0, result.ToString());
        var session = JsonDocument.Parse(result.StandardOutput).RootElement;
        Assert.Equal(bed.Repo.Root, session.GetProperty("repoRoot").GetString());
        Assert.Equal("main", session.GetProperty("baseBranch").GetString());
        Assert.True(Directory.Exists(session.GetProperty("worktreePath").GetString()));
    }

    [Fact]
    public async Task New_without_repo_outside_any_repository_is_one_clear_error_that_names_repo()
    {
        var outside = bed.Repo.Scratch("not a repository");

        var result = await bed.Cli.RunAsync(["new", "--name", "Nowhere", "--prompt", "p"], outside, TimeSpan.FromMinutes(3));

        Assert.True(result.ExitCode == 1, result.ToString());
        var line = CliTestBed.AssertOneErrorLine(result);
        Assert.Equal($"amp-sessions: '{outside}' is not in a Git repository: work inside a Git checkout, pass --repo with the path of one, or run `git init` there to make one.", line);
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
    }
}
