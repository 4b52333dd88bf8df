using System.Management.Automation;
using AmpSessions.PowerShell.Tests.Hosting;

namespace AmpSessions.PowerShell.Tests;

/// <summary>
/// Failures a script can catch: an iteration whose agent failed is a non-terminating error with the
/// record as its target (and the record is still written), so -ErrorAction Stop and $? work; a
/// failing test script is not an error but shows in the default view.
/// </summary>
public sealed class ErrorModelTests : IDisposable
{
    private readonly HostedPowerShell host = new();
    private readonly string repo;

    public ErrorModelTests() => repo = host.NewRepository();

    public void Dispose() => host.Dispose();

    private string NewSession(string scenario, string? script = null) =>
        (string)host.Invoke("(New-AmpSession -Name $Scenario -Prompt 'In src/greet.ts rename function hello to greet.' -RepoPath $Repo -Agent $Agent -ScriptCommand $Script -DataPath $Data).Id",
            ("Scenario", scenario), ("Repo", repo), ("Script", script), ("Agent", $"amp:env FAKE_AMP_SCENARIO={scenario} '{TestEnvironment.FakeAgent}'")).Single().BaseObject;

    [Fact]
    public void A_failed_agent_is_a_non_terminating_error_whose_target_is_the_record_that_is_still_written()
    {
        var id = NewSession("agent-error");

        var (output, errors) = host.InvokeWithErrors("Invoke-AmpIteration -Id $Id -DataPath $Data -WarningVariable warnings; \"after: $?\"; $warnings", ("Id", id));

        var record = output.First();
        var warning = output.Last().ToString();
        Assert.StartsWith($"Iteration 1 of session {id} ended Failed: ", warning);
        Assert.False(warning.EndsWith("..", StringComparison.Ordinal), warning);
        Assert.Equal("Failed", record.Properties["Status"].Value.ToString());
        Assert.Equal("after: False", output[^2].ToString());
        var error = Assert.Single(errors);
        Assert.StartsWith("AmpIterationFailed,", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ResourceUnavailable, error.CategoryInfo.Category);
        Assert.Same(record.BaseObject, PSObject.AsPSObject(error.TargetObject).BaseObject);
        Assert.StartsWith($"Iteration 1 of session {id} ended Failed", error.ErrorDetails.Message);
        Assert.DoesNotContain("amp-sessions", error.ErrorDetails.Message);
    }

    [Fact]
    public void ErrorAction_Stop_turns_a_failed_iteration_into_an_exception_a_script_catches()
    {
        var id = NewSession("agent-error");

        var caught = host.Invoke("""
            try { Invoke-AmpIteration -Id $Id -DataPath $Data -ErrorAction Stop | Out-Null; 'not caught' }
            catch { "$($_.FullyQualifiedErrorId) $($_.TargetObject.Status)" }
            """, ("Id", id)).Single().ToString();

        Assert.Matches("^AmpIterationFailed,[A-Za-z.]+ Failed$", caught);
    }

    [Fact]
    public void A_failed_iteration_in_a_job_is_an_error_of_the_job()
    {
        var id = NewSession("agent-error");

        var result = host.Invoke("""
            $job = Invoke-AmpIteration -Id $Id -DataPath $Data -AsJob
            $null = $job | Wait-Job -Timeout 120
            $records = @($job | Receive-Job -ErrorVariable jobErrors -ErrorAction SilentlyContinue)
            "$($records[0].Status) $($jobErrors[0].FullyQualifiedErrorId) $($jobErrors[0].TargetObject.Number)"
            $job | Remove-Job
            """, ("Id", id)).Single().ToString();

        Assert.StartsWith("Failed AmpIterationFailed", result);
        Assert.EndsWith(" 1", result);
    }

    [Fact]
    public void A_failing_test_script_is_not_an_error_but_the_default_view_says_FAILED()
    {
        var id = NewSession("success-edit", "git grep -q 'function nosuch' -- src/greet.ts");

        var (output, errors) = host.InvokeWithErrors("Invoke-AmpIteration -Id $Id -DataPath $Data; \"after: $?\"", ("Id", id));
        var run = host.InvokeWithErrors("Invoke-AmpScript -Id $Id -DataPath $Data", ("Id", id));

        Assert.Empty(errors);
        Assert.Equal("after: True", output.Last().ToString());
        Assert.Equal(false, output.First().Properties["ScriptPassed"].Value);
        Assert.Matches(@"\n\s+1 Succeeded\s+[0-9a-f]{7}\s+\S+\s+FAILED\s", host.Render("Get-AmpIteration -Id $Id -DataPath $Data", 80, ("Id", id)));
        Assert.Empty(run.Errors);
        Assert.Equal("Failed", run.Output.Single().Properties["Status"].Value.ToString());
    }

    [Fact]
    public void A_timed_out_iteration_names_the_limit_that_was_set_and_says_how_to_give_it_longer()
    {
        var id = NewSession("hang");

        var (output, errors) = host.InvokeWithErrors("Invoke-AmpIteration -Id $Id -Timeout 00:00:02 -DataPath $Data", ("Id", id));

        Assert.Equal("TimedOut", output.Single().Properties["Status"].Value.ToString());
        var error = Assert.Single(errors);
        Assert.StartsWith("AmpIterationTimedOut,", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.OperationTimeout, error.CategoryInfo.Category);
        // The limit given, not the time it took to stop the agent ("within 2.3 seconds" before).
        Assert.Contains("did not finish within 2 seconds", error.ErrorDetails.Message);
        Assert.Equal($"Give it longer with Invoke-AmpIteration -Id {id} -Timeout '<seconds>', or set the session's limit with Set-AmpSession -Id {id} -Timeout '<seconds>'.",
            error.ErrorDetails.RecommendedAction);
    }
}
