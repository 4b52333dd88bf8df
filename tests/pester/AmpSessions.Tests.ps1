#Requires -Version 7.4
# Pester 5 tests of the staged AmpSessions module, run where pwsh exists (build.ps1, .ci/run-pester,
# the GitHub Actions workflow). They import out/AmpSessions/<version>/ exactly as a user would and
# drive real git repositories in temporary folders.

BeforeAll {
    $script:RepositoryRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $props = [xml](Get-Content -Raw (Join-Path $RepositoryRoot 'Directory.Build.props'))
    $script:Version = @($props.Project.PropertyGroup.VersionPrefix | Where-Object { $_ })[0]
    $script:ManifestPath = Join-Path $RepositoryRoot "out/AmpSessions/$Version/AmpSessions.psd1"
    $script:ExpectedCommands = @(
        'Checkpoint-AmpSession', 'Compare-AmpSession', 'Get-AmpSession', 'Get-AmpSessionBackup', 'Get-AmpSessionState',
        'New-AmpSession', 'Open-AmpSession', 'Remove-AmpSession', 'Repair-AmpSession', 'Set-AmpSession'
    )
    Import-Module $ManifestPath -Force -ErrorAction Stop

    function script:Invoke-Git {
        param([string] $Repository, [Parameter(ValueFromRemainingArguments)] [string[]] $Arguments)
        $output = & git -C $Repository -c user.name='Test User' -c user.email='test@example.com' -c commit.gpgsign=false @Arguments 2>&1
        if ($LASTEXITCODE -ne 0) { throw "git $Arguments failed: $output" }
        $output
    }

    function script:New-TestRepository {
        param([string] $Path)
        New-Item -ItemType Directory -Path (Join-Path $Path 'src') -Force | Out-Null
        Invoke-Git $Path init --quiet --initial-branch=main | Out-Null
        Set-Content -LiteralPath (Join-Path $Path 'README.md') -Value '# sample'
        Set-Content -LiteralPath (Join-Path $Path 'src/greet.ts') -Value "export function hello(name: string): string {`n  return ``Hello, `${name}```n}"
        Invoke-Git $Path add --all | Out-Null
        Invoke-Git $Path commit --quiet -m 'initial commit' | Out-Null
    }

    # The error a command reports, whether it terminates or not (Stop turns a non-terminating one into a catchable one).
    function script:Get-CommandError {
        param([scriptblock] $Command)
        $ErrorActionPreference = 'Stop'
        try {
            & $Command | Out-Null
        }
        catch {
            return $_
        }
        throw 'the command reported no error'
    }
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
    }

    It 'has offline help with examples for every cmdlet, and the about topic' {
        foreach ($name in $ExpectedCommands) {
            $help = Get-Help -Name $name -Full
            $help.Synopsis | Should -Not -BeNullOrEmpty -Because "$name has a synopsis"
            @($help.Examples.Example).Count | Should -BeGreaterOrEqual 2 -Because "$name has examples"
            @($help.Parameters.Parameter).Count | Should -BeGreaterThan 0 -Because "$name documents its parameters"
        }
        Get-Help -Name about_AmpSessions | Out-String | Should -Match 'SHORT DESCRIPTION'
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

    It 'goes on with the next piped session after one fails' {
        $session = New-AmpSession -Name 'Survivor' -Prompt 'stay' -RepoPath $Repo -DataPath $Data
        $found = 'nosuchsession', $session.Id | Get-AmpSession -DataPath $Data -ErrorVariable failures -ErrorAction SilentlyContinue
        $found.Id | Should -Be $session.Id
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'AmpSessionNotFound,*'
    }
}
