using System.Management.Automation;
using AmpSessions.PowerShell.Tests.Hosting;

namespace AmpSessions.PowerShell.Tests;

/// <summary>
/// A PowerShell user is told what to do in PowerShell's words: the cmdlet and its -Parameter, never the
/// CLI's command (<c>amp-sessions set</c>) or option (<c>--script</c>), in every text of the error a
/// script or a person reads: $_.Exception.Message, ErrorDetails.Message, RecommendedAction and the
/// record as PowerShell prints it.
/// </summary>
public sealed class ErrorWordingTests(ErrorWordingTests.Host fixture) : IClassFixture<ErrorWordingTests.Host>
{
    /// <summary>One runspace and repository for all the cases (importing the module is the slow part); each case makes its own session.</summary>
    public sealed class Host : IDisposable
    {
        public HostedPowerShell Shell { get; } = new();

        public string Repo { get; }

        public Host() => Repo = Shell.NewRepository();

        public void Dispose() => Shell.Dispose();
    }

    private readonly HostedPowerShell host = fixture.Shell;
    private readonly string repo = fixture.Repo;

    public static TheoryData<string, string, string, string> MainErrors() => new()
    {
        // case, script, error id, the PowerShell words the remedy must use
        { "no such session", "Get-AmpSessionState -Id nosuch -DataPath $Data", "AmpSessionNotFound", "Get-AmpSession" },
        { "ambiguous name", "New-AmpSession -Name 'Twice' -Prompt p -RepoPath $Repo -DataPath $Data | Out-Null; New-AmpSession -Name 'Twice' -Prompt p -RepoPath $Repo -DataPath $Data | Out-Null; Get-AmpSessionState -Id 'Twice' -DataPath $Data", "AmpSessionAmbiguous", "more of the id" },
        { "no test script", "Invoke-AmpScript -Id $Id -DataPath $Data", "AmpNoScript", "-ScriptCommand" },
        { "unknown base branch", "New-AmpSession -Name b -Prompt p -RepoPath $Repo -BaseBranch nosuch -DataPath $Data", "AmpBaseBranchNotFound", "-BaseBranch" },
        { "blank name", "New-AmpSession -Name '   ' -Prompt p -RepoPath $Repo -DataPath $Data", "AmpSessionNameEmpty", "-Name" },
        { "agent not found", "Set-AmpSession -Id $Id -Agent 'amp:/no/such/amp' -DataPath $Data; Invoke-AmpIteration -Id $Id -DataPath $Data", "", "-Agent" },
        { "unknown Onto branch", "Update-AmpSession -Id $Id -Onto nosuch -DataPath $Data", "AmpOntoBranchNotFound", "no branch 'nosuch'" },
        { "agent timed out", "Set-AmpSession -Id $Id -Agent \"amp:env FAKE_AMP_SCENARIO=hang '$FakeAgentPath'\" -DataPath $Data; Invoke-AmpIteration -Id $Id -Timeout 1 -DataPath $Data | Out-Null", "AmpIterationTimedOut", "Set-AmpSession -Id" },
        { "structured configuration key", "Set-AmpConfig -Key presets.strict.permissions -Value x -DataPath $Data", "AmpConfigKeyNotSettable", "Get-AmpConfig" },
        { "batch file with problems", "Set-Content -Path $Root/bad.yaml -Value \"version: 1`nnosuch: 1`nother: 2`n\"; Start-AmpBatch -Path $Root/bad.yaml -DataPath $Data", "AmpBatchFileInvalid", "Test-AmpBatch -Path" },
        { "editor not found", "Set-AmpSession -Id $Id -Environment production -DataPath $Data; Open-AmpSession -Id $Id -Editor no-such-editor-4711 -DataPath $Data", "AmpEditorNotFound", "-Editor" },
        { "unsaved work on cleanup", "Set-Content -Path (Join-Path (Get-AmpSession -Id $Id -DataPath $Data).WorktreePath 'new.txt') -Value x; Remove-AmpSession -Id $Id -Confirm:$false -DataPath $Data", "", "-Force" },
    };

    [Theory]
    [MemberData(nameof(MainErrors))]
    public void An_error_names_cmdlets_and_parameters_never_the_CLIs_commands_or_options(string scenario, string script, string errorId, string powerShellWords)
    {
        var id = (string)host.Invoke("(New-AmpSession -Name $Name -Prompt 'In src/greet.ts rename function hello to greet.' -RepoPath $Repo -Agent $FakeAgent -DataPath $Data).Id",
            ("Repo", repo), ("Name", "Wording " + scenario)).Single().BaseObject;

        var (_, errors) = host.InvokeWithErrors(script, ("Id", id), ("Repo", repo), ("FakeAgentPath", TestEnvironment.FakeAgent));

        Assert.True(errors.Count > 0, $"{scenario}: no error");
        var error = errors.FirstOrDefault(e => errorId.Length == 0 || e.FullyQualifiedErrorId.StartsWith(errorId + ",", StringComparison.Ordinal))
            ?? throw new Xunit.Sdk.XunitException($"{scenario}: no {errorId} among {string.Join("; ", errors.Select(HostedPowerShell.Describe))}");
        var texts = new[] { error.Exception.Message, error.ErrorDetails?.Message ?? "", error.ErrorDetails?.RecommendedAction ?? "", error.ToString() };
        var all = string.Join("\n", texts);
        Assert.Contains(powerShellWords, all);
        foreach (var text in texts)
        {
            Assert.DoesNotContain("amp-sessions ", text);
            Assert.DoesNotMatch(@"(^|[\s`(])--[a-z]", text);
        }
        // The exception itself says the same as the record: a script that logs $_.Exception.Message misses nothing.
        Assert.Equal(error.ErrorDetails?.Message ?? error.Exception.Message, error.Exception.Message);
    }
}
