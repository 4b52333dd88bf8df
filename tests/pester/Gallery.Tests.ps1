#Requires -Version 7.4
# The PowerShell Gallery round trip, on a local folder repository: publish the staged module,
# install it by name into a clean HOME, import it by name in a new pwsh and use it (create and
# iterate a session with the fake agent), as a user who runs Install-PSResource AmpSessions would.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $script:Temp = Join-Path ([System.IO.Path]::GetTempPath()) ("amp-gallery-" + [guid]::NewGuid().ToString('N').Substring(0, 12))
    $script:Pwsh = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')
    $script:FakeAgent = Get-ChildItem -LiteralPath (Join-Path $RepositoryRoot 'tests/AmpSessions.FakeAgent/bin') -Recurse -File |
        Where-Object { $_.Name -eq ($IsWindows ? 'fake-amp.exe' : 'fake-amp') -and $_.Directory.Name -eq 'net10.0' } |
        Sort-Object LastWriteTimeUtc -Descending | Select-Object -First 1 -ExpandProperty FullName
    New-Item -ItemType Directory -Path $Temp | Out-Null
}

AfterAll {
    Remove-Item -LiteralPath $Temp -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'The Gallery round trip' -Tag CI {
    It 'publishes the staged module to a folder repository, installs it into a clean HOME and uses it by name' {
        $FakeAgent | Should -Not -BeNullOrEmpty -Because 'the fake agent is built with the tests'
        $cleanHome = New-Item -ItemType Directory -Path (Join-Path $Temp 'home')
        # What a fresh machine has: nothing of the user's, no git identity, no data, no modules.
        $environment = @{
            HOME = $cleanHome.FullName; USERPROFILE = $cleanHome.FullName; XDG_CONFIG_HOME = $null; XDG_DATA_HOME = $null; XDG_CACHE_HOME = $null
            LOCALAPPDATA = (Join-Path $cleanHome.FullName 'AppData'); APPDATA = (Join-Path $cleanHome.FullName 'AppData/Roaming')
            GIT_CONFIG_GLOBAL = (Join-Path $cleanHome.FullName '.gitconfig'); GIT_CONFIG_NOSYSTEM = '1'
            GIT_AUTHOR_NAME = $null; GIT_AUTHOR_EMAIL = $null; GIT_COMMITTER_NAME = $null; GIT_COMMITTER_EMAIL = $null; EMAIL = $null
            PSModulePath = $null; AMP_SESSIONS_HOME = $null; AMP_SESSIONS_NOTIFICATIONS = '0'
        }
        $publish = @"
`$ErrorActionPreference = 'Stop'
`$PSStyle.OutputRendering = 'PlainText'
`$source = Join-Path '$Temp' 'source/AmpSessions'
New-Item -ItemType Directory -Path `$source -Force | Out-Null
Copy-Item -Path (Join-Path '$Staged' '*') -Destination `$source -Recurse
New-Item -ItemType Directory -Path (Join-Path '$Temp' 'gallery') | Out-Null
Register-PSResourceRepository -Name AmpLocal -Uri (Join-Path '$Temp' 'gallery') -Trusted
Publish-PSResource -Path `$source -Repository AmpLocal
Install-PSResource -Name AmpSessions -Repository AmpLocal -Scope CurrentUser -TrustRepository -Quiet
(Get-InstalledPSResource -Name AmpSessions).InstalledLocation
"@
        $use = @"
`$ErrorActionPreference = 'Stop'
`$PSStyle.OutputRendering = 'PlainText'
Import-Module AmpSessions
`$module = Get-Module AmpSessions
`$repo = Join-Path '$Temp' 'repo'
New-Item -ItemType Directory -Path (Join-Path `$repo 'src') -Force | Out-Null
Set-Content -Path (Join-Path `$repo 'src/greet.ts') -Value 'export function hello(name: string): string {', '  return ``Hello, `${name}``', '}'
git init --quiet --initial-branch=main `$repo
git -C `$repo add --all
git -C `$repo -c user.name=Test -c user.email=test@example.com commit --quiet -m 'first'
`$session = New-AmpSession -Name 'From the gallery' -Prompt 'In src/greet.ts rename function hello to greet.' -RepoPath `$repo -Agent "amp:'$FakeAgent'"
`$iteration = `$session | Invoke-AmpIteration
"module: `$(`$module.Version) `$(`$module.ModuleBase)"
"iteration: `$(`$iteration.Status) `$(`$iteration.CommitSha -ne `$null)"
"@
        $saved = @{}
        foreach ($name in $environment.Keys) {
            $saved[$name] = [Environment]::GetEnvironmentVariable($name)
            # PowerShell passes $null to a [string] parameter as '', which would set the variable empty instead of removing it.
            if ($null -eq $environment[$name]) { Remove-Item -LiteralPath "Env:$name" -ErrorAction Ignore } else { Set-Item -LiteralPath "Env:$name" -Value $environment[$name] }
        }
        try {
            $installed = & $Pwsh -NoLogo -NoProfile -NonInteractive -Command $publish 2>&1
            $LASTEXITCODE | Should -Be 0 -Because "publish and install: $installed"
            $used = & $Pwsh -NoLogo -NoProfile -NonInteractive -Command $use 2>&1
            $LASTEXITCODE | Should -Be 0 -Because "import by name and iterate: $used"
        }
        finally {
            foreach ($name in $saved.Keys) {
                if ($null -eq $saved[$name]) { Remove-Item -LiteralPath "Env:$name" -ErrorAction Ignore } else { Set-Item -LiteralPath "Env:$name" -Value $saved[$name] }
            }
        }
        "$($installed | Select-Object -Last 1)" | Should -BeLike "$($cleanHome.FullName)*"
        $used | Should -Contain "iteration: Succeeded True"
        ($used | Where-Object { "$_" -like 'module: *' }) | Should -BeLike "module: $Version $($cleanHome.FullName)*"
    }
}
