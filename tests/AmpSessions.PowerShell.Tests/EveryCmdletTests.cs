using System.Management.Automation;
using AmpSessions.PowerShell.Tests.Hosting;

namespace AmpSessions.PowerShell.Tests;

/// <summary>
/// Every cmdlet the staged module exports, run at least once the way a user runs it: on a real git
/// repository, with the fake agent, in one real runspace. The list of cases is checked against
/// Get-Command -Module AmpSessions, so a new cmdlet without a case here fails
/// <see cref="Every_exported_cmdlet_has_a_case"/>. Each case must write objects of the cmdlet's declared
/// OutputType, without an error, that the module's default views render within 80 columns.
/// </summary>
public sealed class EveryCmdletTests(EveryCmdletTests.Tour tour) : IClassFixture<EveryCmdletTests.Tour>
{
    /// <summary>
    /// One runspace, repository and data directory for all the cases, with helpers that make what a
    /// case needs: <c>New-TourSession</c>, an iterated session ($Iterated), and a batch and an attempt
    /// group made once, when a case first asks for them.
    /// </summary>
    public sealed class Tour : IDisposable
    {
        public HostedPowerShell Shell { get; } = new();

        public Tour()
        {
            var repo = Shell.NewRepository("web-app");
            Shell.NewRepository("detector");
            Shell.Invoke("""
                $PSStyle.OutputRendering = 'PlainText'
                function New-TourSession([string] $Name, [string] $Scenario, [string] $Script, [string] $Repository = $Repo, [string] $Environment) {
                    $agent = if ($Scenario) { "amp:env FAKE_AMP_SCENARIO=$Scenario '$FakeAgentPath'" } else { $FakeAgent }
                    $extra = @{}
                    if ($Script) { $extra.ScriptCommand = $Script }
                    if ($Environment) { $extra.Environment = $Environment }
                    New-AmpSession -Name $Name -Prompt 'In src/greet.ts rename function hello to greet.' -RepoPath $Repository -Agent $agent -DataPath $Data @extra
                }
                function New-TwoCommitSession([string] $Name) {
                    $session = New-TourSession $Name
                    Invoke-AmpIteration -Id $session.Id -DataPath $Data | Out-Null
                    Set-Content -LiteralPath (Join-Path $session.WorktreePath 'notes.txt') -Value 'by hand'
                    Checkpoint-AmpSession -Id $session.Id -Message 'Notes by hand' -DataPath $Data | Out-Null
                    $session
                }
                function Get-TourInstances {
                    if (-not $script:TourInstances) {
                        $folder = Join-Path $Root 'benchmark'
                        $context = [AmpSessions.Core.AmpContext]::Open($Data)
                        $null = [AmpSessions.Core.Evaluation.BuiltInBenchmark]::new($context).CreateAsync($folder, [System.Threading.CancellationToken]::None).GetAwaiter().GetResult()
                        $script:TourInstances = Join-Path $folder 'one.jsonl' # beside the original, so repo_path still resolves
                        Get-Content -LiteralPath (Join-Path $folder 'instances.jsonl') -TotalCount 1 | Set-Content -LiteralPath $script:TourInstances
                    }
                    $script:TourInstances
                }
                function Get-TourEvaluation {
                    if (-not $script:TourEvaluation) {
                        $script:TourEvaluation = Start-AmpEvaluation -Path (Get-TourInstances) -Agent gold, null -DataPath $Data -ProgressAction SilentlyContinue
                    }
                    $script:TourEvaluation
                }
                function Get-TourBatch {
                    if (-not $script:TourBatch) {
                        $script:TourBatch = Start-AmpBatch -Path (New-TourBatchFile 'tour' '') -DataPath $Data -ProgressAction SilentlyContinue
                    }
                    $script:TourBatch
                }
                function New-TourBatchFile([string] $Name, [string] $AgentEnvironment) {
                    $path = Join-Path $Root "$Name.yaml"
                    @(
                        'version: 3'
                        "metadata: { name: $Name }"
                        'agents:'
                        "  - id: fake"
                        "    command: ['$($FakeAgentPath.Replace("'", "''"))']"
                        $AgentEnvironment
                        'tasks:'
                        '  - id: rename'
                        '    type: batch'
                        '    prompts: ["In src/greet.ts rename function hello to greet."]'
                        '    repositories: ["./web-app"]'
                        '    script_command: "git status"'
                    ) -join "`n" | Set-Content -LiteralPath $path -NoNewline
                    $path
                }
                function Get-TourAttempts {
                    if (-not $script:TourAttempts) {
                        $script:TourAttempts = @(New-AmpSession -Name 'Best of two' -Prompt 'In src/greet.ts rename function hello to greet.' -RepoPath $Repo -Agent $FakeAgent -ScriptCommand 'git status' -Attempts 2 -DataPath $Data)
                    }
                    $script:TourAttempts
                }
                $Iterated = New-TourSession 'Iterated once'
                Invoke-AmpIteration -Id $Iterated.Id -DataPath $Data | Out-Null
                """, ("Repo", repo), ("FakeAgentPath", TestEnvironment.FakeAgent));
        }

