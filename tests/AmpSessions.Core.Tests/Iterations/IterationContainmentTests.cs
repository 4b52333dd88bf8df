using System.Globalization;
using AmpSessions.Core.Iterations;
using AmpSessions.Core.Processes;
using AmpSessions.Core.Sessions;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Iterations;

/// <summary>
/// Every process an agent turn starts is gone when the turn ends (a background child, a setsid
/// child, a double fork), so nothing keeps editing the worktree after the session is Idle; and the
/// processes of a turn whose orchestrator was killed can be found and reaped by session.
/// </summary>
[Trait("Platform", "Linux")]
public sealed class IterationContainmentTests : IDisposable
{
    private readonly IterationTestBed bed = new();
    private readonly List<int> spawned = [];

    public void Dispose()
    {
        foreach (var pid in spawned)
        {
            ProcessProbe.Kill(pid, "/usr/bin/sleep");
            ProcessProbe.Kill(pid, TestPaths.FakeAgent);
        }
        bed.Dispose();
    }

    private string PidFile(string name) => Path.Combine(bed.Repo.Scratch("pids"), name + ".pid");

    // Created by the test once the turn has returned: the children write into the worktree only after it exists.
    private string GoFile => Path.Combine(bed.Repo.Scratch("pids"), "go");

    /// <summary>
    /// An agent wrapper that starts three children which would each write into the worktree once the
    /// turn is over (when the test creates the go file, not after a fixed delay a loaded machine can
    /// outlast inside the turn), then runs the fake agent (which finishes its turn at once).
    /// </summary>
    private string AgentThatLeavesChildren()
    {
        string Child(string name, int seconds) =>
            $"sh -c 'echo $$ > \"{PidFile(name)}\"; while [ ! -e \"{GoFile}\" ]; do sleep 0.05; done; echo {name} > \"$PWD/late-{name}.txt\"; exec sleep {seconds}'";
        var body = $"""
            setsid -f {Child("setsid", 300)} </dev/null >/dev/null 2>&1
            ( {Child("double-fork", 301)} </dev/null >/dev/null 2>&1 & )
            {Child("background", 302)} &
            for f in setsid double-fork background; do
              while [ ! -s "{Path.Combine(bed.Repo.Scratch("pids"), "$f.pid")}" ]; do sleep 0.02; done
            done
            exec '{TestPaths.FakeAgent}' "$@"
            """;
        return ExecutableScript.Write(Path.Combine(bed.Repo.Scratch("agent-bin"), "leaves-children"), body);
    }

    private int ReadPid(string name)
    {
        var pid = int.Parse(File.ReadAllText(PidFile(name)).Trim(), CultureInfo.InvariantCulture);
        spawned.Add(pid);
        return pid;
    }

    [Fact]
    public async Task Processes_the_agent_started_are_gone_when_the_turn_ends_and_never_touch_the_worktree_after_it()
    {
        var session = await bed.NewSessionAsync("success-edit", agent: $"amp:/bin/sh {AgentThatLeavesChildren()}");

        var iteration = await bed.IterateAsync(session);
        // The turn is over: a child that outlived it writes into the worktree now.
        File.WriteAllText(GoFile, "");

        Assert.Equal(IterationStatus.Succeeded, iteration.Status);
        Assert.NotNull(iteration.CommitSha);
        var children = new[] { "setsid", "double-fork", "background" }.Select(name => (name, pid: ReadPid(name))).ToArray();
        // Several of a survivor's 50 ms polls: the worktree is as the iteration left it.
        await Task.Delay(TimeSpan.FromSeconds(0.5));
        Assert.Empty(Directory.GetFiles(session.WorktreePath, "late-*.txt"));
        foreach (var (name, pid) in children)
        {
            Assert.True(await ProcessProbe.WaitUntilGoneAsync(pid, TimeSpan.FromSeconds(5)), $"the {name} child {pid} outlived the turn");
        }
        Assert.Equal("", bed.GitInWorktree(session, "status", "--porcelain"));
        Assert.Equal(SessionStatus.Idle, bed.Reload(session).Status);
    }

    [Fact]
    public async Task The_agent_of_a_killed_orchestrator_keeps_running_until_its_session_is_reaped()
    {
        var wrapper = ExecutableScript.Write(Path.Combine(bed.Repo.Scratch("agent-bin"), "detaching-hang"), $"""
            setsid -f sh -c 'echo $$ > "{PidFile("setsid")}"; exec sleep 300' </dev/null >/dev/null 2>&1
            while [ ! -s "{PidFile("setsid")}" ]; do sleep 0.02; done
            exec '{TestPaths.FakeAgent}' "$@"
            """);
        var session = await bed.NewSessionAsync("hang", agent: $"amp:/bin/sh {wrapper}");
        var cli = new CliRunner(bed.Context.Data.Root);
        using var orchestrator = cli.Start("iterate", session.Id);
        try
        {
            var agent = (await FakeAgentRecord.WaitForAsync(bed.RecordPath, 1, TimeSpan.FromSeconds(30)))[^1].ProcessId;
            spawned.Add(agent);
            var detached = ReadPid("setsid");
            // SIGKILL the orchestrating CLI alone: it cannot end its turn's processes.
            orchestrator.Kill(entireProcessTree: false);
            await orchestrator.WaitForExitAsync();
            Assert.True(ProcessProbe.IsRunning(agent), "the agent died with its orchestrator: nothing to reap");
            Assert.True(ProcessProbe.IsRunning(detached));

            var found = await ProcessContainment.FindAsync(ContainmentScope.SessionPrefix(session.Id));
            Assert.Contains(agent, found);
            Assert.Contains(detached, found);

            Assert.True(await ProcessContainment.ReapSessionAsync(session.Id) >= 2);
            Assert.True(await ProcessProbe.WaitUntilGoneAsync(agent, TimeSpan.FromSeconds(5)), $"agent {agent} survived the reaping");
            Assert.True(await ProcessProbe.WaitUntilGoneAsync(detached, TimeSpan.FromSeconds(5)), $"detached child {detached} survived the reaping");
        }
        finally
        {
            if (!orchestrator.HasExited)
            {
                orchestrator.Kill(entireProcessTree: true);
            }
        }
    }
}
