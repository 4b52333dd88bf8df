using System.Diagnostics;
using System.Globalization;
using AmpSessions.Core.Processes;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Processes;

/// <summary>
/// Containment: a contained run leaves nothing behind, whether it ends by itself, by time limit or
/// by cancellation, including descendants that left the process tree (setsid, double fork) and a
/// plain background child.
/// </summary>
[Trait("Platform", "Linux")]
public sealed class ProcessContainmentTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);
    private readonly TempDirectory temp = new("amp-contain");
    private readonly List<int> started = [];

    public void Dispose()
    {
        // Whatever a failing test left running is killed here, by id, and only while it is a sleep of ours.
        foreach (var pid in started)
        {
            ProcessProbe.Kill(pid, "/usr/bin/sleep");
        }
        temp.Dispose();
    }

    /// <summary>
    /// Starts three sleeps that would outlive a tree kill or the end of their parent: one in a new
    /// session (setsid --fork: its parent returns at once), one double-forked (its parent exits at once, so it is adopted by init), one
    /// a background child holding the output pipe; each writes its pid first.
    /// </summary>
    private string Spawner(string then) => $"""
        setsid -f sh -c 'echo $$ > "{temp.Combine("setsid.pid")}"; exec sleep 300' </dev/null >/dev/null 2>&1
        ( sh -c 'echo $$ > "{temp.Combine("double-fork.pid")}"; exec sleep 301' </dev/null >/dev/null 2>&1 & )
        sh -c 'echo $$ > "{temp.Combine("background.pid")}"; exec sleep 302' &
        for f in setsid double-fork background; do
          while [ ! -s "{temp.Combine("$f.pid")}" ]; do sleep 0.02; done
        done
        echo started
        {then}
        """;

    private int[] SpawnedPids()
    {
        var pids = new[] { "setsid", "double-fork", "background" }
            .Select(name => int.Parse(File.ReadAllText(temp.Combine(name + ".pid")).Trim(), CultureInfo.InvariantCulture))
            .ToArray();
        started.AddRange(pids);
        return pids;
    }

    private static async Task AssertAllGoneAsync(IEnumerable<int> pids, string when)
    {
        foreach (var pid in pids)
        {
            Assert.True(await ProcessProbe.WaitUntilGoneAsync(pid, TimeSpan.FromSeconds(10)), $"process {pid} outlived {when}");
        }
    }

    private static ProcessSpec Contained(string script) =>
        new ProcessSpec("sh", ["-c", script]) { Timeout = Limit, Containment = ContainmentScope.ForSession("tst00001", "test") };

    [Fact]
    public async Task A_run_that_ends_by_itself_leaves_no_detached_double_forked_or_background_process()
    {
        var clock = Stopwatch.StartNew();
        var result = await ProcessRunner.RunAsync(Contained(Spawner("exit 0")), (Action<OutputLine>?)null);

        Assert.True(result.Succeeded, result.StandardError);
        Assert.Equal("started\n", result.StandardOutput);
        // The background sleep held the output pipe; it was killed, so the run did not wait out the drain grace.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        await AssertAllGoneAsync(SpawnedPids(), "the end of the run");
    }

    [Fact]
    public async Task A_time_limit_kills_detached_processes_too()
    {
        var result = await ProcessRunner.RunAsync(Contained(Spawner("sleep 303")) with { Timeout = TimeSpan.FromSeconds(2) }, (Action<OutputLine>?)null);

        Assert.True(result.TimedOut);
        await AssertAllGoneAsync(SpawnedPids(), "the time limit");
    }

    [Fact]
    public async Task Cancellation_kills_detached_processes_too()
    {
        using var cancel = new CancellationTokenSource();
        var result = await ProcessRunner.RunAsync(Contained(Spawner("sleep 303")), line =>
        {
            if (line.Text == "started") cancel.Cancel();
        }, cancel.Token);

        Assert.True(result.Cancelled);
        await AssertAllGoneAsync(SpawnedPids(), "the cancellation");
    }

    [Fact]
    public async Task Without_containment_a_tree_kill_misses_the_detached_processes()
    {
        // The control: this is what containment is for (and proof the spawner really escapes the tree).
        var result = await ProcessRunner.RunAsync(new ProcessSpec("sh", ["-c", Spawner("sleep 303")]) { Timeout = TimeSpan.FromSeconds(2) },
            (Action<OutputLine>?)null);

        Assert.True(result.TimedOut);
        var pids = SpawnedPids();
        Assert.True(ProcessProbe.IsRunning(pids[0]), "the setsid child was killed without containment");
        Assert.True(ProcessProbe.IsRunning(pids[1]), "the double-forked child was killed without containment");
    }

    [Fact]
    public async Task The_processes_of_a_session_are_found_and_reaped_after_their_orchestrator_is_gone()
    {
        // A process that carries a session's marker but whose starter is not waiting for it: what a
        // turn leaves when the CLI running it is killed with SIGKILL.
        const string session = "reap0001";
        var marker = ContainmentScope.ForSession(session, "agent").Marker;
        var orphan = new ProcessStartInfo("setsid", ["sh", "-c", $"echo $$ > '{temp.Combine("orphan.pid")}'; exec sleep 304"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { [ProcessContainment.VariableName] = marker },
        };
        using (Process.Start(orphan))
        {
        }
        await Eventually.WaitAsync(() => File.Exists(temp.Combine("orphan.pid")) && File.ReadAllText(temp.Combine("orphan.pid")).Trim().Length > 0);
        var pid = int.Parse(File.ReadAllText(temp.Combine("orphan.pid")).Trim(), CultureInfo.InvariantCulture);
        started.Add(pid);

        Assert.Contains(pid, await ProcessContainment.FindAsync(ContainmentScope.SessionPrefix(session)));
        Assert.Empty(await ProcessContainment.FindAsync(ContainmentScope.SessionPrefix("other001")));
        Assert.Equal(1, await ProcessContainment.ReapSessionAsync(session));
        await AssertAllGoneAsync([pid], "the reaping");
        Assert.Empty(await ProcessContainment.FindAsync(ContainmentScope.SessionPrefix(session)));
    }

    [Fact]
    public async Task A_sweep_within_its_window_reaps_detached_processes_and_reads_none_started_before_it()
    {
        // A process carrying the scope's marker that started before the window opened stands for every
        // unrelated process on the machine: a windowed sweep does not read it (a full sweep does).
        var scope = ContainmentScope.ForSession("win00001", "test");
        var before = StartMarkedSleep(scope.Marker, "before.pid");
        // Sampled by hand and trusted for minutes, so a slow test machine does not turn this into a full sweep.
        using var window = TrustedCursor(TimeSpan.FromMinutes(5)).Open();

        var run = await ProcessRunner.RunAsync(new ProcessSpec("sh", ["-c", Spawner("exit 0")])
        {
            Timeout = Limit,
            Environment = new Dictionary<string, string?> { [ProcessContainment.VariableName] = scope.Marker },
        }, (Action<OutputLine>?)null);
        Assert.True(run.Succeeded, run.StandardError);
        var spawned = SpawnedPids();
        Assert.All(spawned, pid => Assert.True(ProcessProbe.IsRunning(pid), $"process {pid} ended before the sweep"));

        Assert.Equal(spawned.Order(), (await ProcessContainment.FindAsync(scope.Marker, window)).Order());
        Assert.Equal(3, await ProcessContainment.ReapAsync(scope.Marker, window));
        await AssertAllGoneAsync(spawned, "the windowed sweep");
        Assert.True(ProcessProbe.IsRunning(before), "the windowed sweep read a process started before its window");
        Assert.Equal(new[] { before }, await ProcessContainment.FindAsync(scope.Marker));
    }

    [Fact]
    public async Task A_stale_window_sweeps_every_process()
    {
        var scope = ContainmentScope.ForSession("win00002", "test");
        var before = StartMarkedSleep(scope.Marker, "stale.pid");
        using var stale = TrustedCursor(TimeSpan.Zero).Open();
        await Task.Delay(10);

        Assert.Equal(1, await ProcessContainment.ReapAsync(scope.Marker, stale));
        await AssertAllGoneAsync([before], "a sweep whose window was stale");
    }

    [Fact]
    public async Task A_sweep_after_a_clean_one_still_reaps_a_process_started_since()
    {
        // A run's sweeps skip the scan only when no process id was handed out since the last clean one began.
        var scope = ContainmentScope.ForSession("win00003", "test");
        var run = ContainedRun.Create(scope, TrustedCursor(TimeSpan.FromMinutes(5)).Open());
        await run.KillAllAsync();

        var late = StartMarkedSleep(scope.Marker, "late.pid");
        await run.EndAsync();
        await AssertAllGoneAsync([late], "the end of a run whose first sweep found nothing");
    }

    [Fact]
    public async Task A_process_caught_in_the_middle_of_an_exec_is_still_found_and_reaped()
    {
        // A marked shell that execs itself again and again (for a bounded count, so it ends even if this test fails):
        // about one read of its environment in ten falls between an exec's two halves and comes back empty, and a
        // read in pieces tears when an exec comes between them. The marker goes last, after 100 KB of other
        // variables, as far into the environment as a read can reach (and past the first buffer's 64 KB).
        var marker = ContainmentScope.ForSession("exec0001", "test").Marker;
        var script = temp.Combine("reexec.sh");
        File.WriteAllText(script, $"""
            [ "$1" = 0 ] && echo $$ > '{temp.Combine("reexec.pid")}'
            [ "$1" -lt 20000 ] && exec sh "$0" $(($1 + 1))
            """);
        var info = new ProcessStartInfo("setsid", ["sh", script, "0"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["AMP_SESSIONS_TEST_PADDING"] = new string('x', 100_000);
        info.Environment[ProcessContainment.VariableName] = marker;
        using (Process.Start(info))
        {
        }
        await Eventually.WaitAsync(() => File.Exists(temp.Combine("reexec.pid")) && File.ReadAllText(temp.Combine("reexec.pid")).Trim().Length > 0);
        var pid = int.Parse(File.ReadAllText(temp.Combine("reexec.pid")).Trim(), CultureInfo.InvariantCulture);

        for (var look = 0; look < 500; look++)
        {
            Assert.Contains(pid, await ProcessContainment.FindAsync(marker));
        }
        Assert.Equal(1, await ProcessContainment.ReapAsync(marker));
        await AssertAllGoneAsync([pid], "a sweep that met it in the middle of an exec");
    }

    [Fact]
    public async Task A_process_with_no_environment_at_all_does_not_keep_a_sweep_from_ending_clean()
    {
        // Its environment reads empty as an exec's does for an instant; the sweep looks once more and then believes it.
        var scope = ContainmentScope.ForSession("empty001", "test");
        using var window = TrustedCursor(TimeSpan.FromMinutes(5)).Open();
        var pid = StartSleepWithNoEnvironment("empty.pid");

        Assert.True(await ProcessContainment.ReapUntilCleanAsync(scope.Marker, window), "the sweep gave up");
        Assert.True(ProcessProbe.IsRunning(pid), "a process without the marker was killed");
    }

    [Theory]
    [InlineData("R", 4194304, "0", "0", ProcessContainment.EmptyEnvironment.Settling)] // between an exec's two halves
    [InlineData("R", 4194304, "140727616993579", "0", ProcessContainment.EmptyEnvironment.Settling)]
    [InlineData("R", 4194304, "140727616993579", "140727616995307", ProcessContainment.EmptyEnvironment.Settling)] // it has one: an exec ended after the read
    [InlineData("R", 4194304, "140727616995307", "140727616995307", ProcessContainment.EmptyEnvironment.LooksEmpty)] // no environment, or an exec writing it
    [InlineData("Z", 4194316, "0", "0", ProcessContainment.EmptyEnvironment.Settled)] // a zombie
    [InlineData("S", 2129984, "0", "0", ProcessContainment.EmptyEnvironment.Settled)] // a kernel thread (PF_KTHREAD)
    internal void An_empty_environment_is_read_again_while_an_exec_may_hide_it(string state, long flags, string envStart, string envEnd, ProcessContainment.EmptyEnvironment expected)
    {
        // A stat line as Linux 6 writes it (52 fields), with a name that holds a space and parentheses.
        var fields = "18268 18268 1783 0 -1 FLAGS 99 0 0 0 0 0 0 0 20 0 1 0 2839812 3133440 384 18446744073709551615 94839804329984 94839804349865 140727616991648 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 94839804365872 94839804367488 94840615600128 140727616993559 140727616993579 ENVSTART ENVEND 0"
            .Replace("FLAGS", flags.ToString(CultureInfo.InvariantCulture)).Replace("ENVSTART", envStart).Replace("ENVEND", envEnd);
        Assert.Equal(expected, ProcessContainment.ReadEmpty($"18270 (a (b) c) {state} {fields}\n", out var start));
        Assert.Equal(expected == ProcessContainment.EmptyEnvironment.Settled ? "" : envStart, start);
        Assert.Equal(ProcessContainment.EmptyEnvironment.Settled, ProcessContainment.ReadEmpty($"18270 (old kernel) {state} 18268 18268 1783 0 -1 {flags}\n", out _));
    }

    private static PidCursor TrustedCursor(TimeSpan trust) =>
        new(int.Parse(File.ReadAllText("/proc/sys/kernel/pid_max").Trim(), CultureInfo.InvariantCulture), trust,
            () => int.Parse(File.ReadAllText("/proc/sys/kernel/ns_last_pid").Trim(), CultureInfo.InvariantCulture), Stopwatch.GetTimestamp, sampleInBackground: false);

    private int StartSleepWithNoEnvironment(string pidFile)
    {
        var info = new ProcessStartInfo("sh", ["-c", $"echo $$ > '{temp.Combine(pidFile)}'; exec env -i /usr/bin/sleep 306"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using (Process.Start(info))
        {
        }
        var path = temp.Combine(pidFile);
        SpinWait.SpinUntil(() => File.Exists(path) && File.ReadAllText(path).Trim().Length > 0, TimeSpan.FromSeconds(10));
        var pid = int.Parse(File.ReadAllText(path).Trim(), CultureInfo.InvariantCulture);
        started.Add(pid);
        // Until env has exec'd sleep, the process still has the environment it was started with.
        SpinWait.SpinUntil(() => File.ReadAllBytes($"/proc/{pid}/environ").Length == 0 && ProcessProbe.Running("/usr/bin/sleep").Contains(pid), TimeSpan.FromSeconds(10));
        return pid;
    }

    private int StartMarkedSleep(string marker, string pidFile)
    {
        var info = new ProcessStartInfo("setsid", ["sh", "-c", $"echo $$ > '{temp.Combine(pidFile)}'; exec sleep 305"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { [ProcessContainment.VariableName] = marker },
        };
        using (Process.Start(info))
        {
        }
        var path = temp.Combine(pidFile);
        SpinWait.SpinUntil(() => File.Exists(path) && File.ReadAllText(path).Trim().Length > 0, TimeSpan.FromSeconds(10));
        var pid = int.Parse(File.ReadAllText(path).Trim(), CultureInfo.InvariantCulture);
        started.Add(pid);
        return pid;
    }

    [Theory]
    [InlineData("A=1\0AMP_SESSIONS_SCOPE=abc/agent/1\0B=2\0", "AMP_SESSIONS_SCOPE=abc/", true)]
    [InlineData("AMP_SESSIONS_SCOPE=abc/agent/1", "AMP_SESSIONS_SCOPE=abc/", true)]
    [InlineData("X_AMP_SESSIONS_SCOPE=abc/agent/1\0", "AMP_SESSIONS_SCOPE=abc/", false)]
    [InlineData("A=AMP_SESSIONS_SCOPE=abc/\0", "AMP_SESSIONS_SCOPE=abc/", false)]
    [InlineData("AMP_SESSIONS_SCOPE=abcd/agent/1\0", "AMP_SESSIONS_SCOPE=abc/", false)]
    [InlineData("", "AMP_SESSIONS_SCOPE=abc/", false)]
    public void A_marker_matches_only_a_whole_environment_entry(string environment, string needle, bool expected)
    {
        Assert.Equal(expected, ProcessContainment.HasEntry(System.Text.Encoding.UTF8.GetBytes(environment), System.Text.Encoding.UTF8.GetBytes(needle)));
    }
}
