using System.Management.Automation;
using System.Text.RegularExpressions;
using AmpSessions.PowerShell.Tests.Hosting;

namespace AmpSessions.PowerShell.Tests;

/// <summary>
/// Regressions on a user's own repository, as a pwsh user meets them: New-AmpTestBaseline records the
/// session's tests on its base commit once, Get-AmpTestBaseline reads it back, and after an iteration
/// Get-AmpIteration and Get-AmpTimeline carry and show the classification, regressions first. The
/// repository's tests are a shell script printing TAP; the agent is a shell script that fixes one test
/// and breaks another.
/// </summary>
public sealed class TestBaselineCmdletTests : IDisposable
{
    private readonly HostedPowerShell host = new();

    public void Dispose() => host.Dispose();

    [Fact]
    public void A_baseline_is_recorded_once_and_each_iteration_is_shown_against_it_regressions_first()
    {
        var repo = host.NewRepository("own");
        File.WriteAllText(Path.Combine(repo, "a.txt"), "broken\n");
        File.WriteAllText(Path.Combine(repo, "b.txt"), "good\n");
        File.WriteAllText(Path.Combine(repo, "tests.sh"), """
            if grep -q fixed a.txt; then echo 'ok 1 - a'; else echo 'not ok 1 - a'; fi
            if grep -q good b.txt; then echo 'ok 2 - b'; else echo 'not ok 2 - b'; fi

            """);
        var agent = Path.Combine(host.Root, "agent.sh");
        File.WriteAllText(agent, """
            cat > /dev/null
            echo fixed > a.txt; echo bad > b.txt
            echo '{"type":"system","subtype":"init","cwd":".","session_id":"T-shell-agent","tools":[],"mcp_servers":[]}'
            echo '{"type":"result","subtype":"success","duration_ms":1,"is_error":false,"num_turns":1,"result":"Fixed a.","session_id":"T-shell-agent"}'

            """);
        host.Invoke("""
            $PSStyle.OutputRendering = 'PlainText'
            git -C $Repo add -A; git -C $Repo -c user.name=Ada -c user.email=ada@example.com commit --quiet -m 'Tests'
            $s = New-AmpSession -Name 'Own tests' -Prompt 'Fix a.' -RepoPath $Repo -Agent $Agent -ScriptCommand 'sh tests.sh' -DataPath $Data
            """, ("Repo", repo), ("Agent", $"exec:/bin/sh \"{agent}\""));

        var baseline = host.Invoke("$s | New-AmpTestBaseline -Confirm:$false -DataPath $Data").Single();
        var (_, again) = host.InvokeWithErrors("New-AmpTestBaseline -Id $s.Id -Confirm:$false -DataPath $Data");
        var (ran, _) = host.InvokeWithErrors("$s | Invoke-AmpIteration -DataPath $Data | ForEach-Object { $_.TestChanges.Summary }");
        var read = host.Invoke("($s | Get-AmpTestBaseline -DataPath $Data).Tests | ForEach-Object { '{0}={1}' -f $_.Name, $_.Outcome }");
        var changes = host.Invoke("(Get-AmpIteration -Id $s.Id -DataPath $Data).TestChanges.Tests | ForEach-Object { '{0}={1}' -f $_.Name, $_.Change }");
        var details = host.Render("Get-AmpIteration -Id $s.Id -DataPath $Data | Format-List -View Details", 120);
        var history = host.Render("Get-AmpTimeline -Id $s.Id -DataPath $Data | Format-Custom -View History", 120);
        var timeline = host.Render("Get-AmpTimeline -Id $s.Id -DataPath $Data", 80);

        Assert.Equal("AmpSessions.Core.Evaluation.TestBaseline", baseline.BaseObject.GetType().FullName);
        Assert.Equal("Tap", baseline.Properties["Method"].Value.ToString());
        Assert.Equal(1, (int)baseline.Properties["Failing"].Value);
        // Recorded once: a second time is refused, in the module's words.
        var refused = Assert.Single(again);
        Assert.StartsWith("AmpTestBaselineExists", refused.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("New-AmpTestBaseline", refused.Exception.Message, StringComparison.Ordinal);
        Assert.Contains("-Force", refused.Exception.Message, StringComparison.Ordinal);
        Assert.Equal(["a=Failed", "b=Passed"], read.Select(o => o.ToString()));
        Assert.Equal(["b=NewlyFailing", "a=Fixed"], changes.Select(o => o.ToString()));
        const string Summary = "1 newly failing (b), 0 still failing, 1 fixed, 0 added, 0 still passing";
        // The iteration Invoke-AmpIteration returns is classified too, as the CLI's iterate shows it.
        Assert.Equal(Summary, Assert.Single(ran).ToString());
        Assert.Matches(@"\nBaseline +: " + Regex.Escape(Summary), details);
        Assert.Contains("against the baseline: " + Summary, history, StringComparison.Ordinal);
        Assert.Matches(@"\sREGR\s", timeline);
    }
}
