#Requires -Version 7.4
# Pester 5 tests of the staged AmpSessions module, run where pwsh exists (build.ps1, .ci/run-pester,
# the GitHub Actions workflow). They import out/AmpSessions/<version>/ exactly as a user would and
# drive real git repositories in temporary folders.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    # The same list as ExpectedCmdlets in tests/AmpSessions.Module.Tests/CmdletContractTests.cs.
    $script:ExpectedCommands = @(
        'Checkpoint-AmpSession', 'Compare-AmpSession', 'Compress-AmpSession', 'Export-AmpPatch', 'Export-AmpReport', 'Get-AmpBatch', 'Get-AmpConfig', 'Set-AmpConfig', 'Get-AmpRunEnvironment', 'Get-AmpSlashCommand',
        'Get-AmpIteration', 'Get-AmpSession', 'Get-AmpSessionBackup', 'Get-AmpSessionState', 'Get-AmpTemplate', 'Get-AmpTimeline',
        'Invoke-AmpIteration', 'Invoke-AmpScript', 'Merge-AmpBatchJournal', 'Merge-AmpSession', 'New-AmpSession', 'New-AmpTemplate',
        'Open-AmpSession', 'Remove-AmpSession', 'Remove-AmpTemplate', 'Repair-AmpSession', 'Restore-AmpSession', 'Resume-AmpBatch',
        'Set-AmpSession', 'Start-AmpBatch', 'Stop-AmpBatch', 'Test-AmpBatch', 'Update-AmpSession', 'Watch-AmpSession',
        'Get-AmpEvent', 'Get-AmpAttempt', 'Select-AmpAttempt', 'Unblock-AmpSession',
        'Start-AmpEvaluation', 'Test-AmpEvaluation', 'Compare-AmpEvaluation', 'Export-AmpPrediction',
        'New-AmpTestBaseline', 'Get-AmpTestBaseline'
    )
    Import-Module $ManifestPath -Force -ErrorAction Stop
}

AfterAll {
    Remove-Module AmpSessions -ErrorAction SilentlyContinue
}

Describe 'The AmpSessions module' -Tag CI {
    It 'has a valid manifest with the version from Directory.Build.props' {
        $manifest = Test-ModuleManifest -Path $ManifestPath -ErrorAction Stop
        $manifest.Version.ToString() | Should -Be $Version
        $manifest.PowerShellVersion.ToString() | Should -Be '7.4'
        $manifest.CompatiblePSEditions | Should -Be @('Core')
        $manifest.RootModule | Should -Be 'AmpSessions.dll'
        $manifest.Tags | Should -Contain 'PSEdition_Core'
    }

    It 'exports exactly the expected cmdlets and their aliases' {
        (Get-Command -Module AmpSessions -CommandType Cmdlet).Name | Sort-Object | Should -Be ($ExpectedCommands | Sort-Object)
        (Get-Command -Module AmpSessions -CommandType Function) | Should -BeNullOrEmpty
        (Get-Alias -Name gams).Definition | Should -Be 'Get-AmpSession'
        (Get-Alias -Name nams).Definition | Should -Be 'New-AmpSession'
        (Get-Alias -Name Export-AmpPredictions).Definition | Should -Be 'Export-AmpPrediction'
    }

    It 'has offline help with examples for every cmdlet, and the about topic' {
        foreach ($name in $ExpectedCommands) {
            $help = Get-Help -Name $name -Full
            $help.Synopsis | Should -Not -BeNullOrEmpty -Because "$name has a synopsis"
            @($help.Examples.Example).Count | Should -BeGreaterOrEqual 2 -Because "$name has examples"
            @($help.Parameters.Parameter).Count | Should -BeGreaterThan 0 -Because "$name documents its parameters"
        }
        Get-Help -Name about_AmpSessions | Out-String | Should -Match 'SHORT DESCRIPTION'
        # The about topic points only to what a Gallery install has: itself, the cmdlets' help, or the web.
        Get-Help -Name about_AmpSessions | Out-String | Should -Not -Match '(?<!/docs/)\b[A-Z]+\.md\b'
        foreach ($name in $ExpectedCommands) {
            # A remark ends with a blank line before the next example's title (it ran into it before).
            $lines = (Get-Help -Name $name -Examples | Out-String -Width 200) -split "`r?`n"
            for ($i = 1; $i -lt $lines.Count; $i++) {
                if ($lines[$i] -match '^\s*-+ Example \d+') { $lines[$i - 1].Trim() | Should -BeNullOrEmpty -Because "$name example title '$($lines[$i].Trim())' follows a blank line" }
            }
            # -AsJob cmdlets say that they return a job.
            if ((Get-Command $name).Parameters.ContainsKey('AsJob')) {
                (Get-Command $name).OutputType.Name | Should -Contain 'System.Management.Automation.Job'
            }
        }
    }
}