        public void Dispose()
        {
            Shell.InvokeWithErrors("Get-Job | Remove-Job -Force");
            Shell.Dispose();
        }
    }

    /// <summary>A script per cmdlet; its last pipeline's output is what the cmdlet wrote.</summary>
    private static readonly IReadOnlyDictionary<string, string> Cases = new Dictionary<string, string>
    {
        ["New-AmpSession"] = "New-TourSession 'Made by New-AmpSession'",
        ["Get-AmpSession"] = "Get-AmpSession -Id $Iterated.Id -DataPath $Data",
        ["Get-AmpSessionState"] = "$Iterated | Get-AmpSessionState -DataPath $Data",
        ["Set-AmpSession"] = "$s = New-TourSession 'Set'; Set-AmpSession -Id $s.Id -Notes 'Keep the API' -ScriptCommand 'git status' -ScriptShell bash -Timeout 600 -PassThru -DataPath $Data",
        ["Remove-AmpSession"] = "$s = New-TourSession 'Remove'; Remove-AmpSession -Id $s.Id -Confirm:$false -PassThru -DataPath $Data",
        ["Repair-AmpSession"] = "$s = New-TourSession 'Repair'; Remove-Item -LiteralPath $s.WorktreePath -Recurse -Force; Repair-AmpSession -RepoPath $Repo -DataPath $Data",
        ["Compare-AmpSession"] = "$Iterated | Compare-AmpSession -DataPath $Data",
        ["Checkpoint-AmpSession"] = "$s = New-TourSession 'Checkpoint'; Set-Content -LiteralPath (Join-Path $s.WorktreePath 'manual.txt') -Value x; Checkpoint-AmpSession -Id $s.Id -Message 'A manual edit' -DataPath $Data",
        // The production environment: CI (CI=true) refuses editors. git --version starts and ends at once.
        ["Open-AmpSession"] = "$s = New-TourSession 'Open' -Environment production; Open-AmpSession -Id $s.Id -Editor 'git --version' -PassThru -DataPath $Data",
        ["Get-AmpSessionBackup"] = "$s = New-TwoCommitSession 'Backups'; Compress-AmpSession -Id $s.Id -Confirm:$false -DataPath $Data | Out-Null; Get-AmpSessionBackup -Id $s.Id -DataPath $Data",
        ["Invoke-AmpIteration"] = "$s = New-TourSession 'Iterate' -Script 'git status'; Invoke-AmpIteration -Id $s.Id -Notes 'first turn' -DataPath $Data",
        ["Get-AmpIteration"] = "$Iterated | Get-AmpIteration -DataPath $Data",
        ["Invoke-AmpScript"] = "$s = New-TourSession 'Script' -Script 'git status'; Invoke-AmpScript -Id $s.Id -DataPath $Data",
        ["Get-AmpTimeline"] = "$Iterated | Get-AmpTimeline -DataPath $Data",
        ["New-AmpTestBaseline"] = "$s = New-TourSession 'Baseline' -Script 'echo ok 1 - greet'; $s | New-AmpTestBaseline -Confirm:$false -DataPath $Data",
        ["Get-AmpTestBaseline"] = "$s = New-TourSession 'Baseline read' -Script 'echo not ok 1 - greet'; New-AmpTestBaseline -Id $s.Id -Confirm:$false -DataPath $Data | Out-Null; $s | Get-AmpTestBaseline -DataPath $Data",
        ["Watch-AmpSession"] = "Watch-AmpSession -Id $Iterated.Id -UntilIdle -DataPath $Data",
        ["Compress-AmpSession"] = "$s = New-TwoCommitSession 'Squash'; Compress-AmpSession -Id $s.Id -Message 'Rename greet' -Confirm:$false -DataPath $Data",
        ["Update-AmpSession"] = """
            $s = New-TourSession 'Rebase'; Invoke-AmpIteration -Id $s.Id -DataPath $Data | Out-Null
            Set-Content -LiteralPath (Join-Path $Repo 'CHANGELOG.md') -Value 'base moved'
            git -C $Repo add CHANGELOG.md; git -C $Repo -c user.name=Base -c user.email=base@example.com commit --quiet -m 'Base moves on'
            Update-AmpSession -Id $s.Id -Confirm:$false -DataPath $Data
            """,
        ["Merge-AmpSession"] = "$s = New-TourSession 'Merge' -Repository (Join-Path $Root 'detector'); Invoke-AmpIteration -Id $s.Id -DataPath $Data | Out-Null; Merge-AmpSession -Id $s.Id -Confirm:$false -DataPath $Data",
        ["Export-AmpPatch"] = "Export-AmpPatch -Id $Iterated.Id -OutputPath (Join-Path $Root 'patches') -DataPath $Data",
        ["Restore-AmpSession"] = "$s = New-TwoCommitSession 'Restore'; Compress-AmpSession -Id $s.Id -Confirm:$false -DataPath $Data | Out-Null; Restore-AmpSession -Id $s.Id -Confirm:$false -DataPath $Data",
        ["New-AmpTemplate"] = "New-AmpTemplate -Name 'tour-new' -Prompt 'Add tests' -RepoPath $Repo -ScriptCommand 'git status' -DataPath $Data",
        ["Get-AmpTemplate"] = "New-AmpTemplate -Name 'tour-get' -Prompt 'Add tests' -DataPath $Data | Out-Null; Get-AmpTemplate -Name 'tour-get' -DataPath $Data",
        ["Remove-AmpTemplate"] = "New-AmpTemplate -Name 'tour-remove' -Prompt 'Add tests' -DataPath $Data | Out-Null; Remove-AmpTemplate -Name 'tour-remove' -Confirm:$false -PassThru -DataPath $Data",
        ["Test-AmpBatch"] = "Test-AmpBatch -Path (New-TourBatchFile 'tour-check' '') -DataPath $Data",
        ["Start-AmpBatch"] = "Get-TourBatch",
        ["Get-AmpBatch"] = "Get-AmpBatch -Id (Get-TourBatch).BatchId -DataPath $Data",
        ["Stop-AmpBatch"] = """
            $job = Start-AmpBatch -Path (New-TourBatchFile 'tour-slow' "    env: { FAKE_AMP_DURATION_MS: '60000' }") -AsJob -DataPath $Data
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            while (-not (Get-AmpBatch -DataPath $Data | Where-Object { $_.Summary.Batch.Name -eq 'tour-slow' -and "$($_.Summary.Status)" -eq 'Running' -and @($_.Items | Where-Object { "$($_.Status)" -eq 'Running' }).Count }) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 200 }
            Stop-AmpBatch -Id 'tour-slow' -Confirm:$false -DataPath $Data
            $job | Wait-Job -Timeout 60 | Remove-Job -Force
            """,
        ["Resume-AmpBatch"] = "Resume-AmpBatch -Id (Get-TourBatch).BatchId -DataPath $Data -ProgressAction SilentlyContinue",
        ["Merge-AmpBatchJournal"] = "Merge-AmpBatchJournal -Path (Get-TourBatch).JournalPath -OutputPath (Join-Path $Root 'merged.jsonl') -DataPath $Data",
        ["Export-AmpReport"] = "Get-AmpBatch -Id (Get-TourBatch).BatchId -DataPath $Data | Export-AmpReport -Format Csv -OutputPath (Join-Path $Root 'report.csv') -DataPath $Data",
        ["Get-AmpConfig"] = "Get-AmpConfig -RepoPath $Repo -DataPath $Data",
        ["Set-AmpConfig"] = "Set-AmpConfig -Key ports -Value 4 -PassThru -DataPath $Data",
        ["Get-AmpEvent"] = "Get-AmpEvent -SessionId $Iterated.Id -DataPath $Data",
        ["Get-AmpAttempt"] = "Get-TourAttempts | Get-AmpAttempt -DataPath $Data",
        ["Select-AmpAttempt"] = "Select-AmpAttempt -Id (Get-TourAttempts)[0].AttemptGroup -Confirm:$false -DataPath $Data",
        // The agent writes into the main checkout (no tool call: the detector, not the guard, sees it).
        ["Unblock-AmpSession"] = """
            $scenario = Join-Path $Root 'escape.json'
            '{ "steps": [ { "writeFile": { "path": "../../INTO_MAIN.txt", "content": "agent" } }, { "success": "done" } ] }' | Set-Content -LiteralPath $scenario
            $s = New-TourSession 'Escape' -Scenario "script:$scenario" -Repository (Join-Path $Root 'detector')
            Invoke-AmpIteration -Id $s.Id -DataPath $Data | Out-Null
            if ("$((Get-AmpSession -Id $s.Id -DataPath $Data).Status)" -ne 'Blocked') { throw 'the session is not Blocked' }
            Unblock-AmpSession -Id $s.Id -Confirm:$false -DataPath $Data
            """,
        ["Get-AmpRunEnvironment"] = "$Iterated | Get-AmpRunEnvironment -DataPath $Data",
        ["Get-AmpSlashCommand"] = "Get-AmpSlashCommand -RepoPath $Repo -DataPath $Data",
        // The built-in benchmark cut to one instance, written by the staged core; gold and null need no agent program.
        ["Test-AmpEvaluation"] = "Test-AmpEvaluation -Path (Get-TourInstances) -DataPath $Data",
        ["Start-AmpEvaluation"] = "Get-TourEvaluation",
        ["Compare-AmpEvaluation"] = "Get-TourEvaluation | Compare-AmpEvaluation -Agent gold, null -DataPath $Data",
        ["Export-AmpPrediction"] = "Get-TourEvaluation | Export-AmpPrediction -Agent gold -OutputPath (Join-Path $Root 'predictions.jsonl') -ModelName tour/gold -DataPath $Data",
    };

