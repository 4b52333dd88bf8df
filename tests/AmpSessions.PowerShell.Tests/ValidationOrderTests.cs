using AmpSessions.PowerShell.Tests.Hosting;

namespace AmpSessions.PowerShell.Tests;

/// <summary>What was asked is checked first, and asking for what is not there is an error, never silence.</summary>
public sealed class ValidationOrderTests : IDisposable
{
    private readonly HostedPowerShell host = new();
    private readonly string repo;
    private readonly string id;

    public ValidationOrderTests()
    {
        repo = host.NewRepository();
        id = (string)host.Invoke("(New-AmpSession -Name v -Prompt 'In src/greet.ts rename function hello to greet.' -RepoPath $Repo -Agent $FakeAgent -DataPath $Data).Id",
            ("Repo", repo)).Single().BaseObject;
    }

    public void Dispose() => host.Dispose();

    private string ErrorsOf(string script) =>
        string.Join("\n", host.InvokeWithErrors(script, ("Id", id)).Errors.Select(HostedPowerShell.Describe));

    [Fact]
    public void An_agent_program_that_does_not_exist_is_not_found_rather_than_not_logged_in()
    {
        var errors = ErrorsOf("Set-AmpSession -Id $Id -Agent 'amp:/no/such/amp' -DataPath $Data; Invoke-AmpIteration -Id $Id -DataPath $Data");

        Assert.Contains("'/no/such/amp' was not found", errors);
        Assert.Contains("-Agent", errors);
        Assert.DoesNotContain("logged in", errors, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_misspelt_Onto_is_no_such_branch_before_nothing_to_rebase()
    {
        var errors = ErrorsOf("Update-AmpSession -Id $Id -Onto nosuch -DataPath $Data");

        Assert.StartsWith("AmpOntoBranchNotFound,", errors);
        Assert.Contains("no branch 'nosuch'", errors);
    }

    [Fact]
    public void An_iteration_number_the_session_does_not_have_is_an_error()
    {
        host.Invoke("Invoke-AmpIteration -Id $Id -DataPath $Data | Out-Null", ("Id", id));

        var (output, errors) = host.InvokeWithErrors("Get-AmpIteration -Id $Id -Number 1, 99 -DataPath $Data", ("Id", id));

        Assert.Equal(1, Assert.Single(output).Properties["Number"].Value);
        var error = Assert.Single(errors);
        Assert.StartsWith("AmpIterationNotFound,", error.FullyQualifiedErrorId);
        Assert.Equal($"Session {id} has no iteration 99 (its iterations are 1 to 1): see them with Get-AmpIteration -Id {id}.", error.ErrorDetails.Message);
    }

    [Fact]
    public void Set_AmpSession_Timeout_takes_seconds_or_a_TimeSpan_like_Invoke_AmpIteration_and_0_clears_it()
    {
        Assert.Equal("00:10:00", host.Invoke("(Set-AmpSession -Id $Id -Timeout 600 -PassThru -DataPath $Data).Timeout.ToString()", ("Id", id)).Single().ToString());
        Assert.Equal("00:02:30", host.Invoke("(Set-AmpSession -Id $Id -Timeout 00:02:30 -PassThru -DataPath $Data).Timeout.ToString()", ("Id", id)).Single().ToString());
        Assert.Equal("00:00:45", host.Invoke("(Set-AmpSession -Id $Id -TimeoutSeconds 45 -PassThru -DataPath $Data).Timeout.ToString()", ("Id", id)).Single().ToString());
        Assert.Equal("cleared", host.Invoke("if ($null -eq (Set-AmpSession -Id $Id -Timeout 0 -PassThru -DataPath $Data).Timeout) { 'cleared' }", ("Id", id)).Single().ToString());
    }

    [Fact]
    public void Watch_replays_what_happened_before_it_started_with_the_time_it_happened()
    {
        var iteration = host.Invoke("Invoke-AmpIteration -Id $Id -DataPath $Data", ("Id", id)).Single();
        var ended = (DateTimeOffset)iteration.Properties["EndedAt"].Value;
        Thread.Sleep(1500);

        var events = host.Invoke("Watch-AmpSession -Id $Id -UntilIdle -DataPath $Data", ("Id", id));

        var iterationEvent = events.Single(e => e.BaseObject.GetType().Name == "IterationChangedEvent");
        Assert.Equal(ended, (DateTimeOffset)iterationEvent.Properties["Time"].Value);
        Assert.All(events, e => Assert.True((DateTimeOffset)e.Properties["Time"].Value <= ended.AddSeconds(1), $"{e.BaseObject} is stamped with the watch's time"));
    }
}