Describe 'A session life cycle' -Tag CI {
    BeforeAll {
        $script:Temp = Join-Path ([System.IO.Path]::GetTempPath()) ("amp-pester-" + [guid]::NewGuid().ToString('N').Substring(0, 12))
        $script:Repo = Join-Path $Temp 'repo'
        $script:Data = Join-Path $Temp 'data'
        New-TestRepository -Path $Repo
    }

    AfterAll {
        Remove-Item -LiteralPath $Temp -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'creates, finds, changes, diffs, commits, backs up and removes a session' {
        $session = New-AmpSession -Name 'Rename greet' -Prompt 'rename hello to greet' -RepoPath $Repo -DataPath $Data
        $session | Should -BeOfType ([AmpSessions.Core.Sessions.Session])
        $session.Status | Should -Be 'Idle'
        $session.BranchName | Should -Match '^amp/rename-greet/\d{8}-\d{6}$'
        Test-Path -LiteralPath $session.WorktreePath | Should -BeTrue
        Invoke-Git $Repo branch --show-current | Should -Be 'main'

        (Get-AmpSession -DataPath $Data).Id | Should -Contain $session.Id
        (Get-AmpSession -Id $session.Id.Substring(0, 4) -DataPath $Data).Id | Should -Be $session.Id
        (Get-AmpSession -Id 'Rename*' -DataPath $Data).Id | Should -Be $session.Id
        (Get-AmpSession -Name 'Rename greet' -DataPath $Data).Id | Should -Be $session.Id
        (Get-AmpSession -Status Archived -DataPath $Data) | Should -BeNullOrEmpty

        $changed = $session | Set-AmpSession -ScriptCommand 'git status' -Notes 'keep the API' -PassThru -DataPath $Data
        $changed.ScriptCommand | Should -Be 'git status'
        (Get-AmpSession -Id $session.Id -DataPath $Data).Notes | Should -Be 'keep the API'

        Set-Content -LiteralPath (Join-Path $session.WorktreePath 'src/greet.ts') -Value "export function greet(name: string): string {`n  return ``Hello, `${name}```n}"
        $diff = $session | Compare-AmpSession -DataPath $Data
        $diff | Should -BeOfType ([AmpSessions.Core.Sessions.SessionDiff])
        $diff.Files.Path | Should -Contain 'src/greet.ts'
        $diff.AddedLineCount | Should -BeGreaterThan 0
        $diff | Out-String -Width 200 | Should -Match 'src/greet.ts'
        ($session | Compare-AmpSession -NameOnly -DataPath $Data).Files.Path | Should -Be @('src/greet.ts')

        $commit = $session | Checkpoint-AmpSession -Message 'Rename hello to greet' -DataPath $Data
        $commit.Subject | Should -Be 'Rename hello to greet'
        $commit.Files.Path | Should -Be @('src/greet.ts')
        $state = $session | Get-AmpSessionState -DataPath $Data
        $state.Ahead | Should -Be 1
        $state.HasUncommittedChanges | Should -BeFalse

        $cleanup = $session | Remove-AmpSession -Force -PassThru -Confirm:$false -DataPath $Data
        $cleanup.Session.Status | Should -Be 'Archived'
        $cleanup.BackupRef | Should -Match "^refs/amp-sessions/$($session.Id)/backup/"
        Test-Path -LiteralPath $session.WorktreePath | Should -BeFalse
        Invoke-Git $Repo branch --show-current | Should -Be 'main'
        @($session | Get-AmpSessionBackup -DataPath $Data).Count | Should -Be 1
        Repair-AmpSession -RepoPath $Repo -DataPath $Data | Should -BeNullOrEmpty
    }

    It 'changes nothing with -WhatIf' {
        New-AmpSession -Name 'Not made' -Prompt 'nothing' -RepoPath $Repo -DataPath $Data -WhatIf
        Get-AmpSession -Name 'Not made' -DataPath $Data -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Invoke-Git $Repo branch --list 'amp/not-made/*' | Should -BeNullOrEmpty

        $session = New-AmpSession -Name 'Kept' -Prompt 'keep me' -RepoPath $Repo -DataPath $Data
        $session | Set-AmpSession -Notes 'changed' -WhatIf -DataPath $Data
        $session | Remove-AmpSession -Force -WhatIf -DataPath $Data
        Set-Content -LiteralPath (Join-Path $session.WorktreePath 'new.txt') -Value 'new'
        $session | Checkpoint-AmpSession -Message 'not committed' -WhatIf -DataPath $Data

        $after = Get-AmpSession -Id $session.Id -DataPath $Data
        $after.Status | Should -Be 'Idle'
        $after.Notes | Should -BeNullOrEmpty
        Test-Path -LiteralPath $session.WorktreePath | Should -BeTrue
        Invoke-Git $session.WorktreePath log --format=%s -n 1 | Should -Be 'initial commit'
    }

    It 'reports failures with stable error ids, categories and targets' {
        $notFound = Get-CommandError { Get-AmpSession -Id 'nosuchsession' -DataPath $Data }
        $notFound.FullyQualifiedErrorId | Should -BeLike 'AmpSessionNotFound,*'
        $notFound.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $notFound.TargetObject | Should -Be 'nosuchsession'
        # What to do is said in PowerShell's words (the CLI says `amp-sessions list` from the same message source).
        $notFound.ErrorDetails.Message | Should -Be "No session matches 'nosuchsession': run Get-AmpSession to see session ids and names."
        $notFound.ErrorDetails.RecommendedAction | Should -Be 'Run Get-AmpSession to see session ids and names.'
        $notFound.ToString() | Should -Not -Match 'amp-sessions'

        $notARepository = Get-CommandError { New-AmpSession -Name 'x' -Prompt 'y' -RepoPath $Temp -DataPath $Data }
        $notARepository.FullyQualifiedErrorId | Should -BeLike 'AmpNotARepository,*'
        $notARepository.CategoryInfo.Category | Should -Be 'InvalidArgument'

        $session = New-AmpSession -Name 'Errors' -Prompt 'fail' -RepoPath $Repo -DataPath $Data
        (Get-CommandError { $session | Checkpoint-AmpSession -Message 'empty' -DataPath $Data }).FullyQualifiedErrorId | Should -BeLike 'AmpNothingToCommit,*'
        (Get-CommandError { $session | Compare-AmpSession -Staged -Unstaged -DataPath $Data }).FullyQualifiedErrorId | Should -BeLike 'AmpUsageConflictingOptions,*'
        Set-Content -LiteralPath (Join-Path $session.WorktreePath 'dirty.txt') -Value 'work'
        $wouldLose = Get-CommandError { $session | Remove-AmpSession -Confirm:$false -DataPath $Data }
        $wouldLose.FullyQualifiedErrorId | Should -BeLike 'AmpCleanupWouldLoseWork,*'
        $wouldLose.CategoryInfo.Category | Should -Be 'InvalidOperation'
        Test-Path -LiteralPath $session.WorktreePath | Should -BeTrue
    }

    It 'names only cmdlets and parameters that exist when it says what to do' {
        $style = [AmpSessions.Core.Errors.RemedyStyle]::PowerShell
        $parameters = @(Get-Command -Module AmpSessions -CommandType Cmdlet).Parameters.Keys | Sort-Object -Unique
        foreach ($operation in [enum]::GetValues([AmpSessions.Core.Errors.Operation])) {
            $cmdlet = $style.Render([AmpSessions.Core.Errors.Invocation]::Of($operation, 'abc', @()))
            $name, $rest = $cmdlet -split ' ', 2
            Get-Command -Name $name -Module AmpSessions -ErrorAction SilentlyContinue | Should -Not -BeNullOrEmpty -Because "$operation is rendered as $name"
            if ($operation -notin 'NewSession', 'Repair', 'RunBatch', 'ValidateBatch', 'ValidateConfig', 'SetConfig', 'ListSlashCommands') {
                (Get-Command -Name $name).Parameters.Keys | Should -Contain 'Id' -Because "$cmdlet names its session or batch with -Id"
            }
        }
        foreach ($parameter in [enum]::GetValues([AmpSessions.Core.Errors.Parameter])) {
            $style.Render($parameter).TrimStart('-') | Should -BeIn $parameters -Because "$parameter is rendered as $($style.Render($parameter))"
        }
    }

    It 'goes on with the next piped session after one fails' {
        $session = New-AmpSession -Name 'Survivor' -Prompt 'stay' -RepoPath $Repo -DataPath $Data
        $found = 'nosuchsession', $session.Id | Get-AmpSession -DataPath $Data -ErrorVariable failures -ErrorAction SilentlyContinue
        $found.Id | Should -Be $session.Id
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'AmpSessionNotFound,*'
    }

    It 'reads git in process, with libgit2 found through the module''s load context' {
        # The core's own libgit2 imports (discovery, configuration, staged patches) resolve the library LibGit2Sharp
        # loads; where they could not, every read would quietly go to the git CLI. Asked directly, so a fallback shows.
        $null = Get-AmpSession -DataPath $Data
        $core = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'AmpSessions.Core' } | Select-Object -First 1
        $inProcess = $core.GetType('AmpSessions.Core.Git.InProcessGit', $true)
        $facts = $inProcess.GetMethod('TryGetWorkingTreeFacts').Invoke($null, @([string]$Repo))
        $facts | Should -Not -BeNullOrEmpty
        $facts.HeadCommit | Should -Be (Invoke-Git $Repo rev-parse HEAD)
        $inProcess.GetMethod('ConfigValue').Invoke($null, @([string]$Repo, 'core.bare')).Value | Should -Be (Invoke-Git $Repo config --get core.bare)
    }
}