    public static TheoryData<string> CmdletNames() => new(Cases.Keys);

    [Fact]
    public void Every_exported_cmdlet_has_a_case()
    {
        var exported = tour.Shell.Invoke("(Get-Command -Module AmpSessions -CommandType Cmdlet).Name").Select(o => o.ToString()).Order().ToArray();

        Assert.Equal(exported, Cases.Keys.Order().ToArray());
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void Each_cmdlet_runs_on_a_real_repository_with_the_fake_agent(string cmdlet)
    {
        var output = tour.Shell.Invoke(Cases[cmdlet]);

        Assert.NotEmpty(output);
        var declared = tour.Shell.Invoke("(Get-Command $Name).OutputType.Type", ("Name", cmdlet)).Select(o => (Type)o.BaseObject).ToArray();
        Assert.All(output, item => Assert.True(declared.Any(type => type.IsInstanceOfType(item.BaseObject)),
            $"{cmdlet} wrote a {item.BaseObject.GetType().FullName}, not one of its OutputType ({string.Join(", ", declared.Select(t => t.FullName))})"));
        var text = tour.Shell.Render("$Output", 80, ("Output", output.Select(o => o.BaseObject).ToArray()));
        Assert.All(text.Split('\n'), line => Assert.True(line.TrimEnd().Length <= 80, $"{cmdlet}: a line is {line.TrimEnd().Length} wide: '{line}'"));
        Assert.DoesNotContain("AmpSessions.Core.", text);
        Assert.DoesNotContain("System.", text);
    }
}
