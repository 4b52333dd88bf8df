#Requires -Version 7.4
<#
.SYNOPSIS
    Runs the module's Pester 5 suite (tag CI) against the staged module; the one entry point for
    build.ps1, .ci/run-pester and the GitHub Actions workflow.
.DESCRIPTION
    Pester comes from the package source, never from the machine: the restore-only project
    tests/pester/Pester.Restore.proj puts the pinned version under out/modules/Pester/<version>/,
    which this script puts first on PSModulePath. A failed test, a failed restore or a missing
    staged module fails the run (exit code 1); nothing is skipped.
#>
[CmdletBinding()]
param()
$ErrorActionPreference = 'Stop'

$repositoryRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$restoreProject = Join-Path $PSScriptRoot 'Pester.Restore.proj'
$pesterVersion = ([xml](Get-Content -Raw -LiteralPath $restoreProject)).Project.PropertyGroup.PesterVersion | Where-Object { $_ } | Select-Object -First 1
$modules = Join-Path $repositoryRoot 'out/modules'
$pesterManifest = Join-Path $modules "Pester/$pesterVersion/Pester.psd1"
if (-not (Test-Path -LiteralPath $pesterManifest)) {
    & dotnet msbuild $restoreProject -restore -t:StagePester -v:q -nologo
    if ($LASTEXITCODE -ne 0) { throw "Restoring Pester $pesterVersion failed (dotnet msbuild $restoreProject, exit code $LASTEXITCODE)." }
}
$env:PSModulePath = $modules + [System.IO.Path]::PathSeparator + $env:PSModulePath
Import-Module -Name Pester -RequiredVersion $pesterVersion -Force

$configuration = New-PesterConfiguration
$configuration.Run.Path = $PSScriptRoot
$configuration.Run.Exit = $false
$configuration.Run.PassThru = $true
$configuration.Filter.Tag = 'CI'
$configuration.Output.Verbosity = 'Detailed'
# Colour codes only for a terminal: CI logs stay readable.
$configuration.Output.RenderMode = if ([Console]::IsOutputRedirected) { 'Plaintext' } else { 'Auto' }
$configuration.TestResult.Enabled = $true
$configuration.TestResult.OutputPath = Join-Path $repositoryRoot 'out/pester-results.xml'
try {
    $result = Invoke-Pester -Configuration $configuration
}
catch {
    # Pester itself failed (writing the results file, say): still one closing line, and a failure.
    Write-Error -ErrorRecord $_ -ErrorAction Continue
    "Pester: 0 passed, 1 failed"
    exit 1
}

# The closing line CI reads and sums: 'N passed, N failed'.
"Pester: $($result.PassedCount) passed, $($result.FailedCount) failed"
if ($result.FailedCount -gt 0 -or $result.Result -ne 'Passed' -or $result.PassedCount -eq 0) {
    exit 1
}
