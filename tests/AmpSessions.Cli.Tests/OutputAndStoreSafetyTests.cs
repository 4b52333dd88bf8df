using System.Diagnostics;
using System.Text.Json;
using AmpSessions.Core.Storage;
using AmpSessions.Testing;

namespace AmpSessions.Cli.Tests;

/// <summary>Issue 10 items 6 and 8: the store is never silently replaced, and output files that are not regular files are written through.</summary>
[Trait("Platform", "Linux")]
public sealed class OutputAndStoreSafetyTests : IDisposable
{
    private readonly CliTestBed bed = new();

    public void Dispose() => bed.Dispose();

    private string Database => Path.Combine(bed.DataDirectory, DataDirectory.DatabaseFileName);

    [Fact]
    public async Task A_zero_byte_database_is_refused_and_left_as_it_is_not_taken_for_a_new_store()
    {
        await bed.NewAsync();
        foreach (var file in Directory.EnumerateFiles(bed.DataDirectory, "amp-sessions.db*"))
        {
            File.Delete(file);
        }
        File.WriteAllBytes(Database, []);

        var list = await bed.RunAsync("list", "--json");

        Assert.True(list.ExitCode == 1, list.ToString());
        var line = CliTestBed.AssertOneErrorLine(list);
        Assert.Contains("is empty (0 bytes)", line);
        Assert.Equal("AmpDatabaseEmpty", JsonDocument.Parse(list.StandardOutput).RootElement.GetProperty("error").GetProperty("id").GetString());
        Assert.Equal(0, new FileInfo(Database).Length);
        // A missing file still means a new, empty store.
        File.Delete(Database);
        Assert.Equal("[]", (await bed.SucceedsAsync("list", "--json")).Trim());
        Assert.True(new FileInfo(Database).Length > 0);
    }

    [Fact]
    public async Task Between_commands_the_store_is_one_file_with_nothing_left_in_its_log()
    {
        // A command keeps its connections for its whole run; closing them at its end checkpoints the WAL into the
        // database file, so copying amp-sessions.db alone (a backup) holds everything every command wrote.
        var id = CliTestBed.Text(await bed.NewAsync(), "id");
        await bed.SucceedsAsync("set", id, "--notes", "written by a command");
        await bed.SucceedsAsync("list");
        await bed.FailsAsync("status", "no-such-session");

        Assert.Equal(["amp-sessions.db"], Directory.EnumerateFiles(bed.DataDirectory, "amp-sessions.db*").Select(file => Path.GetFileName(file)).ToArray());
    }

    private async Task<string> SessionWithACommitAsync()
    {
        var session = await bed.NewAsync();
        var worktree = CliTestBed.Text(session, "worktreePath");
        File.WriteAllText(Path.Combine(worktree, "feature.txt"), "feature\n");
        TestRepository.GitIn(worktree, "add", "--all");
        TestRepository.GitIn(worktree, "commit", "--quiet", "-m", "Add the feature");
        return CliTestBed.Text(session, "id");
    }

    [Fact]
    public async Task Export_through_a_symbolic_link_writes_the_file_it_names_and_keeps_the_link()
    {
        var id = await SessionWithACommitAsync();
        var folder = bed.Repo.Scratch("out");
        var real = Path.Combine(folder, "real.patch");
        File.WriteAllText(real, "old\n");
        var link = Path.Combine(folder, "link.patch");
        File.CreateSymbolicLink(link, real);

        await bed.SucceedsAsync("export", id, "--output", link);

        Assert.Equal(FileKind.SymbolicLink, FileKinds.Of(link));
        Assert.Contains("Subject: [PATCH] Add the feature", File.ReadAllText(real));
    }

    [Fact]
    public async Task Export_to_a_fifo_writes_through_it_and_the_fifo_stays_a_fifo()
    {
        var id = await SessionWithACommitAsync();
        var fifo = Path.Combine(bed.Repo.Scratch("out"), "patch.fifo");
        var mkfifo = Process.Start("mkfifo", [fifo])!;
        await mkfifo.WaitForExitAsync();
        Assert.Equal(0, mkfifo.ExitCode);
        var reader = Task.Run(() => File.ReadAllText(fifo));

        var export = await bed.RunAsync("export", id, "--output", fifo);

        Assert.True(export.ExitCode == 0, export.ToString());
        Assert.Contains("Subject: [PATCH] Add the feature", await reader);
        Assert.Equal(FileKind.Special, FileKinds.Of(fifo));
    }

    [Fact]
    public async Task Export_to_a_full_device_fails_with_a_clear_error_and_the_device_stays_a_device()
    {
        var id = await SessionWithACommitAsync();
        // As root, a device node of our own that behaves as /dev/full (the machine's own is never risked).
        var device = "/dev/full";
        if (Environment.UserName == "root")
        {
            device = Path.Combine(bed.Repo.Scratch("dev"), "full");
            var mknod = Process.Start("mknod", [device, "c", "1", "7"])!;
            await mknod.WaitForExitAsync();
            Assert.Equal(0, mknod.ExitCode);
        }

        var export = await bed.RunAsync("export", id, "--output", device);

        Assert.True(export.ExitCode == 1, export.ToString());
        Assert.Contains("No space left on device", CliTestBed.AssertOneErrorLine(export));
        Assert.Equal(FileKind.Special, FileKinds.Of(device));
    }
}
