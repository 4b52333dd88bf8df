#Requires -Version 7.4
# Pester 5 tests of the module's orchestration features on the staged module: engine events and the
# event log, the merge queue, best-of-N attempts, and a session blocked by the main-checkout detector.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ManifestPath -Force -ErrorAction Stop

    $script:Temp = Join-Path ([System.IO.Path]::GetTempPath()) ("amp-pester-orch-" + [guid]::NewGuid().ToString('N'))
    $script:Data = Join-Path $Temp 'data'
    New-Item -ItemType Directory -Path $Temp -Force | Out-Null
    $script:Agent = "amp:'$(Get-FakeAgent)'"
    $script:Saved = @{ Notifications = $env:AMP_SESSIONS_NOTIFICATIONS; Scenario = $env:FAKE_AMP_SCENARIO }
    $env:AMP_SESSIONS_NOTIFICATIONS = '0'

    # A fake-agent scenario file; the agent inherits FAKE_AMP_SCENARIO from this process.
    function script:Use-Scenario {
        param([string] $Name, [object[]] $Steps)
        $path = Join-Path $Temp "$Name.json"
        @{ steps = $Steps + @(@{ success = 'done' }) } | ConvertTo-Json -Depth 10 | Set-Content -LiteralPath $path
        $env:FAKE_AMP_SCENARIO = "script:$path"
    }
}

AfterAll {
    Get-EventSubscriber | Where-Object SourceIdentifier -like 'AmpSessions.*' | Unregister-Event
    $env:AMP_SESSIONS_NOTIFICATIONS = $Saved.Notifications
    $env:FAKE_AMP_SCENARIO = $Saved.Scenario
    Remove-Item -LiteralPath $Temp -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Events' -Tag CI {
    It 'raises engine events for what this process does, and records them for Get-AmpEvent' {
        $repo = Join-Path $Temp 'events'
        New-TestRepository -Path $repo
        $global:AmpSeen = [System.Collections.Generic.List[object]]::new()
        foreach ($type in 'SessionCreated', 'StatusChanged', 'IterationFinished') {
            Register-EngineEvent -SourceIdentifier "AmpSessions.$type" -Action { $global:AmpSeen.Add($Event) } | Out-Null
        }
        Use-Scenario 'events' @(@{ writeFile = @{ path = 'events.txt'; content = 'x' } })

        $session = New-AmpSession -Name 'Events' -Prompt 'write events.txt' -RepoPath $repo -Agent $Agent -DataPath $Data
        Invoke-AmpIteration -Id $session.Id -DataPath $Data | Out-Null
        # Actions run on the pipeline thread between commands.
        Start-Sleep -Milliseconds 200

        $mine = @($global:AmpSeen | Where-Object { $_.SourceArgs[0].SessionId -eq $session.Id })
        $mine.SourceIdentifier | Should -Contain 'AmpSessions.SessionCreated'
        $mine.SourceIdentifier | Should -Contain 'AmpSessions.StatusChanged'
        $mine.SourceIdentifier | Should -Contain 'AmpSessions.IterationFinished'
        ($mine | Where-Object SourceIdentifier -eq 'AmpSessions.IterationFinished').SourceArgs[0].Data['status'].GetValue[string]() | Should -Be 'Succeeded'
        $mine[0].Sender | Should -Be (Resolve-Path $Data).Path

        $logged = @(Get-AmpEvent -SessionId $session.Id -DataPath $Data)
        $logged.Type | Should -Contain 'SessionCreated'
        $logged.Type | Should -Contain 'IterationFinished'
        @(Get-AmpEvent -After $logged[-1].Id -DataPath $Data) | Should -BeNullOrEmpty
        $logged | Out-String -Width 80 -Stream | Where-Object { $_.Length -gt 80 } | Should -BeNullOrEmpty
        (Get-CommandError { Get-AmpEvent -Type NoSuchType -DataPath $Data }).FullyQualifiedErrorId | Should -Be 'AmpUsageEventTypeUnknown,AmpSessions.Module.Commands.GetAmpEventCommand'
    }
}

