using System.Management.Automation;
using AmpSessions.PowerShell.Tests.Hosting;
using PS = System.Management.Automation.PowerShell;

namespace AmpSessions.PowerShell.Tests;

/// <summary>
/// A pipeline keeps one open repository per repository for its whole life (issue 11 item 6): the
/// core counts, per repository, how often in-process reads opened it and how many handles are open
/// ([AmpSessions.Core.Git.RepositoryHandles]::CountsFor, read in the runspace, where the module's copy
/// of the core is). Reads after a change in the same pipeline see the change; the handles are closed
/// when the pipeline ends and when it is stopped (Ctrl+C).
/// </summary>
public sealed class RepositoryHandleTests : IDisposable
{
    private readonly HostedPowerShell host = new();
    private readonly string repo;

    public RepositoryHandleTests()
    {
        repo = host.NewRepository();
        host.Invoke("'one', 'two', 'three' | ForEach-Object { [pscustomobject]@{ Name = $_; Prompt = 'p' } } | New-AmpSession -RepoPath $Repo -DataPath $Data | Out-Null",
            ("Repo", repo));
    }

    public void Dispose() => host.Dispose();

    private (long Opened, int Open) Counts(string directory, HostedPowerShell? shell = null)
    {
        var counts = (shell ?? host).Invoke("[AmpSessions.Core.Git.RepositoryHandles]::CountsFor($Directory)", ("Directory", directory)).Single();
        return ((long)counts.Properties["Opened"].Value, (int)counts.Properties["Open"].Value);
    }

    private string[] Worktrees() =>
        host.Invoke("Get-AmpSession -DataPath $Data | Sort-Object Name | ForEach-Object WorktreePath").Select(o => (string)o.BaseObject).ToArray();

    [Fact]
    public void Get_AmpSessionState_over_a_pipeline_opens_each_repository_once_and_closes_it_at_the_end()
    {
        var worktrees = Worktrees();
        var repoBefore = Counts(repo);
        var worktreesBefore = worktrees.Select(w => Counts(w)).ToArray();

        var states = host.Invoke("Get-AmpSession -DataPath $Data | Get-AmpSessionState -DataPath $Data");

        Assert.Equal(3, states.Count);
        Assert.All(states, s => Assert.True((bool)s.Properties["WorktreePresent"].Value));
        // Each state reads the main checkout (branch tips, ahead/behind, merge base, worktree registration) and its own worktree several times.
        Assert.Equal(repoBefore.Opened + 1, Counts(repo).Opened);
        Assert.Equal(0, Counts(repo).Open);
        for (var i = 0; i < worktrees.Length; i++)
        {
            Assert.Equal(worktreesBefore[i].Opened + 1, Counts(worktrees[i]).Opened);
            Assert.Equal(0, Counts(worktrees[i]).Open);
        }
    }

    [Fact]
    public void A_read_after_a_change_in_the_same_pipeline_sees_the_change()
    {
        var worktree = Worktrees()[0];
        var before = Counts(worktree);

        // The same session three times in one pipeline: as it is; after a tracked file is edited (the index
        // is untouched, so the open repository serves again); after a file is staged and main moves on.
        var states = host.Invoke("""
            $session = Get-AmpSession -DataPath $Data | Sort-Object Name | Select-Object -First 1
            1..3 | ForEach-Object {
                if ($_ -eq 2) { Set-Content -LiteralPath (Join-Path $Worktree 'README.md') -Value 'edited' }
                if ($_ -eq 3) {
                    Set-Content -LiteralPath (Join-Path $Worktree 'new.txt') -Value 'new'
                    git -C $Worktree add new.txt | Out-Null
                    Set-Content -LiteralPath (Join-Path $Repo 'main.txt') -Value 'main'
                    git -C $Repo add main.txt | Out-Null
                    git -C $Repo -c user.name=Test -c user.email=test@example.com commit -q -m 'main moves on' | Out-Null
                }
                $session
            } | Get-AmpSessionState -DataPath $Data
            """, ("Worktree", worktree), ("Repo", repo));

        string Changes(PSObject state) =>
            string.Join(",", ((System.Collections.IEnumerable)state.Properties["ChangedFiles"].Value).Cast<object>()
                .Select(c => PSObject.AsPSObject(c)).Select(c => $"{c.Properties["IndexStatus"].Value}{c.Properties["WorkTreeStatus"].Value}:{c.Properties["Path"].Value}"));
        Assert.Equal(3, states.Count);
        Assert.Equal("", Changes(states[0]));
        Assert.Equal(0, (int)states[0].Properties["Behind"].Value);
        Assert.Equal(".M:README.md", Changes(states[1]));
        Assert.Equal(".M:README.md,A.:new.txt", Changes(states[2]));
        Assert.Equal(1, (int)states[2].Properties["Behind"].Value);
        // The edit alone kept the open repository; staging changed the index, so it was opened again.
        Assert.Equal(before.Opened + 2, Counts(worktree).Opened);
        Assert.Equal(0, Counts(worktree).Open);
    }

    [Fact]
    public void Stopping_a_pipeline_closes_its_repositories_and_the_worktree_can_be_removed()
    {
        var worktree = Worktrees()[0];
        using var observer = new HostedPowerShell();
        using var shell = PS.Create();
        shell.Runspace = host.Runspace;
        shell.AddScript("""
            $session = Get-AmpSession -DataPath $Data | Sort-Object Name | Select-Object -First 1
            1..2 | ForEach-Object { if ($_ -eq 2) { Start-Sleep -Seconds 120 }; $session } | Get-AmpSessionState -DataPath $Data
            """);
        var output = new PSDataCollection<PSObject>();
        var first = new ManualResetEventSlim();
        output.DataAdded += (_, _) => first.Set();
        var running = shell.BeginInvoke<PSObject, PSObject>(null, output);
        Assert.True(first.Wait(TimeSpan.FromSeconds(60)), "the first state never came");

        // Between the two items the pipeline holds the repositories it read (the observer's runspace shares the module's core).
        Assert.Equal(1, Counts(repo, observer).Open);
        Assert.Equal(1, Counts(worktree, observer).Open);

        shell.Stop();

        Assert.True(running.IsCompleted);
        Assert.Equal(PSInvocationState.Stopped, shell.InvocationStateInfo.State);
        Assert.Equal(0, Counts(repo, observer).Open);
        Assert.Equal(0, Counts(worktree, observer).Open);
        GitRepository.Git(repo, "worktree", "remove", "--force", worktree);
        Assert.False(Directory.Exists(worktree));
    }
}
