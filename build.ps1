#Requires -Version 7.4
<#
.SYNOPSIS
    Builds AmpSessions, stages the PowerShell module, runs the tests and packs a Gallery-ready .nupkg.

.DESCRIPTION
    1. dotnet build of the solution; the module project stages out/AmpSessions/<version>/ (no pwsh needed).
    2. Test-ModuleManifest of the staged manifest.
    3. dotnet test, then the Pester suite (tests/pester/Invoke-PesterSuite.ps1, which restores the pinned
       Pester from the package source) in a child pwsh so this session never loads AmpSessions.dll.
    4. out/AmpSessions.<version>.nupkg in the layout Publish-Module produces (nuspec with the
       PSModule/PSCmdlet_/PSCommand_ tags, the module files at the package root), without Publish-Module.
       Publish it with: dotnet nuget push out/AmpSessions.<version>.nupkg --source https://www.powershellgallery.com/api/v2/package --api-key <key>

.EXAMPLE
    ./build.ps1

.EXAMPLE
    ./build.ps1 -Configuration Debug -SkipPackage
#>
[CmdletBinding()]
param(
    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Build and stage only; run no tests.
    [switch] $SkipTests,

    # Do not pack the .nupkg.
    [switch] $SkipPackage
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = $PSScriptRoot

function Invoke-Step {
    param([string] $Name, [scriptblock] $Command)
    Write-Host "==> $Name" -ForegroundColor Cyan
    & $Command
    if ($LASTEXITCODE -ne 0) {
        throw "$Name failed (exit code $LASTEXITCODE)."
    }
}

$solution = Join-Path $root 'AmpSessions.sln'
Invoke-Step 'Build and stage the module' { dotnet build $solution --configuration $Configuration --nologo }

$props = [xml](Get-Content -Raw -LiteralPath (Join-Path $root 'Directory.Build.props'))
$version = @($props.Project.PropertyGroup.VersionPrefix | Where-Object { $_ })[0]
$stage = Join-Path $root "out/AmpSessions/$version"
$manifestPath = Join-Path $stage 'AmpSessions.psd1'
Test-ModuleManifest -Path $manifestPath | Out-Null
Write-Host "Staged AmpSessions $version in $stage"

if (-not $SkipTests) {
    Invoke-Step 'Run the .NET tests' { dotnet test $solution --configuration $Configuration --no-build --nologo }
    # A child pwsh (this same PowerShell), so this session never loads (and on Windows locks) AmpSessions.dll;
    # the suite restores its pinned Pester from the package source itself.
    $pwsh = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')
    Invoke-Step 'Run the Pester tests' { & $pwsh -NoLogo -NoProfile -NonInteractive -File (Join-Path $root 'tests/pester/Invoke-PesterSuite.ps1') }
}

if (-not $SkipPackage) {
    $manifest = Import-PowerShellDataFile -LiteralPath $manifestPath
    $psData = $manifest.PrivateData.PSData
    # The tags PowerShellGet adds when it publishes a module, so Find-Module -Command works.
    $tags = @('PSModule') + @($psData.Tags) +
        @($manifest.CmdletsToExport | ForEach-Object { "PSCmdlet_$_"; "PSCommand_$_" }) + @('PSIncludes_Cmdlet') |
        Select-Object -Unique
    $escape = { param($text) [System.Security.SecurityElement]::Escape([string]$text) }
    $nuspec = @"
<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2011/08/nuspec.xsd">
  <metadata>
    <id>AmpSessions</id>
    <version>$(& $escape $manifest.ModuleVersion)</version>
    <authors>$(& $escape $manifest.Author)</authors>
    <owners>$(& $escape $manifest.CompanyName)</owners>
    <requireLicenseAcceptance>false</requireLicenseAcceptance>
    <license type="expression">MIT</license>
    <projectUrl>$(& $escape $psData.ProjectUri)</projectUrl>
    <description>$(& $escape $manifest.Description)</description>
    <releaseNotes>$(& $escape $psData.ReleaseNotes)</releaseNotes>
    <copyright>$(& $escape $manifest.Copyright)</copyright>
    <tags>$(& $escape ($tags -join ' '))</tags>
  </metadata>
  <files>
    <file src="**" target="" />
  </files>
</package>
"@
    $nuspecPath = Join-Path $root 'out/AmpSessions.nuspec'
    Set-Content -LiteralPath $nuspecPath -Value $nuspec -Encoding utf8NoBOM
    Invoke-Step 'Pack the Gallery package' {
        dotnet pack (Join-Path $root 'tools/AmpSessions.Package/AmpSessions.Package.csproj') --configuration $Configuration --nologo `
            "-p:NuspecFile=$nuspecPath" "-p:NuspecBasePath=$stage/"
    }
    Write-Host "Package: $(Join-Path $root "out/AmpSessions.$version.nupkg")"
}