Describe 'Merge queue, attempts and the main-checkout detector' -Tag CI {
    It 'lands what does not conflict with Merge-AmpSession -Queue and reports the rest as errors' {
        $repo = Join-Path $Temp 'queue'
        New-TestRepository -Path $repo
        $env:FAKE_AMP_SCENARIO = $null
        $a = New-AmpSession -Name 'A' -Prompt 'a' -RepoPath $repo -Agent $Agent -DataPath $Data
        $b = New-AmpSession -Name 'B' -Prompt 'b' -RepoPath $repo -Agent $Agent -DataPath $Data
        Set-Content -LiteralPath (Join-Path $a.WorktreePath 'README.md') -Value "# A`nmore`nlines"
        Set-Content -LiteralPath (Join-Path $b.WorktreePath 'README.md') -Value '# B'
        Checkpoint-AmpSession -Id $a.Id -Message 'A' -DataPath $Data | Out-Null
        Checkpoint-AmpSession -Id $b.Id -Message 'B' -DataPath $Data | Out-Null

        $merged = @($a, $b | Merge-AmpSession -Queue -Confirm:$false -DataPath $Data -ErrorVariable leftOut -ErrorAction SilentlyContinue)

        $merged.Count | Should -Be 1
        $merged[0].Session.Id | Should -Be $a.Id
        $leftOut.Count | Should -Be 1
        $leftOut[0].FullyQualifiedErrorId | Should -Be 'AmpQueueSkipped,AmpSessions.Module.Commands.MergeAmpSessionCommand'
        $leftOut[0].TargetObject | Should -Be $b.Id
        $leftOut[0].Exception.Message | Should -BeLike "*would conflict with $($a.Id) in README.md*"
        (Invoke-Git $repo rev-list --merges main) | Should -BeNullOrEmpty
    }

    It 'makes best-of-N attempts with New-AmpSession -Attempts, compares them and keeps one with Select-AmpAttempt' {
        $repo = Join-Path $Temp 'attempts'
        New-TestRepository -Path $repo
        Use-Scenario 'attempt' @(@{ writeFile = @{ path = 'ok.txt'; content = 'ok' } })

        $attempts = @(New-AmpSession -Name 'Best' -Prompt 'write ok.txt' -RepoPath $repo -Agent $Agent -ScriptCommand 'git ls-files --error-unmatch ok.txt' -Attempts 2 -DataPath $Data -InformationVariable said)

        $attempts.Count | Should -Be 2
        $attempts.AttemptGroup | Select-Object -Unique | Should -HaveCount 1
        $said.MessageData | Should -Match 'proposed'
        $comparison = $attempts | Get-AmpAttempt -DataPath $Data
        @($comparison).Count | Should -Be 1
        $comparison.Attempts.TestsPassed | Should -Be @($true, $true)
        $comparison.ProposedId | Should -BeIn $attempts.Id
        $comparison | Out-String -Width 80 -Stream | Where-Object { $_.Length -gt 80 } | Should -BeNullOrEmpty

        $kept = Select-AmpAttempt -Id $comparison.Group -Confirm:$false -DataPath $Data

        $kept.KeptId | Should -Be $comparison.ProposedId
        $other = $attempts | Where-Object Id -ne $kept.KeptId
        (Get-AmpSession -Id $other.Id -DataPath $Data).Status | Should -Be 'Archived'
        @(Get-AmpSessionBackup -Id $other.Id -DataPath $Data).Count | Should -BeGreaterThan 0
    }

    It 'blocks a session whose agent wrote into the main checkout until Unblock-AmpSession' {
        $repo = Join-Path $Temp 'detector'
        New-TestRepository -Path $repo
        # The guard would deny the write; the detector is what this test is about.
        Set-Content -LiteralPath (Join-Path $repo '.amp-sessions.yaml') -Value 'guard: false'
        Invoke-Git $repo add --all | Out-Null
        Invoke-Git $repo commit --quiet -m 'no guard' | Out-Null
        Use-Scenario 'escape' @(@{ toolUse = @{ name = 'create_file'; input = @{ path = '../../INTO_MAIN.txt'; content = 'agent' } } })
        $session = New-AmpSession -Name 'Escape' -Prompt 'x' -RepoPath $repo -Agent $Agent -DataPath $Data

        $iteration = Invoke-AmpIteration -Id $session.Id -DataPath $Data

        $iteration.MainCheckoutTouched | Should -Be @('INTO_MAIN.txt')
        (Get-AmpSession -Id $session.Id -DataPath $Data).Status | Should -Be 'Blocked'
        $blocked = Get-CommandError { Merge-AmpSession -Id $session.Id -Confirm:$false -DataPath $Data }
        $blocked.FullyQualifiedErrorId | Should -Be 'AmpSessionBlocked,AmpSessions.Module.Commands.MergeAmpSessionCommand'
        $blocked.ErrorDetails.RecommendedAction | Should -Match "Unblock-AmpSession -Id $($session.Id)"

        $result = Unblock-AmpSession -Id $session.Id -Confirm:$false -DataPath $Data

        $result.Session.Status | Should -Be 'Idle'
        $result | Out-String -Width 80 | Should -Match 'INTO_MAIN.txt'
    }
}

