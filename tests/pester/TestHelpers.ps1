# Helpers the Pester files share: dot-source this first in a BeforeAll block.

# The repository, its version (Directory.Build.props) and the module `dotnet build` staged from it.
$script:RepositoryRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$script:Version = @(([xml](Get-Content -Raw (Join-Path $RepositoryRoot 'Directory.Build.props'))).Project.PropertyGroup.VersionPrefix | Where-Object { $_ })[0]
$script:Staged = Join-Path $RepositoryRoot "out/AmpSessions/$Version"
$script:ManifestPath = Join-Path $Staged 'AmpSessions.psd1'

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

# The fake `amp` (tests/AmpSessions.FakeAgent), built when no build of it is found; sessions use it as `amp:'<path>'`.
function script:Get-FakeAgent {
    $name = if ($IsWindows) { 'fake-amp.exe' } else { 'fake-amp' }
    $project = Join-Path $RepositoryRoot 'tests/AmpSessions.FakeAgent'
    $find = {
        Get-ChildItem -LiteralPath (Join-Path $project 'bin') -Recurse -File -ErrorAction SilentlyContinue |
            Where-Object { $_.Name -eq $name -and $_.Directory.Name -eq 'net10.0' } |
            Sort-Object LastWriteTimeUtc -Descending | Select-Object -First 1
    }
    $agent = & $find
    if (-not $agent) {
        & dotnet build $project --nologo --verbosity quiet | Out-Null
        if ($LASTEXITCODE -ne 0) { throw "dotnet build $project failed" }
        $agent = & $find
    }
    if (-not $agent) { throw "No $name under $project/bin after building it" }
    $agent.FullName
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
