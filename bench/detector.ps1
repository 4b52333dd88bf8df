#Requires -Version 7.4
<#
.SYNOPSIS
    The main-checkout detector's cost per agent turn (issue 14), in process as an iteration runs it.
.DESCRIPTION
    Each iteration fingerprints the main checkout before and after the turn (one `git status
    --porcelain=v2 --untracked-files=all`, one `for-each-ref`, a SHA-256 of every changed or untracked
    file) and compares the two. This times exactly that code (AmpSessions.Core's
    MainCheckoutFingerprint, loaded from the build) against one raw `git status --porcelain` process,
    what a person runs to see whether the checkout changed, on a generated checkout of -Files files:
    clean, then with 50 modified and 20 untracked files. Runs alternate which side goes first.
    bench/beyond.sh runs it; see bench/README.md.
.EXAMPLE
    dotnet tool run pwsh -NoProfile -File bench/detector.ps1 -Files 5000 -Runs 15
#>
[CmdletBinding()]
param(
    [int] $Files = 5000,
    [int] $Runs = 15,
    # The folder of a built AmpSessions.Core.dll (default: the CLI's Release build, else its Debug build).
    [string] $CoreDirectory
)
$ErrorActionPreference = 'Stop'
$root = (Resolve-Path (Join-Path $PSScriptRoot '..')).Path
if (-not $CoreDirectory) {
    $CoreDirectory = @('Release', 'Debug') | ForEach-Object { Join-Path $root "src/AmpSessions.Cli/bin/$_/net8.0" } |
        Where-Object { Test-Path (Join-Path $_ 'AmpSessions.Core.dll') } | Select-Object -First 1
}
if (-not $CoreDirectory) { throw 'No build of AmpSessions.Core.dll: run dotnet build AmpSessions.sln first.' }
Add-Type -LiteralPath (Join-Path $CoreDirectory 'AmpSessions.Core.dll')

$temp = Join-Path ([System.IO.Path]::GetTempPath()) ("amp-bench-detector-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
$repo = Join-Path $temp 'repo'
try {
    # A source-like tree: about 25 files per folder, three levels deep, a few hundred bytes each.
    $random = [System.Random]::new(42)
    for ($i = 0; $i -lt $Files; $i++) {
        $folder = Join-Path $repo ('src/area{0:D2}/module{1:D2}/part{2}' -f [int][math]::Floor($i / 1000), ([int][math]::Floor($i / 100) % 10), ([int][math]::Floor($i / 25) % 4))
        [System.IO.Directory]::CreateDirectory($folder) | Out-Null
        $lines = foreach ($line in 0..(8 + $random.Next(24))) { "export const value$line = $($random.Next());" }
        [System.IO.File]::WriteAllLines((Join-Path $folder ('file{0:D5}.ts' -f $i)), [string[]]$lines)
    }
    git -C $repo init --quiet --initial-branch=main
    git -C $repo add --all
    git -C $repo -c user.name=Bench -c user.email=bench@example.com commit --quiet -m generated
    "  main checkout of $((git -C $repo ls-files).Count) files; $Runs runs each, after one warm-up"

    $detector = {
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        $before = [AmpSessions.Core.Containment.MainCheckoutFingerprint]::CaptureAsync($repo, 'main', 'git', [System.Threading.CancellationToken]::None).GetAwaiter().GetResult()
        $after = [AmpSessions.Core.Containment.MainCheckoutFingerprint]::CaptureAsync($repo, 'main', 'git', [System.Threading.CancellationToken]::None).GetAwaiter().GetResult()
        $changed = $before.Differences($after, $false, $false)
        $clock.Stop()
        if ($changed.Count -ne 0) { throw "the checkout changed while it was measured: $($changed -join ', ')" }
        $clock.Elapsed.TotalMilliseconds
    }
    $raw = {
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        git -C $repo status --porcelain | Out-Null
        $clock.Elapsed.TotalMilliseconds
    }
    $median = { param([double[]] $values) $sorted = $values | Sort-Object; if ($sorted.Count % 2) { $sorted[[math]::Floor($sorted.Count / 2)] } else { ($sorted[$sorted.Count / 2 - 1] + $sorted[$sorted.Count / 2]) / 2 } }

    foreach ($dirty in $false, $true) {
        if ($dirty) {
            Get-ChildItem -LiteralPath (Join-Path $repo 'src') -Recurse -File -Filter *.ts | Select-Object -First 50 |
                ForEach-Object { Add-Content -LiteralPath $_.FullName -Value 'export const edited = 1;' }
            foreach ($i in 0..19) { Set-Content -LiteralPath (Join-Path $repo "notes-$i.md") -Value ('x' * 4096) }
        }
        $detectorTimes = [System.Collections.Generic.List[double]]::new()
        $rawTimes = [System.Collections.Generic.List[double]]::new()
        for ($run = -1; $run -lt $Runs; $run++) {
            if ($run % 2 -eq 0) { $d = & $detector; $r = & $raw } else { $r = & $raw; $d = & $detector }
            if ($run -ge 0) { $detectorTimes.Add($d); $rawTimes.Add($r) }
        }
        $d = & $median $detectorTimes.ToArray()
        $r = & $median $rawTimes.ToArray()
        "  $(if ($dirty) { 'with 50 modified and 20 untracked files' } else { 'clean' }):"
        '    detector per turn (2 fingerprints + compare)  median {0,8:0.0} ms  (min {1:0.0})' -f $d, ($detectorTimes | Measure-Object -Minimum).Minimum
        '    raw git: one git status --porcelain          median {0,8:0.0} ms  (min {1:0.0})' -f $r, ($rawTimes | Measure-Object -Minimum).Minimum
        '    ratio detector/raw git status: {0:0.00}' -f ($d / $r)
    }
}
finally {
    Remove-Item -LiteralPath $temp -Recurse -Force -ErrorAction SilentlyContinue
}
