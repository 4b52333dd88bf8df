#Requires -Version 7.4
<#
.SYNOPSIS
    Runs the module's Pester 5 suite (tag CI) against the staged module; the one entry point for
    build.ps1, .ci/run-pester and the GitHub Actions workflow.
.PARAMETER InstallPester
    Install Pester 5 for the current user when it is missing (CI); otherwise a missing Pester fails.
#>
[CmdletBinding()]
param(
    [switch] $InstallPester
)
$ErrorActionPreference = 'Stop'

$pester = Get-Module -ListAvailable -Name Pester | Where-Object { $_.Version -ge [version]'5.3.0' } | Sort-Object Version -Descending | Select-Object -First 1
if (-not $pester -and $InstallPester) {
    Install-Module -Name Pester -MinimumVersion 5.3.0 -Scope CurrentUser -Force -SkipPublisherCheck
    $pester = Get-Module -ListAvailable -Name Pester | Where-Object { $_.Version -ge [version]'5.3.0' } | Sort-Object Version -Descending | Select-Object -First 1
}
if (-not $pester) {
    throw 'Pester 5.3 or later is not installed: run Install-Module Pester -MinimumVersion 5.3.0 -Scope CurrentUser.'
}
Import-Module $pester.Path -Force

$configuration = New-PesterConfiguration
$configuration.Run.Path = $PSScriptRoot
$configuration.Run.Exit = $false
$configuration.Run.PassThru = $true
$configuration.Filter.Tag = 'CI'
$configuration.Output.Verbosity = 'Detailed'
$configuration.TestResult.Enabled = $true
$configuration.TestResult.OutputPath = Join-Path $PSScriptRoot '../../out/pester-results.xml'
$result = Invoke-Pester -Configuration $configuration

# The closing line CI reads: 'N passed, N failed'.
"Pester: $($result.PassedCount) passed, $($result.FailedCount) failed"
if ($result.FailedCount -gt 0 -or $result.Result -ne 'Passed') {
    exit 1
}
