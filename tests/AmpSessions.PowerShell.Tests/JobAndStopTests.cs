using System.Diagnostics;
using System.Management.Automation;
using AmpSessions.PowerShell.Tests.Hosting;
using PS = System.Management.Automation.PowerShell;

namespace AmpSessions.PowerShell.Tests;

/// <summary>
/// -AsJob with Wait-Job/Receive-Job/Stop-Job, and stopping a running pipeline (PowerShell.Stop(),
/// what Ctrl+C does), with a fake agent that hangs until it is killed.
/// </summary>
public sealed class JobAndStopTests : IDisposable
{
    private readonly HostedPowerShell host = new();
    private readonly string repo;
    private readonly string record;

    public JobAndStopTests()
    {
        repo = host.NewRepository();
        record = Path.Combine(host.Root, "agent-record.jsonl");
    }

    public void Dispose() => host.Dispose();

    /// <summary>The fake agent run through `env`, so the scenario and record file are the session's alone.</summary>
    private string Agent(string scenario, bool ignoresInterrupts) =>
        $"amp:env FAKE_AMP_SCENARIO={scenario} FAKE_AMP_RECORD='{record}'{(ignoresInterrupts ? " FAKE_AMP_IGNORE_SIGNALS=1" : "")} '{TestEnvironment.FakeAgent}'";

    private string NewSession(string name, string scenario, bool ignoresInterrupts = false) =>
        (string)host.Invoke("(New-AmpSession -Name $Name -Prompt 'In src/greet.ts rename function hello to greet.' -RepoPath $Repo -Agent $Agent -DataPath $Data).Id",
            ("Name", name), ("Repo", repo), ("Agent", Agent(scenario, ignoresInterrupts))).Single().BaseObject;

    /// <summary>The process ids of the agents started so far (from the fake's record file), waiting for <paramref name="count"/>.</summary>
    private IReadOnlyList<int> AgentProcesses(int count)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var ids = AmpSessions.Testing.FakeAgentRecord.Read(record).Select(i => i.ProcessId).ToArray();
            if (ids.Length >= count)
            {
                return ids;
            }
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), $"the agent did not start ({ids.Length} of {count} running)");
            Thread.Sleep(50);
        }
    }

    private static bool IsRunning(int processId)
    {
        try
        {
            using var process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    [Fact]
    public void AsJob_returns_a_job_that_Wait_Job_and_Receive_Job_understand()
    {
        NewSession("one", "success-edit");
        NewSession("two", "success-edit");

        var results = host.Invoke("""
            $job = Get-AmpSession -DataPath $Data | Invoke-AmpIteration -AsJob -ThrottleLimit 2 -DataPath $Data
            $null = $job | Wait-Job -Timeout 120
            [pscustomobject]@{ State = "$($job.State)"; Type = $job.PSJobTypeName; Children = $job.ChildJobs.Count; Records = @($job | Receive-Job) }
            $job | Remove-Job
            """);

        var summary = results.Single();
        Assert.Equal("Completed", summary.Properties["State"].Value);
        Assert.Equal("AmpSessionsJob", summary.Properties["Type"].Value);
        Assert.Equal(2, summary.Properties["Children"].Value);
        var records = ((object[])summary.Properties["Records"].Value).Select(PSObject.AsPSObject).ToArray();
        Assert.Equal(["Succeeded", "Succeeded"], records.Select(r => r.Properties["Status"].Value.ToString()));
    }

    [Fact]
    public void Stop_Job_ends_the_job_Stopped_kills_the_agent_and_records_the_iteration_Cancelled()
    {
        var id = NewSession("hangs", "hang");
        host.Invoke("$global:job = Get-AmpSession -Id $Id -DataPath $Data | Invoke-AmpIteration -AsJob -DataPath $Data", ("Id", id));
        var agent = AgentProcesses(1).Single();
        Assert.True(IsRunning(agent));

        var states = host.Invoke("""
            $job | Stop-Job
            "$($job.State)"; "$($job.ChildJobs[0].State)"
            """).Select(o => o.ToString()).ToArray();

        Assert.Equal(["Stopped", "Stopped"], states);
        Assert.False(IsRunning(agent), $"the agent (process {agent}) outlived Stop-Job");
        var iteration = host.Invoke("Get-AmpIteration -Id $Id -DataPath $Data", ("Id", id)).Single();
        Assert.Equal("Cancelled", iteration.Properties["Status"].Value.ToString());
        Assert.Equal("Idle", host.Invoke("(Get-AmpSession -Id $Id -DataPath $Data).Status", ("Id", id)).Single().ToString());
        host.Invoke("$job | Remove-Job");
    }

    /// <summary>
    /// Within two seconds whether the agent honours the interrupt (it writes its cancellation result and exits) or not
    /// (it is killed when its grace period ends): the grace is shorter than the promise.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Stopping_the_pipeline_cancels_the_iteration_within_two_seconds_and_records_it_Cancelled(bool agentIgnoresInterrupts)
    {
        var id = NewSession("ctrl-c", "hang", agentIgnoresInterrupts);
        using var shell = PS.Create();
        shell.Runspace = host.Runspace;
        shell.AddScript("Invoke-AmpIteration -Id $Id -DataPath $Data");
        host.Runspace.SessionStateProxy.SetVariable("Id", id);
        var running = shell.BeginInvoke();
        var agent = AgentProcesses(1).Single();

        var stopwatch = Stopwatch.StartNew();
        shell.Stop();
        stopwatch.Stop();

        Assert.True(running.IsCompleted);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(2), $"PowerShell.Stop() took {stopwatch.Elapsed.TotalSeconds:0.0}s");
        Assert.Equal(PSInvocationState.Stopped, shell.InvocationStateInfo.State);
        Assert.False(IsRunning(agent), $"the agent (process {agent}) outlived the stopped pipeline");
        var iteration = host.Invoke("Get-AmpIteration -Id $Id -DataPath $Data", ("Id", id)).Single();
        Assert.Equal("Cancelled", iteration.Properties["Status"].Value.ToString());
    }
}