Describe 'Budgets' -Tag CI {
    It 'stops a session at its token budget and lets Set-AmpSession raise or remove it' {
        $repo = Join-Path $Temp 'budget'
        New-TestRepository -Path $repo
        Use-Scenario 'spend' @(
            @{ text = 'working'; usage = @{ input_tokens = 300; output_tokens = 100 } },
            @{ writeFile = @{ path = 'partial.txt'; content = 'x' } },
            @{ text = 'more'; usage = @{ input_tokens = 300; output_tokens = 100 } },
            @{ sleepMs = 20000 })
        $session = New-AmpSession -Name 'Budgeted' -Prompt 'spend' -RepoPath $repo -Agent $Agent -BudgetTokens 500 -DataPath $Data

        $iteration = Invoke-AmpIteration -Id $session.Id -DataPath $Data -WarningAction SilentlyContinue -ErrorAction SilentlyContinue -ErrorVariable stopped

        $stopped.FullyQualifiedErrorId | Should -Be 'AmpBudgetExceeded,AmpSessions.Module.Commands.InvokeAmpIterationCommand'
        $stopped.ErrorDetails.RecommendedAction | Should -Match "Set-AmpSession -Id $($session.Id) -BudgetTokens"
        $iteration.Status | Should -Be 'BudgetExceeded'
        $iteration.ChangedFiles | Should -Be @('partial.txt')
        $state = Get-AmpSessionState -Id $session.Id -DataPath $Data
        $state.Session.Status | Should -Be 'BudgetExceeded'
        $state.BudgetSpent.Tokens | Should -Be 800
        $state | Out-String -Width 80 | Should -Match 'Budget\s+: 500 tokens \(spent 800 tokens with cache, 1 iteration, '
        (Get-CommandError { Invoke-AmpIteration -Id $session.Id -DataPath $Data }).ErrorDetails.RecommendedAction | Should -Match "Set-AmpSession -Id $($session.Id) -BudgetTokens"

        (Set-AmpSession -Id $session.Id -BudgetTokens 0 -PassThru -DataPath $Data).Status | Should -Be 'Idle'
    }
}

Describe 'The guard from the module' -Tag CI {
    It 'denies an edit outside the worktree through a delegate the module provides itself (no CLI on PATH)' {
        $repo = Join-Path $Temp 'guard'
        New-TestRepository -Path $repo
        Use-Scenario 'escape' @(@{ toolUse = @{ name = 'create_file'; input = @{ path = '../../INTO_MAIN.txt'; content = 'agent' } } })
        $session = New-AmpSession -Name 'Guarded' -Prompt 'x' -RepoPath $repo -Agent $Agent -DataPath $Data

        $iteration = Invoke-AmpIteration -Id $session.Id -DataPath $Data

        $iteration.GuardOff | Should -BeNullOrEmpty
        $iteration.GuardDecisions.Count | Should -Be 1
        $iteration.GuardDecisions[0].Verdict | Should -Be 'Deny'
        $iteration.GuardDecisions[0].Reason | Should -Match 'outside the session''s worktree'
        $iteration.MainCheckoutTouched | Should -BeNullOrEmpty
        Test-Path -LiteralPath (Join-Path $repo 'INTO_MAIN.txt') | Should -BeFalse
        (Get-AmpSession -Id $session.Id -DataPath $Data).Status | Should -Be 'Idle'
        if (-not $IsWindows -and -not (Get-Command amp-sessions -ErrorAction SilentlyContinue)) {
            Get-Content -Raw -LiteralPath (Join-Path $Data 'guard/amp-sessions-guard') | Should -Match 'AmpSessions.Core.dll'
        }
    }
}