Describe 'Iterations, integration and templates' -Tag CI {
    BeforeAll {
        $script:Temp = Join-Path ([System.IO.Path]::GetTempPath()) ("amp-pester-" + [guid]::NewGuid().ToString('N').Substring(0, 12))
        $script:Data = Join-Path $Temp 'data'
        New-Item -ItemType Directory -Path $Temp -Force | Out-Null
        # Single quotes: the core splits agent command lines like a shell, and a Windows path has backslashes.
        $script:Agent = "amp:'$(Get-FakeAgent)'"
        $script:Prompt = 'In src/greet.ts rename function hello to greet.'
        $script:NotificationsBefore = $env:AMP_SESSIONS_NOTIFICATIONS
        $env:AMP_SESSIONS_NOTIFICATIONS = '0'

        function script:New-Repository {
            param([string] $Name)
            $path = Join-Path $Temp $Name
            New-TestRepository -Path $path
            $path
        }
    }

    AfterAll {
        Get-Job | Where-Object PSJobTypeName -eq 'AmpSessionsJob' | Remove-Job -Force
        $env:AMP_SESSIONS_NOTIFICATIONS = $NotificationsBefore
        Remove-Item -LiteralPath $Temp -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'iterates, tests, watches, squashes, restores, rebases, exports, merges and removes a session' {
        $repo = New-Repository 'life-cycle'
        $session = New-AmpSession -Name 'Rename greet' -Prompt $Prompt -RepoPath $repo -BaseBranch main -Agent $Agent `
            -ScriptCommand 'git grep "export function greet" -- src/greet.ts' -DataPath $Data
        $session.Agent | Should -Be $Agent

        # -Timeout 120 is seconds: read as ticks it would stop the agent at once.
        $output = $session | Invoke-AmpIteration -Notes 'Keep the signature' -Timeout 120 -DataPath $Data -InformationVariable information -Verbose 4>&1
        $iteration = @($output | Where-Object { $_ -is [AmpSessions.Core.Iterations.IterationRecord] })
        $iteration.Count | Should -Be 1
        $iteration = $iteration[0]
        $iteration.Status | Should -Be 'Succeeded'
        $iteration.Number | Should -Be 1
        $iteration.CommitSha | Should -Not -BeNullOrEmpty
        $iteration.ChangedFiles | Should -Be @('src/greet.ts')
        $iteration.ScriptPassed | Should -BeTrue
        $iteration.TotalTokens | Should -BeGreaterThan 0
        ($output | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message | Should -Contain 'Tool: edit_file'
        $information.MessageData | Should -Contain "The test script passed after iteration 1 of session $($session.Id)."
        Invoke-Git $session.WorktreePath log --format=%s -n 1 | Should -BeLike 'amp: *'
        Invoke-Git $repo branch --show-current | Should -Be 'main'
        Get-Content -LiteralPath (Join-Path $repo 'src/greet.ts') -Raw | Should -Match 'function hello'
        $iteration | Out-String -Width 200 | Should -Match 'Succeeded'

        $listed = @($session | Get-AmpIteration -DataPath $Data)
        $listed.Count | Should -Be 1
        $listed[0].CommitSha | Should -Be $iteration.CommitSha
        # A number the session does not have is an error now (issue 9: it returned nothing silently).
        (Get-CommandError { Get-AmpIteration -Id $session.Id -Number 2 -DataPath $Data }).FullyQualifiedErrorId | Should -BeLike 'AmpIterationNotFound,*'

        $run = $session | Invoke-AmpScript -Timeout '00:02:00' -DataPath $Data -InformationVariable lines
        $run | Should -BeOfType ([AmpSessions.Core.Scripts.ScriptRun])
        $run.Passed | Should -BeTrue
        $run.ExitCode | Should -Be 0
        Test-Path -LiteralPath $run.OutputPath | Should -BeTrue
        $lines.MessageData | Should -Match 'src/greet.ts:export function greet'

        $timeline = @($session | Get-AmpTimeline -DataPath $Data)
        $timeline.Count | Should -Be 1
        $timeline[0].Commit | Should -Be $iteration.CommitSha
        $timeline[0].IterationNumber | Should -Be 1
        $timeline[0].TestResult | Should -Be 'Passed'
        $timeline | Out-String -Width 200 | Should -Match $iteration.CommitSha.Substring(0, 7)
        $timeline | Format-Custom -View History | Out-String -Width 200 | Should -Match 'tests passed'

        $watched = @($session | Watch-AmpSession -UntilIdle -DataPath $Data)
        $watched[0] | Should -BeOfType ([AmpSessions.Core.Sessions.SessionStatusChangedEvent])
        $watched[0].Status | Should -Be 'Idle'
        ($watched | Where-Object { $_ -is [AmpSessions.Core.Sessions.IterationChangedEvent] }).Iteration.Number | Should -Be 1
        @($watched | Where-Object { $_ -is [AmpSessions.Core.Sessions.AgentActivityEvent] }).Count | Should -BeGreaterThan 0
        $watched | Out-String -Width 200 | Should -Match 'tool: edit_file'

        Set-Content -LiteralPath (Join-Path $session.WorktreePath 'docs.md') -Value '# greet'
        $session | Checkpoint-AmpSession -Message 'Document greet' -DataPath $Data | Out-Null
        $squash = $session | Compress-AmpSession -Message 'Rename hello to greet' -DataPath $Data
        $squash.Changed | Should -BeTrue
        $squash.SquashedCommitCount | Should -Be 2
        $squash.BackupRef | Should -Match "^refs/amp-sessions/$($session.Id)/backup/"
        Invoke-Git $session.WorktreePath rev-list --count main..HEAD | Should -Be '1'

        $restore = $session | Restore-AmpSession -Confirm:$false -DataPath $Data
        $restore.Backup.Operation | Should -Be 'squash'
        $restore.NewHead | Should -Be $squash.OldHead
        Invoke-Git $session.WorktreePath rev-list --count main..HEAD | Should -Be '2'

        # A teammate moves main on; the session is rebased onto it in its own worktree.
        Set-Content -LiteralPath (Join-Path $repo 'CHANGELOG.md') -Value 'teammate'
        Invoke-Git $repo add CHANGELOG.md | Out-Null
        Invoke-Git $repo commit --quiet -m 'Add a changelog' | Out-Null
        $rebase = $session | Update-AmpSession -DataPath $Data
        $rebase | Should -BeOfType ([AmpSessions.Core.Integration.RebaseResult])
        $rebase.Outcome | Should -Be 'Succeeded'
        $rebase.AlreadyUpToDate | Should -BeFalse
        Invoke-Git $session.WorktreePath merge-base --is-ancestor main HEAD | Out-Null

        # Relative to PowerShell's location, which is not the process's current directory.
        $patches = Join-Path $Temp 'patches'
        New-Item -ItemType Directory -Path $patches | Out-Null
        Push-Location -LiteralPath $patches
        try {
            $export = $session | Export-AmpPatch -DataPath $Data
        }
        finally {
            Pop-Location
        }
        Split-Path -Parent $export.OutputPath | Should -Be $patches
        $export.PatchCount | Should -Be 1
        $export.CommitCount | Should -Be 2
        Get-Content -LiteralPath $export.OutputPath -Raw | Should -Match 'Subject: \[PATCH\] Rename greet'

        $merge = $session | Merge-AmpSession -Squash -Message 'Rename hello to greet' -Confirm:$false -DataPath $Data
        $merge | Should -BeOfType ([AmpSessions.Core.Integration.MergeResult])
        $merge.Method | Should -Be 'FastForwardInWorktree'
        $merge.Conflicted | Should -BeFalse
        $merge.Squash.SquashedCommitCount | Should -Be 2
        Invoke-Git $repo log --format=%s -n 1 | Should -Be 'Rename hello to greet'
        Get-Content -LiteralPath (Join-Path $repo 'src/greet.ts') -Raw | Should -Match 'function greet'
        (Get-AmpSession -Id $session.Id -DataPath $Data).Status | Should -Be 'Merged'

        $cleanup = $session | Remove-AmpSession -Confirm:$false -PassThru -DataPath $Data
        $cleanup.WorktreeRemoved | Should -BeTrue
        $cleanup.BranchDeleted | Should -BeTrue
        Test-Path -LiteralPath $session.WorktreePath | Should -BeFalse
    }

    It 'changes nothing with -WhatIf' {
        $repo = New-Repository 'what-if'
        $session = New-AmpSession -Name 'What if' -Prompt $Prompt -RepoPath $repo -BaseBranch main -Agent $Agent -ScriptCommand 'git status' -DataPath $Data
        foreach ($file in 'a.md', 'b.md') {
            Set-Content -LiteralPath (Join-Path $session.WorktreePath $file) -Value $file
            $session | Checkpoint-AmpSession -Message "Add $file" -DataPath $Data | Out-Null
        }
        $head = Invoke-Git $session.WorktreePath rev-parse HEAD
        $main = Invoke-Git $repo rev-parse main

        $session | Invoke-AmpIteration -DataPath $Data -WhatIf
        $session | Invoke-AmpIteration -AsJob -DataPath $Data -WhatIf
        $session | Invoke-AmpScript -DataPath $Data -WhatIf
        $session | Compress-AmpSession -DataPath $Data -WhatIf
        $session | Update-AmpSession -DataPath $Data -WhatIf
        $session | Merge-AmpSession -Squash -DataPath $Data -WhatIf
        $session | Export-AmpPatch -OutputPath $Temp -DataPath $Data -WhatIf
        New-AmpTemplate -Name 'not-saved' -Prompt 'nothing' -DataPath $Data -WhatIf

        Get-AmpIteration -Id $session.Id -DataPath $Data | Should -BeNullOrEmpty
        Get-Job | Where-Object PSJobTypeName -eq 'AmpSessionsJob' | Should -BeNullOrEmpty
        (Get-AmpSession -Id $session.Id -DataPath $Data).Status | Should -Be 'Idle'
        Invoke-Git $session.WorktreePath rev-parse HEAD | Should -Be $head
        Invoke-Git $repo rev-parse main | Should -Be $main
        Invoke-Git $repo for-each-ref "refs/amp-sessions/$($session.Id)/" | Should -BeNullOrEmpty
        Get-ChildItem -LiteralPath $Temp -Filter '*.patch' | Should -BeNullOrEmpty
        Get-AmpTemplate -Name 'not-saved' -DataPath $Data -ErrorAction SilentlyContinue | Should -BeNullOrEmpty

        # After a squash (which keeps a backup) a real restore would move HEAD back; -WhatIf must not.
        $session | Compress-AmpSession -DataPath $Data | Out-Null
        $squashed = Invoke-Git $session.WorktreePath rev-parse HEAD
        $session | Restore-AmpSession -DataPath $Data -WhatIf
        Invoke-Git $session.WorktreePath rev-parse HEAD | Should -Be $squashed
    }

    It 'runs iterations as a job with a child per session' {
        $repo = New-Repository 'jobs'
        $sessions = 1..2 | ForEach-Object { New-AmpSession -Name "Job $_" -Prompt $Prompt -RepoPath $repo -BaseBranch main -Agent $Agent -DataPath $Data }

        $job = Get-AmpSession -RepoPath $repo -Status Idle -DataPath $Data | Invoke-AmpIteration -AsJob -ThrottleLimit 2 -DataPath $Data
        $job | Should -BeOfType ([System.Management.Automation.Job])
        $job.PSJobTypeName | Should -Be 'AmpSessionsJob'
        $job.ChildJobs.Count | Should -Be 2
        (Get-Job -Id $job.Id).Id | Should -Be $job.Id

        $job | Wait-Job -Timeout 300 | Out-Null
        $job.State | Should -Be 'Completed'
        $results = @($job | Receive-Job -Keep)
        $results.Count | Should -Be 2
        $results | ForEach-Object { $_ | Should -BeOfType ([AmpSessions.Core.Iterations.IterationRecord]) }
        $results.Status | Should -Be @('Succeeded', 'Succeeded')
        $results.SessionId | Sort-Object | Should -Be ($sessions.Id | Sort-Object)
        foreach ($child in $job.ChildJobs) {
            $child.State | Should -Be 'Completed'
            $child.Progress.Count | Should -BeGreaterThan 0
            $child.Verbose.Message | Should -Contain 'Tool: edit_file'
            ($child.Information.MessageData | Where-Object { $_ -like 'Committed *' }).Count | Should -Be 1
        }
        Get-Job -Id $job.Id | Remove-Job
        Get-Job -Id $job.Id -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        foreach ($session in $sessions) {
            Invoke-Git $session.WorktreePath log --format=%s -n 1 | Should -BeLike 'amp: *'
        }
    }

    It 'reports conflicts and failures with stable error ids' {
        $repo = New-Repository 'errors'
        $session = New-AmpSession -Name 'Conflict' -Prompt $Prompt -RepoPath $repo -BaseBranch main -Agent $Agent -DataPath $Data

        (Get-CommandError { $session | Invoke-AmpScript -DataPath $Data }).FullyQualifiedErrorId | Should -BeLike 'AmpNoScript,*'
        (Get-CommandError { $session | Compress-AmpSession -DataPath $Data }).FullyQualifiedErrorId | Should -BeLike 'AmpNothingToSquash,*'
        (Get-CommandError { $session | Export-AmpPatch -DataPath $Data }).FullyQualifiedErrorId | Should -BeLike 'AmpNothingToExport,*'
        (Get-CommandError { $session | Invoke-AmpIteration -Timeout 0 -DataPath $Data }).FullyQualifiedErrorId | Should -BeLike 'ParameterArgumentValidationError,*'
        (Get-CommandError { $session | Update-AmpSession -Continue -DataPath $Data }).FullyQualifiedErrorId | Should -BeLike 'AmpNoRebaseInProgress,*'
        $notFound = Get-CommandError { Get-AmpTemplate -Name 'nosuchtemplate' -DataPath $Data }
        $notFound.FullyQualifiedErrorId | Should -BeLike 'AmpTemplateNotFound,*'
        $notFound.CategoryInfo.Category | Should -Be 'ObjectNotFound'

        # The session and main change the same line: the rebase stops on conflicts.
        Set-Content -LiteralPath (Join-Path $session.WorktreePath 'README.md') -Value '# from the session'
        $session | Checkpoint-AmpSession -Message 'Session title' -DataPath $Data | Out-Null
        Set-Content -LiteralPath (Join-Path $repo 'README.md') -Value '# from main'
        Invoke-Git $repo commit --quiet --all -m 'Main title' | Out-Null

        $result = $session | Update-AmpSession -DataPath $Data -ErrorVariable conflicts -ErrorAction SilentlyContinue
        $result | Should -BeOfType ([AmpSessions.Core.Integration.RebaseResult])
        $result.Outcome | Should -Be 'Conflicted'
        $result.ConflictedPaths | Should -Be @('README.md')
        $conflicts.Count | Should -Be 1
        $conflicts[0].FullyQualifiedErrorId | Should -BeLike 'AmpRebaseConflict,*'
        $conflicts[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
        $conflicts[0].TargetObject | Should -Be $session.Id
        $conflicts[0].ErrorDetails.RecommendedAction | Should -BeLike "*Update-AmpSession -Id $($session.Id) -Continue*"
        (Get-AmpSession -Id $session.Id -DataPath $Data).Status | Should -Be 'Conflicted'
        (Get-CommandError { $session | Invoke-AmpIteration -DataPath $Data }).FullyQualifiedErrorId | Should -BeLike 'AmpSessionNotIterable,*'

        $aborted = $session | Update-AmpSession -Abort -DataPath $Data
        $aborted.Outcome | Should -Be 'Aborted'
        (Get-AmpSession -Id $session.Id -DataPath $Data).Status | Should -Be 'Idle'
        Get-Content -LiteralPath (Join-Path $session.WorktreePath 'README.md') -Raw | Should -Match 'from the session'
    }

    It 'saves templates, starts sessions from them and removes them' {
        $repo = New-Repository 'templates'
        $template = New-AmpTemplate -Name 'rename' -Prompt $Prompt -RepoPath $repo -BaseBranch main -ScriptCommand 'git status' -DataPath $Data
        $template | Should -BeOfType ([AmpSessions.Core.Templates.SessionTemplate])
        (Get-AmpTemplate -DataPath $Data).Name | Should -Contain 'rename'
        (Get-AmpTemplate -Name 'ren*' -DataPath $Data).Name | Should -Be 'rename'

        # Outside any repository: the template's repository is used.
        Push-Location -LiteralPath $Temp
        try {
            $fromTemplate = New-AmpSession -Name 'From template' -Template 'rename' -DataPath $Data
        }
        finally {
            Pop-Location
        }
        Split-Path -Leaf $fromTemplate.RepoRoot | Should -Be 'templates'
        $fromTemplate.Prompt | Should -Be $Prompt
        $fromTemplate.ScriptCommand | Should -Be 'git status'
        $fromTemplate.BaseBranch | Should -Be 'main'
        $override = New-AmpSession -Name 'Override' -Template 'rename' -Prompt 'Something else' -ScriptCommand 'git log -1' -DataPath $Data
        $override.Prompt | Should -Be 'Something else'
        $override.ScriptCommand | Should -Be 'git log -1'

        $removed = Get-AmpTemplate -Name 'rename' -DataPath $Data | Remove-AmpTemplate -Confirm:$false -PassThru -DataPath $Data
        $removed.Name | Should -Be 'rename'
        (Get-CommandError { Get-AmpTemplate -Name 'rename' -DataPath $Data }).FullyQualifiedErrorId | Should -BeLike 'AmpTemplateNotFound,*'
        (Get-CommandError { New-AmpSession -Name 'x' -Template 'rename' -DataPath $Data }).FullyQualifiedErrorId | Should -BeLike 'AmpTemplateNotFound,*'
    }
}

Describe 'Batches' -Tag CI {
    BeforeAll {
        $script:Temp = Join-Path ([System.IO.Path]::GetTempPath()) ("amp-pester-batch-" + [guid]::NewGuid().ToString('N').Substring(0, 12))
        $script:Data = Join-Path $Temp 'data'
        New-Item -ItemType Directory -Path $Temp -Force | Out-Null
        $script:NotificationsBefore = $env:AMP_SESSIONS_NOTIFICATIONS
        $env:AMP_SESSIONS_NOTIFICATIONS = '0'
        New-TestRepository -Path (Join-Path $Temp 'repo-a')
        New-TestRepository -Path (Join-Path $Temp 'repo-b')
        # The fake `amp` as a custom `command` agent; its default scenario renames hello to greet in src/greet.ts.
        $script:AgentPath = Get-FakeAgent

        # A batch file in $Temp: one agent, one prompt, both repositories (2 items), graded by `git status` (exit 0).
        function script:New-BatchFile {
            param([string] $Name, [string] $Execution = "  concurrency: 2")
            # A YAML single-quoted scalar: a Windows path keeps its backslashes.
            $agent = "'" + $AgentPath.Replace("'", "''") + "'"
            $text = @(
                'version: 3'
                'metadata:'
                "  name: `"$Name`""
                'execution:'
                $Execution
                'agents:'
                '  - id: fake'
                "    command: [$agent]"
                'tasks:'
                '  - id: rename'
                '    type: batch'
                '    prompts: ["In src/greet.ts rename function hello to greet."]'
                '    repositories: ["./repo-a", "./repo-b"]'
                '    script_command: "git status"'
            ) -join "`n"
            $path = Join-Path $Temp "$Name.yaml"
            Set-Content -LiteralPath $path -Value $text -NoNewline
            $path
        }
    }

    AfterAll {
        Get-Job | Where-Object PSJobTypeName -eq 'AmpSessionsJob' | Remove-Job -Force
        $env:AMP_SESSIONS_NOTIFICATIONS = $NotificationsBefore
        Remove-Item -LiteralPath $Temp -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'validates a batch file and reports every problem with its line, starting nothing' {
        $file = New-BatchFile -Name 'valid'
        $check = Test-AmpBatch -Path $file -DataPath $Data
        $check | Should -BeOfType ([AmpSessions.Core.Batches.BatchValidation])
        $check.Items.Count | Should -Be 2
        $check.Definition.Metadata.Name | Should -Be 'valid'
        (Test-AmpBatch -Path $file -Shard 1/2 -DataPath $Data).Selected.Count | Should -Be 1

        $bad = Join-Path $Temp 'bad.yaml'
        Set-Content -LiteralPath $bad -Value ((Get-Content -Raw -LiteralPath $file).Replace('concurrency: 2', 'concurency: 2').Replace('type: batch', 'type: bulk'))
        $problems = @(Test-AmpBatch -Path $bad -DataPath $Data -ErrorAction SilentlyContinue -ErrorVariable errors)
        $problems.Count | Should -Be 0
        $errors.Count | Should -Be 2
        $errors | ForEach-Object { $_.FullyQualifiedErrorId | Should -BeLike 'AmpBatchFileInvalid,*' }
        $errors[0].Exception.Message | Should -BeLike "$bad`:5:*concurency*concurrency*"

        $failed = Get-CommandError { Start-AmpBatch -Path $bad -DataPath $Data }
        $failed.FullyQualifiedErrorId | Should -BeLike 'AmpBatchFileInvalid,*'
        @(Get-AmpBatch -DataPath $Data).Count | Should -Be 0
        Start-AmpBatch -Path $file -DataPath $Data -WhatIf
        @(Get-AmpBatch -DataPath $Data).Count | Should -Be 0
    }

    It 'runs a tiny batch with the fake agent, lists it, and exports an HTML report' {
        $file = New-BatchFile -Name 'tiny'
        Push-Location -LiteralPath $Temp
        try {
            # A relative path is resolved against the current location.
            $run = Start-AmpBatch -Path ./tiny.yaml -Concurrency 1 -DataPath $Data -ProgressAction SilentlyContinue
        }
        finally {
            Pop-Location
        }
        $run | Should -BeOfType ([AmpSessions.Core.Batches.BatchRunResult])
        $run.Status | Should -Be 'Completed'
        $run.Total | Should -Be 2
        $run.Completed | Should -Be 2
        $run.Ran.Count | Should -Be 2
        Test-Path -LiteralPath $run.JournalPath | Should -BeTrue

        $batch = Get-AmpBatch -Id $run.BatchId -DataPath $Data
        $batch | Should -BeOfType ([AmpSessions.Core.Batches.BatchDetails])
        $batch.Summary.Status | Should -Be 'Completed'
        $batch.Summary.Batch.Name | Should -Be 'tiny'
        $batch.Items.Count | Should -Be 2
        # The fake agent succeeds and `git status` exits 0: both items pass, each in a session of its own.
        $batch.Items.Status | Should -Be @('Passed', 'Passed')
        $batch.Items.SessionId | Select-Object -Unique | Should -HaveCount 2
        $run.Passed | Should -Be 2
        (Get-AmpBatch -Id 'tiny' -DataPath $Data).Id | Should -Be $run.BatchId
        # The same batch file run again (the README's nightly case): its name means the latest run.
        Push-Location -LiteralPath $Temp
        try {
            $again = Start-AmpBatch -Path ./tiny.yaml -Concurrency 1 -DataPath $Data -ProgressAction SilentlyContinue
        }
        finally {
            Pop-Location
        }
        (Get-AmpBatch -Id 'tiny' -DataPath $Data).Id | Should -Be $again.BatchId
        (Get-AmpBatch -Id $run.BatchId -DataPath $Data).Id | Should -Be $run.BatchId
        (Get-AmpBatch -DataPath $Data).Id | Should -Contain $run.BatchId
        (Get-CommandError { Get-AmpBatch -Id 'no-such-batch' -DataPath $Data }).FullyQualifiedErrorId | Should -BeLike 'AmpBatchNotFound,*'

        Push-Location -LiteralPath $Temp
        try {
            $report = Get-AmpBatch -Id $run.BatchId -DataPath $Data | Export-AmpReport -Format Html -OutputPath ./reports/tiny.html -DataPath $Data
        }
        finally {
            Pop-Location
        }
        $report | Should -BeOfType ([AmpSessions.Core.Reports.BatchReportFile])
        $report.Path | Should -Be (Join-Path (Join-Path $Temp 'reports') 'tiny.html')
        $report.Items | Should -Be 2
        $html = Get-Content -Raw -LiteralPath $report.Path
        $html | Should -BeLike '<!DOCTYPE html>*'
        $html | Should -BeLike '*tiny*'

        $csv = Export-AmpReport -JournalPath $run.JournalPath -Format Csv -OutputPath (Join-Path $Temp 'tiny.csv') -DataPath $Data
        @(Import-Csv -LiteralPath $csv.Path).Count | Should -Be 2

        # A completed batch: resuming runs nothing, stopping is refused.
        (Resume-AmpBatch -Id $run.BatchId -DataPath $Data -ProgressAction SilentlyContinue).Ran.Count | Should -Be 0
        (Get-CommandError { Stop-AmpBatch -Id $run.BatchId -DataPath $Data -Confirm:$false }).FullyQualifiedErrorId | Should -BeLike 'AmpBatchAlreadyFinished,*'

        $merged = $run | Merge-AmpBatchJournal -OutputPath (Join-Path $Temp 'merged.jsonl') -DataPath $Data
        $merged | Should -BeOfType ([AmpSessions.Core.Batches.MergedJournal])
        $merged.Items.Count | Should -Be 2
        $merged.MissingItems | Should -Be 0
    }

    It 'runs a batch as a job with a child job per batch file and progress for the batch and its items' {
        $file = New-BatchFile -Name 'as-job'
        $job = Start-AmpBatch -Path $file -AsJob -ThrottleLimit 1 -DataPath $Data
        $job | Should -BeOfType ([System.Management.Automation.Job])
        $job.PSJobTypeName | Should -Be 'AmpSessionsJob'
        $job.ChildJobs.Count | Should -Be 1

        $job | Wait-Job -Timeout 300 | Out-Null
        $job.State | Should -Be 'Completed'
        $result = @($job | Receive-Job -Keep)
        $result.Count | Should -Be 1
        $result[0] | Should -BeOfType ([AmpSessions.Core.Batches.BatchRunResult])
        $result[0].Completed | Should -Be 2
        $progress = $job.ChildJobs[0].Progress
        $batchRecords = @($progress | Where-Object { $_.Activity -like 'Batch *' })
        $batchRecords.Count | Should -BeGreaterThan 0
        $batchRecords[-1].RecordType | Should -Be 'Completed'
        $itemRecords = @($progress | Where-Object { $_.Activity -notlike 'Batch *' })
        $itemRecords.Count | Should -BeGreaterThan 0
        $itemRecords | ForEach-Object { $_.ParentActivityId | Should -Be $batchRecords[0].ActivityId }
        @($itemRecords | Where-Object RecordType -eq 'Completed').Count | Should -Be 2
        Get-Job -Id $job.Id | Remove-Job
    }
}
