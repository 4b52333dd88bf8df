using System.Diagnostics;
using AmpSessions.Testing;
using Xunit.Abstractions;

namespace AmpSessions.Cli.Tests.FaultInjection;

/// <summary>
/// Issue 10 item 4: the disk holding the data directory (database, transcript) fills up while the
/// agent runs. A real full filesystem: a small tmpfs mounted over the data directory (as root, or
/// through passwordless sudo as on GitHub's Linux runners). Where neither works the test fails and
/// says why; it never passes without a full disk.
/// </summary>
[Trait("Platform", "Linux")]
public sealed class FullDiskTests : IDisposable
{
    private readonly FaultBed bed = new();
    private readonly ITestOutputHelper output;
    private readonly SmallFilesystem disk;

    public FullDiskTests(ITestOutputHelper output)
    {
        this.output = output;
        disk = SmallFilesystem.MountOver(bed.DataDirectory, megabytes: 8);
    }

    public void Dispose()
    {
        disk.Dispose();
        bed.Dispose();
    }

    [Fact]
    public async Task A_disk_that_fills_during_a_turn_ends_it_at_once_with_a_clear_error_kills_the_agent_and_leaves_a_consistent_store()
    {
        var signals = bed.Signals;
        var filler = Path.Combine(bed.DataDirectory, "filler");
        // The agent starts a background child, fills the data directory's disk to the last byte, then
        // talks on and on: before the fix the reader of its output stopped at the first failed write,
        // the agent blocked on a full pipe and the CLI waited out the whole turn timeout in silence.
        // Once the user has made room (the "room" signal) it is a well-behaved agent again.
        var agent = ShellAgent.Write(Path.Combine(bed.Repo.Scratch("agent"), "agent.sh"), $$"""
            if [ -f "{{signals}}/room" ]; then
              echo 'written after the disk had room again' > after-the-full-disk.txt
            else
              echo $$ > "{{signals}}/agent.pid"
              sleep 600 &
              echo $! > "{{signals}}/child.pid"
              cat /dev/zero > "{{filler}}" 2>/dev/null
              touch "{{signals}}/full"
              yes 'the agent keeps talking while the disk is full'
            fi
            """);
        var created = await bed.JsonAsync("new", "--repo", bed.Repo.Root, "--base", "main", "--name", "Full disk", "--prompt", "p", "--agent", agent, "--timeout", "10m");
        var session = (Id: created.GetProperty("id").GetString()!, Worktree: created.GetProperty("worktreePath").GetString()!);
        var reachable = bed.ReachableCommits();
        var main = WorktreeState.Capture(bed.Repo.Root, "main");

        var clock = Stopwatch.StartNew();
        var run = await bed.Cli.RunAsync(["iterate", session.Id], null, TimeSpan.FromMinutes(11));
        clock.Stop();
        output.WriteLine($"iterate after {clock.Elapsed.TotalSeconds:0.0} s: {run}");

        Assert.True(File.Exists(Path.Combine(signals, "full")), "the agent never filled the disk: " + run);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"the turn took {clock.Elapsed} with the disk full (its timeout is 10 minutes)");
        Assert.NotEqual(0, run.ExitCode);
        Assert.True(run.StandardError.Contains("full", StringComparison.Ordinal) || run.StandardError.Contains("No space left on device", StringComparison.Ordinal),
            "stderr does not say the disk is full: " + run);
        foreach (var name in new[] { "agent.pid", "child.pid" })
        {
            var pid = int.Parse(File.ReadAllText(Path.Combine(signals, name)).Trim(), System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(await ProcessProbe.WaitUntilGoneAsync(pid, TimeSpan.FromSeconds(10)), $"the agent's process {pid} ({name}) outlived the turn");
        }

        // Still full: the store cannot even be read (SQLite's shared-memory index cannot grow), and list says so.
        var list = await bed.Cli.RunAsync("list");
        output.WriteLine($"list with the disk full: {list}");
        Assert.True(list.ExitCode != 0 && list.StandardError.Contains("is full", StringComparison.Ordinal) || list.ExitCode == 0 && !list.StandardOutput.Contains("Running", StringComparison.Ordinal),
            "list with the disk full: " + list);

        // Room again: nobody is running any more, before any repair.
        File.Delete(filler);
        var seen = await bed.StatusesAsync();
        output.WriteLine($"list once there is room: [{string.Join(", ", seen)}]");
        Assert.Equal(["Interrupted"], seen);

        // The user runs repair: the store is whole and nothing is left half-done.
        var findings = await bed.RepairAsync();
        output.WriteLine($"repair: [{string.Join(", ", findings)}]");
        await bed.AssertConsistentAsync(reachable, main, baseMayMove: false);
        var status = (await bed.JsonAsync("status", session.Id)).GetProperty("status").GetString();
        Assert.Equal("Error", status);
        var iteration = (await bed.JsonAsync("iterations", session.Id))[0];
        Assert.Equal("Crashed", iteration.GetProperty("status").GetString());

        // And the session goes on once there is room again.
        File.WriteAllText(Path.Combine(signals, "room"), "");
        Assert.Equal("Succeeded", (await bed.JsonAsync("iterate", session.Id)).GetProperty("status").GetString());
        Assert.True(File.Exists(Path.Combine(session.Worktree, "after-the-full-disk.txt")));
    }
}

/// <summary>A tmpfs of a few megabytes mounted over a folder (the folder's owner keeps it), unmounted on dispose.</summary>
public sealed class SmallFilesystem : IDisposable
{
    private readonly string path;
    private readonly bool sudo;

    private SmallFilesystem(string path, bool sudo) => (this.path, this.sudo) = (path, sudo);

    public static SmallFilesystem MountOver(string path, int megabytes)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("A full disk is simulated with a Linux tmpfs; this test runs on Linux only (the workflow's other jobs filter out Platform=Linux).");
        }
        var sudo = Environment.UserName != "root";
        var options = $"size={megabytes}m,mode=0700,uid={Id("-u")},gid={Id("-g")}";
        var (code, text) = Run(sudo, "mount", "-t", "tmpfs", "-o", options, "tmpfs", path);
        if (code != 0)
        {
            throw new InvalidOperationException(
                $"Cannot mount a {megabytes} MB tmpfs over {path} ({(sudo ? "through sudo -n" : "as root")}, exit {code}: {text.Trim()}): " +
                "this test needs root or passwordless sudo for mount (GitHub's Linux runners have it).");
        }
        return new SmallFilesystem(path, sudo);
    }

    public void Dispose()
    {
        // Lazy: a process of a failed run may still have a file open there.
        Run(sudo, "umount", "-l", path);
    }

    private static string Id(string which) => Run(false, "id", which).Output.Trim();

    private static (int ExitCode, string Output) Run(bool sudo, string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(sudo ? "sudo" : program) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (sudo)
        {
            start.ArgumentList.Add("-n");
            start.ArgumentList.Add(program);
        }
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr);
    }
}
