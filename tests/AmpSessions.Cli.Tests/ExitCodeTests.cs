using System.Text.Json;
using AmpSessions.Testing;
using Microsoft.Data.Sqlite;

namespace AmpSessions.Cli.Tests;

/// <summary>Exit codes (0 ok, 1 failed, 2 usage), one-line errors, and where the data lives.</summary>
public sealed class ExitCodeTests : IDisposable
{
    private readonly CliTestBed bed = new();

    public void Dispose() => bed.Dispose();

    [Theory]
    [InlineData("new", "--repo", ".", "--name", "x", "--prompt", "p", "--no-such-option")]
    [InlineData("list", "--bogus")]
    [InlineData("no-such-command")]
    [InlineData("new", "--repo", ".", "--name", "x")]
    [InlineData("commit", "abc")]
    [InlineData("status")]
    [InlineData("list", "--status", "NotAStatus")]
    [InlineData("diff", "abc", "--staged", "--unstaged")]
    public async Task Usage_errors_exit_2_and_say_so_on_stderr(params string[] arguments)
    {
        var result = await bed.RunAsync(arguments);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.StartsWith("amp-sessions: ", result.StandardError);
        Assert.Equal("", result.StandardOutput);
    }

    [Fact]
    public async Task A_missing_required_option_names_it()
    {
        var result = await bed.RunAsync("new", "--repo", bed.Repo.Root, "--name", "x");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--prompt", result.StandardError);
        Assert.Contains("--help", result.StandardError);
    }

    [Fact]
    public async Task A_failed_operation_exits_1_with_one_stderr_line()
    {
        var line = await bed.FailsAsync("new", "--repo", bed.Repo.Path("missing"), "--name", "x", "--prompt", "p");

        Assert.Contains("does not exist", line);
        Assert.Equal("", bed.Repo.Git("for-each-ref", "refs/heads/amp/"));
    }

    [Fact]
    public async Task A_failed_operation_with_json_also_writes_an_error_object()
    {
        var result = await bed.RunAsync("status", "zzzzzzzz", "--json");

        Assert.Equal(1, result.ExitCode);
        CliTestBed.AssertOneErrorLine(result);
        var error = JsonDocument.Parse(result.StandardOutput).RootElement.GetProperty("error");
        Assert.Equal("AmpSessionNotFound", error.GetProperty("id").GetString());
        Assert.Contains("amp-sessions list", error.GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("status")]
    [InlineData("diff")]
    [InlineData("commit")]
    [InlineData("cleanup")]
    public async Task An_unknown_session_fails_with_one_line_for_every_command(string command)
    {
        string[] arguments = command == "commit" ? [command, "nosuchid", "-m", "m"] : [command, "nosuchid"];

        var line = await bed.FailsAsync(arguments);

        Assert.Contains("No session matches 'nosuchid'", line);
    }

    [Fact]
    public async Task A_multi_line_error_is_still_one_line()
    {
        var line = await bed.FailsAsync("new", "--repo", bed.Repo.Root, "--name", "x", "--prompt", "p", "--base", "no\nsuch");

        Assert.Contains("does not exist", line);
    }

    [Fact]
    public async Task Errors_from_git_are_one_line_too()
    {
        await bed.NewAsync("first");

        var line = await bed.FailsAsync("new", "--repo", bed.Repo.Root, "--name", "second", "--prompt", "p", "--branch", "main");

        Assert.Contains("'main' already exists", line);
    }

    [Fact]
    public async Task Data_dir_overrides_amp_sessions_home()
    {
        var explicitDir = bed.Repo.Scratch("explicit data");

        var session = await bed.JsonAsync("new", "--repo", bed.Repo.Root, "--name", "x", "--prompt", "p", "--data-dir", explicitDir);

        Assert.True(File.Exists(Path.Combine(explicitDir, "amp-sessions.db")));
        Assert.Equal(0, (await bed.JsonAsync("list")).GetArrayLength());
        var listed = await bed.JsonAsync("list", "--data-dir", explicitDir);
        Assert.Equal(session.GetProperty("id").GetString(), listed.EnumerateArray().Single().GetProperty("id").GetString());
    }

    [Fact]
    public async Task Amp_sessions_home_chooses_the_data_directory()
    {
        await bed.NewAsync();

        Assert.True(File.Exists(Path.Combine(bed.DataDirectory, "amp-sessions.db")));
        Assert.Equal(1, (await bed.JsonAsync("list")).GetArrayLength());
    }

    [Fact]
    public async Task A_data_directory_that_cannot_be_created_fails_with_one_line()
    {
        var file = Path.Combine(bed.Repo.Scratch("files"), "regular-file");
        File.WriteAllText(file, "");

        var line = await bed.FailsAsync("list", "--data-dir", Path.Combine(file, "data"));

        Assert.Contains("Cannot create the data directory", line);
    }

    [Fact]
    public async Task A_read_only_database_fails_with_one_line()
    {
        await bed.SucceedsAsync("list");
        FileModes.MakeReadOnly(Path.Combine(bed.DataDirectory, "amp-sessions.db"));

        var line = await bed.FailsAsync("new", "--repo", bed.Repo.Root, "--name", "x", "--prompt", "p");

        Assert.Contains("read-only", line);
        Assert.Equal("", bed.Repo.Git("for-each-ref", "refs/heads/amp/"));
    }

    [Fact]
    public async Task A_locked_database_fails_after_the_busy_timeout_from_the_environment()
    {
        await bed.SucceedsAsync("list");
        using var other = new SqliteConnection($"Data Source={Path.Combine(bed.DataDirectory, "amp-sessions.db")};Pooling=False");
        other.Open();
        using (var begin = other.CreateCommand())
        {
            begin.CommandText = "BEGIN EXCLUSIVE";
            begin.ExecuteNonQuery();
        }
        bed.Cli.Environment["AMP_SESSIONS_DB_BUSY_TIMEOUT_MS"] = "300";

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var line = await bed.FailsAsync("new", "--repo", bed.Repo.Root, "--name", "x", "--prompt", "p");

        Assert.Contains("is locked by another process", line);
        // The default wait is 30 s; the 300 ms from the environment (plus process start) must be what applied.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
        Assert.Equal("", bed.Repo.Git("for-each-ref", "refs/heads/amp/"));
        Assert.False(Directory.Exists(bed.Repo.Path(".worktrees")) && Directory.EnumerateFileSystemEntries(bed.Repo.Path(".worktrees")).Any());
    }

    [Fact]
    public async Task Help_exits_0()
    {
        var result = await bed.RunAsync("--help");

        Assert.Equal(0, result.ExitCode);
        foreach (var command in new[] { "new", "list", "status", "diff", "commit", "open", "cleanup", "repair" })
        {
            Assert.Contains(command, result.StandardOutput);
        }
    }
}
