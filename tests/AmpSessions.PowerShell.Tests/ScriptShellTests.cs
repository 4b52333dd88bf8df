using System.Management.Automation;
using AmpSessions.PowerShell.Tests.Hosting;
using PS = System.Management.Automation.PowerShell;

namespace AmpSessions.PowerShell.Tests;

/// <summary>-ScriptShell on New-AmpSession and Set-AmpSession: the shell that runs the test script, as the CLI's --shell.</summary>
[Trait("Platform", "Posix")]
public sealed class ScriptShellTests : IDisposable
{
    private readonly HostedPowerShell host = new();
    private readonly string repo;

    // bash-only syntax: dash (/bin/sh on Debian and Ubuntu, and on CI's Linux) fails it with "[[: not found".
    private const string BashOnlyScript = "[[ -f README.md && $(( 1 + 1 )) == 2 ]]";

    public ScriptShellTests() => repo = host.NewRepository();

    public void Dispose() => host.Dispose();

    [Fact]
    public void A_session_runs_its_test_script_in_the_shell_it_chose_and_an_empty_string_goes_back_to_the_platforms()
    {
        var id = (string)host.Invoke("(New-AmpSession -Name s -Prompt p -RepoPath $Repo -ScriptCommand $Script -ScriptShell BASH -Agent $FakeAgent -DataPath $Data).Id",
            ("Repo", repo), ("Script", BashOnlyScript)).Single().BaseObject;

        Assert.Equal("bash", host.Invoke("(Get-AmpSession -Id $Id -DataPath $Data).ScriptShell", ("Id", id)).Single().ToString());
        Assert.Equal("Passed", host.Invoke("(Invoke-AmpScript -Id $Id -DataPath $Data).Status", ("Id", id)).Single().ToString());
        Assert.Contains("ScriptShell          : bash", host.Render("Get-AmpSession -Id $Id -DataPath $Data | Format-List -View Details", 120, ("Id", id)));

        var cleared = host.Invoke("Set-AmpSession -Id $Id -ScriptShell '' -PassThru -DataPath $Data", ("Id", id)).Single();

        Assert.Null(cleared.Properties["ScriptShell"].Value);
        if (!OperatingSystem.IsWindows() && File.ResolveLinkTarget("/bin/sh", returnFinalTarget: true)?.Name is "dash")
        {
            Assert.Equal("Failed", host.Invoke("(Invoke-AmpScript -Id $Id -DataPath $Data).Status", ("Id", id)).Single().ToString());
        }
        Assert.Equal("bash", host.Invoke("(Set-AmpSession -Id $Id -ScriptShell bash -PassThru -DataPath $Data).ScriptShell", ("Id", id)).Single().ToString());
    }

    [Fact]
    public void A_shell_it_does_not_know_is_refused_at_binding_and_nothing_is_made()
    {
        var (_, errors) = host.InvokeWithErrors("New-AmpSession -Name s -Prompt p -RepoPath $Repo -ScriptShell zsh -DataPath $Data", ("Repo", repo));

        var error = Assert.Single(errors);
        Assert.StartsWith("ParameterArgumentValidationError,", error.FullyQualifiedErrorId);
        Assert.Contains("'zsh' is not a shell AmpSessions runs scripts with: choose one of sh, bash, pwsh, cmd", error.Exception.Message);
        Assert.Empty(host.Invoke("Get-AmpSession -DataPath $Data"));
        Assert.DoesNotContain("amp/s/", GitRepository.Git(repo, "branch", "--list"));
    }

    [Theory]
    [InlineData("New-AmpSession -Name s -ScriptShell ", new[] { "sh", "bash", "pwsh", "cmd" })]
    [InlineData("Set-AmpSession -Id x -ScriptShell p", new[] { "pwsh" })]
    [InlineData("Set-AmpSession -Id x -ScriptShell 'b", new[] { "bash" })]
    public void ScriptShell_completes_the_shells(string line, string[] expected)
    {
        using var shell = PS.Create();
        shell.Runspace = host.Runspace;

        var matches = CommandCompletion.CompleteInput(line, line.Length, null, shell).CompletionMatches.Select(m => m.CompletionText.Trim('\''));

        Assert.Equal(expected, matches);
    }
}
