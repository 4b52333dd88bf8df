using AmpSessions.Testing;

namespace AmpSessions.Cli.Tests;

/// <summary>Issue 10 item 11: what the product writes is private (0700 folders, 0600 files), per-run files live in the data directory and an orphaned one is removed on the next start.</summary>
[Trait("Platform", "Linux")]
public sealed class PrivateFilesTests : IDisposable
{
    private readonly CliSessionBed bed = new();

    public void Dispose() => bed.Dispose();

    private static string Mode(string path) => FileModes.Octal(path);

    [Fact]
    public async Task The_data_directory_is_private_and_a_killed_turns_settings_file_is_removed_on_the_next_start()
    {
        // The user's Amp settings hold a token; the per-run settings file copies them.
        var home = bed.Repo.Scratch("home");
        Directory.CreateDirectory(Path.Combine(home, ".config", "amp"));
        File.WriteAllText(Path.Combine(home, ".config", "amp", "settings.json"), "{\"amp.mcpServers\": {\"x\": {\"env\": {\"TOKEN\": \"secret-value\"}}}}");
        bed.Cli.Environment["HOME"] = home;
        var id = await bed.NewSessionAsync("--allow-tool", "Bash");
        bed.Scenario = "hang";
        using var cli = bed.Cli.Start("iterate", id);
        string settingsFile;
        try
        {
            var call = Assert.Single(await FakeAgentRecord.WaitForAsync(bed.RecordPath, 1, TimeSpan.FromSeconds(60)));
            settingsFile = call.Arguments[call.Arguments.ToList().IndexOf("--settings-file") + 1];
            // The turn's private files sit in the private runs/ folder itself, named with the process that made them.
            Assert.Equal(Path.Combine(bed.DataDirectory, "runs"), Path.GetDirectoryName(settingsFile));
            Assert.StartsWith($"turn-{cli.Id}-", Path.GetFileName(settingsFile));
            Assert.Equal("700", Mode(Path.GetDirectoryName(settingsFile)!));
            Assert.Equal("600", Mode(settingsFile));

            // Killed before the turn ends: nothing removes the file then...
            cli.Kill(entireProcessTree: true);
            await cli.WaitForExitAsync();
            Assert.True(File.Exists(settingsFile));
        }
        finally
        {
            foreach (var call in bed.Invocations) ProcessProbe.Kill(call.ProcessId, TestPaths.FakeAgent);
            if (!cli.HasExited) cli.Kill(entireProcessTree: true);
        }
        // ...the next start does.
        Assert.Equal(0, (await bed.RunAsync("list")).ExitCode);
        Assert.False(File.Exists(settingsFile));
        Assert.Empty(Directory.GetFiles(Path.Combine(bed.DataDirectory, "runs"), $"turn-{cli.Id}-*"));

        foreach (var folder in new[] { bed.DataDirectory, Path.Combine(bed.DataDirectory, "logs"), Path.Combine(bed.DataDirectory, "logs", id),
                     Path.Combine(bed.DataDirectory, "locks"), Path.Combine(bed.DataDirectory, "runs") })
        {
            Assert.True(Mode(folder) == "700", $"{folder} is {Mode(folder)}");
        }
        foreach (var file in new[] { Path.Combine(bed.DataDirectory, "amp-sessions.db"), Path.Combine(bed.DataDirectory, "logs", id, "iteration-1.jsonl") })
        {
            Assert.True(Mode(file) == "600", $"{file} is {Mode(file)}");
        }
    }
}
