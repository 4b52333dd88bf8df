using System.Diagnostics;
using AmpSessions.PowerShell.Tests.Hosting;

namespace AmpSessions.PowerShell.Tests;

/// <summary>
/// A session whose iteration runs in another pwsh: Remove-AmpSession (even -Force) refuses and
/// leaves the worktree and branch; killing that pwsh leaves the session Interrupted, its agent
/// reaped, and Repair-AmpSession reporting it. (The session lock and the reaping are the core's,
/// issue 10; these are their PowerShell-level tests.)
/// </summary>
public sealed class OtherProcessTests : IDisposable
{
    private readonly HostedPowerShell host = new();
    private readonly string repo;
    private readonly string record;
    private readonly string id;
    private Process? other;

    public OtherProcessTests()
    {
        repo = host.NewRepository();
        record = Path.Combine(host.Root, "agent-record.jsonl");
        id = (string)host.Invoke("(New-AmpSession -Name busy -Prompt 'In src/greet.ts rename function hello to greet.' -RepoPath $Repo -Agent $Agent -DataPath $Data).Id",
            ("Repo", repo), ("Agent", $"amp:env FAKE_AMP_SCENARIO=hang FAKE_AMP_RECORD='{record}' '{TestEnvironment.FakeAgent}'")).Single().BaseObject;
    }

    public void Dispose()
    {
        if (other is { HasExited: false })
        {
            other.Kill(entireProcessTree: true);
        }
        other?.Dispose();
        host.Dispose();
    }

    /// <summary>Starts Invoke-AmpIteration in a pwsh of its own and returns the agent's process id once it runs.</summary>
    private int IterateInAnotherPwsh()
    {
        other = PwshProcess.Start($"Import-Module '{TestEnvironment.StagedManifest}'; Invoke-AmpIteration -Id {id} -DataPath '{host.DataPath}'", host.Root);
        var waited = Stopwatch.StartNew();
        // Read between the fake's locked appends (a plain read of the file while it writes failed this test once in CI).
        while (true)
        {
            if (AmpSessions.Testing.FakeAgentRecord.Read(record) is [var first, ..])
            {
                return first.ProcessId;
            }
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(90) && !other.HasExited, "the other pwsh did not start the agent");
            Thread.Sleep(100);
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
    public void Remove_AmpSession_refuses_a_session_whose_iteration_runs_in_another_process_even_with_Force()
    {
        IterateInAnotherPwsh();
        var worktree = Path.Combine(repo, ".worktrees", id);

        var plain = host.InvokeWithErrors("Remove-AmpSession -Id $Id -Confirm:$false -DataPath $Data", ("Id", id)).Errors;
        var forced = host.InvokeWithErrors("Remove-AmpSession -Id $Id -Force -Confirm:$false -DataPath $Data", ("Id", id)).Errors;

        Assert.NotEmpty(plain);
        Assert.NotEmpty(forced);
        Assert.All(plain.Concat(forced), e => Assert.Equal(System.Management.Automation.ErrorCategory.ResourceBusy, e.CategoryInfo.Category));
        Assert.True(Directory.Exists(worktree));
        Assert.NotEqual("", GitRepository.Git(repo, "branch", "--list", "amp/busy/*"));
        Assert.Equal("Running", host.Invoke("(Get-AmpSession -Id $Id -DataPath $Data).Status.ToString()", ("Id", id)).Single().ToString());
    }

    [Fact]
    public void Killing_the_pwsh_that_iterates_leaves_the_session_Interrupted_the_agent_reaped_and_repair_reporting_it()
    {
        var agent = IterateInAnotherPwsh();

        other!.Kill(entireProcessTree: false);
        other.WaitForExit();

        Assert.Equal("Interrupted", host.Invoke("(Get-AmpSession -Id $Id -DataPath $Data).Status.ToString()", ("Id", id)).Single().ToString());
        var findings = host.Invoke("Repair-AmpSession -RepoPath $Repo -DataPath $Data", ("Repo", repo));
        Assert.Contains(findings, f => f.Properties["SessionId"].Value as string == id && f.Properties["Kind"].Value.ToString() == "InterruptedRun");
        var waited = Stopwatch.StartNew();
        while (IsRunning(agent) && waited.Elapsed < TimeSpan.FromSeconds(10))
        {
            Thread.Sleep(100);
        }
        Assert.False(IsRunning(agent), $"the agent (process {agent}) of the killed pwsh is still running");
    }
}
