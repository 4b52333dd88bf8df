#Requires -Version 7.4
# Pester 5 tests of issue 13 from the staged module as a PowerShell user meets it: Get-AmpConfig names
# where every value came from, Set-AmpConfig writes the user file or (-Scope Repository) the
# repository's, a slash command expands before the session exists, and Get-AmpRunEnvironment shows
# what the session's turn gets (its port block among it).

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ManifestPath -Force -ErrorAction Stop

    $script:Temp = Join-Path ([System.IO.Path]::GetTempPath()) ("amp-pester-config-" + [guid]::NewGuid().ToString('N'))
    $script:Data = Join-Path $Temp 'data'
    $script:Repo = Join-Path $Temp 'repo'
    New-Item -ItemType Directory -Path $Temp -Force | Out-Null
    $script:Agent = "amp:'$(Get-FakeAgent)'"
    $script:Saved = @{ Notifications = $env:AMP_SESSIONS_NOTIFICATIONS; Registry = $env:AMP_SESSIONS_PORT_REGISTRY }
    $env:AMP_SESSIONS_NOTIFICATIONS = '0'
    $env:AMP_SESSIONS_PORT_REGISTRY = Join-Path $Temp 'ports'

    New-TestRepository -Path $Repo
    Set-Content -LiteralPath (Join-Path $Repo '.amp-sessions.yaml') -Value "# the team's settings`nports: 3`nport_range: 43100-43199`nenvironments:`n  ci:`n    ci: true`n    allowed_modes: [low]"
    New-Item -ItemType Directory -Path (Join-Path $Repo '.amp-sessions/commands') -Force | Out-Null
    Set-Content -LiteralPath (Join-Path $Repo '.amp-sessions/commands/fix-ci.md') -Value "---`ndescription: Fix a failing CI job`nparameters:`n  job:`n---`nThe CI job {job} is failing: find out why and fix it."
    Invoke-Git $Repo add --all | Out-Null
    Invoke-Git $Repo commit --quiet -m 'configuration and a slash command' | Out-Null
}

AfterAll {
    Get-AmpSession -DataPath $Data | Remove-AmpSession -Force -Confirm:$false -DataPath $Data -ErrorAction SilentlyContinue
    $env:AMP_SESSIONS_NOTIFICATIONS = $Saved.Notifications
    $env:AMP_SESSIONS_PORT_REGISTRY = $Saved.Registry
    Remove-Item -LiteralPath $Temp -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Configuration from the module' -Tag CI {
    It 'names the source of every effective value, and Set-AmpConfig writes the user or the repository file' {
        $repoFile = Join-Path $Repo '.amp-sessions.yaml'
        $ports = Get-AmpConfig -Key ports -RepoPath $Repo -DataPath $Data
        $ports.Value | Should -Be 3
        $ports.Source | Should -Be $repoFile
        (Get-AmpConfig -Key setup_timeout_sec -RepoPath $Repo -DataPath $Data).Source | Should -Be 'default'
        $all = @(Get-AmpConfig -RepoPath $Repo -DataPath $Data)
        $all.Key | Should -Contain 'commands.fix-ci.prompt'
        $all | Where-Object { -not $_.Source } | Should -BeNullOrEmpty

        Set-AmpConfig -Key setup_timeout_sec -Value 120 -DataPath $Data
        (Get-AmpConfig -Key setup_timeout_sec -RepoPath $Repo -DataPath $Data).Source | Should -Be (Join-Path $Data 'config.yaml')
        # The repository file is the higher layer; -Scope Repository changes it in place, comments kept.
        Set-AmpConfig -Key ports -Value 2 -Scope Repository -RepoPath $Repo -DataPath $Data
        (Get-AmpConfig -Key ports -RepoPath $Repo -DataPath $Data).Value | Should -Be 2
        Get-Content -LiteralPath $repoFile | Should -Contain "# the team's settings"
        Invoke-Git $Repo checkout --quiet -- .amp-sessions.yaml | Out-Null

        (Get-CommandError { Set-AmpConfig -Key ports -Value 99999 -DataPath $Data }).FullyQualifiedErrorId |
            Should -Be 'AmpConfigValueInvalid,AmpSessions.Module.Commands.SetAmpConfigCommand'
        (Get-CommandError { Get-AmpConfig -Key prots -RepoPath $Repo -DataPath $Data }).FullyQualifiedErrorId |
            Should -Be 'AmpConfigKeyUnknown,AmpSessions.Module.Commands.GetAmpConfigCommand'
    }

    It 'expands a slash command before the session exists and shows what its turn gets' {
        (Get-AmpSlashCommand -RepoPath $Repo -DataPath $Data).Name | Should -Contain 'fix-ci'
        (Get-AmpSlashCommand -Name fix-ci -RepoPath $Repo -DataPath $Data).Usage | Should -Be '/fix-ci job=<job>'

        $session = New-AmpSession -Name 'Fix the build' -Prompt '/fix-ci job=build' -RepoPath $Repo -Agent $Agent -DataPath $Data
        $session.Prompt | Should -Be 'The CI job build is failing: find out why and fix it.'
        $session.Ports.Count | Should -Be 3
        $session.Ports.First | Should -BeGreaterOrEqual 43100

        $environment = $session | Get-AmpRunEnvironment -DataPath $Data
        $environment.SessionId | Should -Be $session.Id
        $environment.Variables['AMP_SESSION_PORT'] | Should -Be "$($session.Ports.First)"
        $environment.WorkingDirectory | Should -Be $session.WorktreePath
        $environment | Out-String -Width 80 | Should -Match 'AMP_SESSION_PORT=\d+'

        $before = @(Get-AmpSession -DataPath $Data).Count
        (Get-CommandError { New-AmpSession -Name 'x' -Prompt '/fix-ci' -RepoPath $Repo -Agent $Agent -DataPath $Data }).FullyQualifiedErrorId |
            Should -Be 'AmpSlashCommandArgumentMissing,AmpSessions.Module.Commands.NewAmpSessionCommand'
        (Get-CommandError { New-AmpSession -Name 'x' -Prompt '/deploy now' -RepoPath $Repo -Agent $Agent -DataPath $Data }).FullyQualifiedErrorId |
            Should -Be 'AmpSlashCommandUnknown,AmpSessions.Module.Commands.NewAmpSessionCommand'
        @(Get-AmpSession -DataPath $Data).Count | Should -Be $before
    }

    It 'takes a mode for one turn and refuses one the environment does not allow before anything runs' {
        $session = New-AmpSession -Name 'Modes' -Prompt 'In src/greet.ts rename hello to greet.' -RepoPath $Repo -Agent $Agent -DataPath $Data
        (Get-AmpRunEnvironment -Id $session.Id -Environment ci -AgentMode low -DataPath $Data).Mode | Should -Be 'low'

        $refused = Get-CommandError { Invoke-AmpIteration -Id $session.Id -Environment ci -AgentMode high -DataPath $Data }
        $refused.FullyQualifiedErrorId | Should -Be 'AmpModeNotAllowed,AmpSessions.Module.Commands.InvokeAmpIterationCommand'
        $refused.Exception.Message | Should -BeLike "Mode 'high' (from parameter) is not allowed in environment 'ci'*"
        @(Get-AmpIteration -Id $session.Id -DataPath $Data) | Should -BeNullOrEmpty
    }
}
