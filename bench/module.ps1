#Requires -Version 7.4
<#
.SYNOPSIS
    Times the PowerShell module as a user's pwsh runs it (issue 9 item 6, issue 11 item 6).
.DESCRIPTION
    Run from the repository root in the pinned pwsh, after `dotnet build`:
        dotnet tool run pwsh -NoProfile -File bench/module.ps1 [-Sessions 1000] [-Pipeline 200] [-Files 5000] [-Runs 5] [-Only import,state]

    Measures, each as the median of -Runs runs after one warm-up, in this pwsh process unless said:
      import       Import-Module of the staged module in a fresh pwsh process (cold), minus an empty pwsh
      list         Get-AmpSession over -Sessions sessions (warm: the second call in the pipeline's process)
      iterations   -Pipeline sessions piped to Get-AmpIteration (one store for the pipeline)
      complete     tab completion of Get-AmpSession -Id over -Sessions sessions (CommandCompletion.CompleteInput)
      state        Get-AmpSessionState per session over a pipeline of 20 sessions of a -Files file
                   repository of its own (ms per session); timed before new, once the disk has written
                   back what making its 20 worktrees left in memory (sync, then Dirty + Writeback in
                   /proc/meminfo below 16 MB); beside it, interleaved, one raw `git status --porcelain=v2
                   --branch` process per worktree (a floor: it reads less than the state)
      new          New-AmpSession over a pipeline of -Pipeline, against the same number of raw
                   `git branch` + `git worktree add` processes (ratio)
    The store for list/iterations/complete is filled through the core (rows only, no worktrees); state
    and new use real worktrees of generated repositories. -Only runs just the measures named. Nothing
    here is asserted: the figures go to bench/README.md.
#>
[CmdletBinding()]
param(
    [int] $Sessions = 1000,
    [int] $Pipeline = 200,
    [int] $Files = 5000,
    [int] $Runs = 5,
    [ValidateSet('import', 'list', 'iterations', 'complete', 'state', 'new')]
    [string[]] $Only = @('import', 'list', 'iterations', 'complete', 'state', 'new'),
    [string] $Temp = (Join-Path ([System.IO.Path]::GetTempPath()) "amp-module-bench-$PID"),
    [switch] $Keep
)
$ErrorActionPreference = 'Stop'
$root = Split-Path -Parent $PSScriptRoot
$version = @(([xml](Get-Content -Raw (Join-Path $root 'Directory.Build.props'))).Project.PropertyGroup.VersionPrefix | Where-Object { $_ })[0]
$manifest = Join-Path $root "out/AmpSessions/$version/AmpSessions.psd1"
$pwsh = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')
New-Item -ItemType Directory -Path $Temp -Force | Out-Null
$env:AMP_SESSIONS_NOTIFICATIONS = '0'

function Measure-Median {
    param([scriptblock] $Action, [int] $Count = $Runs)
    & $Action | Out-Null
    $times = foreach ($i in 1..$Count) { (Measure-Command { & $Action | Out-Null }).TotalMilliseconds }
    ($times | Sort-Object)[[int][Math]::Floor($times.Count / 2)]
}

function Write-Row([string] $Name, [double] $Milliseconds, [string] $Target, [string] $Note = '') {
    '{0,-12} {1,10:N1} ms   target {2,-10} {3}' -f $Name, $Milliseconds, $Target, $Note
}

# Waits until the disk has written back what earlier steps left dirty in memory: `sync` writes it (and returns when it is
# written), then Dirty + Writeback in /proc/meminfo must stay below 16 MB (others may write meanwhile; at most 120 s).
# Making 20 worktrees of 5,000 files leaves 100,000 new files to write back, the new row's 400 worktrees two million: a
# row timed during that write-back measures the disk's flushing as much as its own reads.
function Wait-DiskIdle {
    $watch = [System.Diagnostics.Stopwatch]::StartNew()
    if (Get-Command sync -CommandType Application -ErrorAction SilentlyContinue) { & sync }
    $pending = $null
    if (Test-Path /proc/meminfo) {
        while ($true) {
            $pending = (Get-Content /proc/meminfo | Where-Object { $_ -match '^(Dirty|Writeback):' } | ForEach-Object { [long](($_ -split '\s+')[1]) } | Measure-Object -Sum).Sum
            if ($pending -lt 16384 -or $watch.Elapsed.TotalSeconds -gt 120) { break }
            Start-Sleep -Milliseconds 250
        }
    }
    'disk written back in {0:N1} s{1}' -f $watch.Elapsed.TotalSeconds, ($null -eq $pending ? '' : (', {0:N0} kB still pending' -f $pending))
}

# A git repository of $Files small files in 200 folders, one commit on main.
function New-BenchRepository([string] $Path) {
    New-Item -ItemType Directory -Path $Path | Out-Null
    foreach ($i in 0..($Files - 1)) {
        $folder = Join-Path $Path ('src/area{0:D2}/module{1:D2}' -f ($i % 40), ([int][Math]::Floor($i / 40) % 5))
        if (-not (Test-Path $folder)) { New-Item -ItemType Directory -Path $folder | Out-Null }
        [System.IO.File]::WriteAllText((Join-Path $folder "file$i.ts"), "export const value$i = $i;`n")
    }
    Invoke-Git $Path init --quiet --initial-branch=main
    Invoke-Git $Path add --all
    Invoke-Git $Path commit --quiet -m 'generated'
}

function Invoke-Git {
    param([string] $Repository, [Parameter(ValueFromRemainingArguments)] [string[]] $Arguments)
    & git -C $Repository -c user.name=Bench -c user.email=bench@example.com @Arguments
    if ($LASTEXITCODE -ne 0) { throw "git $Arguments failed" }
}

try {
    # ---- import: a fresh process each time, so the module's assemblies load cold ----
    if ('import' -in $Only) {
        $empty = Measure-Median { & $pwsh -NoLogo -NoProfile -NonInteractive -Command 'exit 0' }
        $withImport = Measure-Median { & $pwsh -NoLogo -NoProfile -NonInteractive -Command "Import-Module '$manifest'; exit 0" }
        # The import alone, timed inside the fresh process: what a profile that imports the module pays.
        $inProcess = @(foreach ($i in 1..$Runs) { [int](& $pwsh -NoLogo -NoProfile -NonInteractive -Command "[int](Measure-Command { Import-Module '$manifest' }).TotalMilliseconds") }) | Sort-Object
        Write-Row 'import' ($withImport - $empty) '<= 250' ("fresh pwsh {0:N0} ms, with Import-Module {1:N0} ms; timed inside pwsh {2:N0} ms" -f $empty, $withImport, $inProcess[[int][Math]::Floor($inProcess.Count / 2)])
    }

    Import-Module $manifest

    # ---- a store with -Sessions sessions, each with one iteration (rows through the core) ----
    $data = Join-Path $Temp 'data'
    $context = [AmpSessions.Core.AmpContext]::Open($data)
    $now = [DateTimeOffset]::UtcNow.ToString('o')
    $options = [AmpSessions.Core.Serialization.JsonOutput]::Options
    $fill = @($Only | Where-Object { $_ -in 'list', 'iterations', 'complete' }).Count -gt 0
    foreach ($i in $(if ($fill) { 1..$Sessions })) {
        $id = 's{0:D7}' -f $i
        # Rows as the core's own JSON shape (the records' init-only properties are set by the serializer).
        $session = @{
            id = $id; name = "Session $i"; prompt = 'p'; repoRoot = (Join-Path $Temp 'repo'); baseBranch = 'main'; baseCommit = ('0' * 40)
            branchName = "amp/session-$i/20260101-000000"; worktreePath = (Join-Path $Temp "repo/.worktrees/$id"); status = 'Idle'; createdAt = $now; updatedAt = $now
        } | ConvertTo-Json -Compress
        $context.Sessions.Insert([System.Text.Json.JsonSerializer]::Deserialize($session, [AmpSessions.Core.Sessions.Session], $options))
        $iteration = @{ sessionId = $id; number = 1; prompt = 'p'; startedAt = $now; endedAt = $now; duration = '00:00:02'; status = 'Succeeded' } | ConvertTo-Json -Compress
        $null = $context.Iterations.InsertNext([System.Text.Json.JsonSerializer]::Deserialize($iteration, [AmpSessions.Core.Iterations.IterationRecord], $options))
    }

    if ('list' -in $Only) {
        $list = Measure-Median { Get-AmpSession -DataPath $data }
        Write-Row 'list' $list '<= 150' "$Sessions sessions"
    }

    if ('iterations' -in $Only) {
        $ids = @(Get-AmpSession -DataPath $data | Select-Object -First $Pipeline)
        $iterations = Measure-Median { $ids | Get-AmpIteration -DataPath $data }
        Write-Row 'iterations' $iterations '<= 300' "$Pipeline sessions piped"
    }

    if ('complete' -in $Only) {
        $line = "Get-AmpSession -DataPath '$data' -Id s00001"
        $complete = Measure-Median { [System.Management.Automation.CommandCompletion]::CompleteInput($line, $line.Length, $null) }
        Write-Row 'complete' $complete '<= 100' "$Sessions sessions, $(@([System.Management.Automation.CommandCompletion]::CompleteInput($line, $line.Length, $null).CompletionMatches).Count) matches"
    }
    # ---- state: 20 sessions of a repository of its own, timed before new and after the disk wrote back making them ----
    if ('state' -in $Only) {
        $stateRepo = Join-Path $Temp 'state'
        New-BenchRepository $stateRepo
        $stateData = Join-Path $Temp 'state-data'
        1..20 | ForEach-Object { [pscustomobject]@{ Name = "state $_"; Prompt = 'p' } } | New-AmpSession -RepoPath $stateRepo -DataPath $stateData | Out-Null
        $some = @(Get-AmpSession -DataPath $stateData)
        $drained = Wait-DiskIdle
        # Beside it, interleaved (alternating which goes first, after one warm-up of each), what asking git itself costs:
        # one `git status --porcelain=v2 --branch` process per worktree, started from this pwsh as a user's script would.
        # It reads less than the state does (no base branch, ahead/behind or merge base): a floor, not an equivalent.
        $ourState = { $some | Get-AmpSessionState -DataPath $stateData | Out-Null }
        $rawStatus = { foreach ($s in $some) { & git -C $s.WorktreePath status --porcelain=v2 --branch | Out-Null } }
        & $ourState; & $rawStatus
        $stateTimes = @(); $rawTimes = @()
        foreach ($i in 1..$Runs) {
            $first = $i % 2 -eq 1
            if ($first) { $stateTimes += (Measure-Command $ourState).TotalMilliseconds }
            $rawTimes += (Measure-Command $rawStatus).TotalMilliseconds
            if (-not $first) { $stateTimes += (Measure-Command $ourState).TotalMilliseconds }
        }
        $state = ($stateTimes | Sort-Object)[[int][Math]::Floor($stateTimes.Count / 2)]
        $raw = ($rawTimes | Sort-Object)[[int][Math]::Floor($rawTimes.Count / 2)]
        # How often one pipeline opened the main checkout and the worktrees for its in-process reads (the core's own counts).
        $handles = [AmpSessions.Core.Git.RepositoryHandles]
        $opened = { @($some.WorktreePath | ForEach-Object { $handles::CountsFor($_).Opened }) + $handles::CountsFor($stateRepo).Opened }
        $before = & $opened
        $some | Get-AmpSessionState -DataPath $stateData | Out-Null
        $after = & $opened
        $worktreeOpens = ($after[0..($some.Count - 1)] | Measure-Object -Sum).Sum - ($before[0..($some.Count - 1)] | Measure-Object -Sum).Sum
        Write-Row 'state' ($state / $some.Count) '<= 30' ("per session, {0} sessions on {1} files; raw git status {5:N1} ms per worktree; one pipeline opened the main checkout {2}x and the {0} worktrees {3}x; {4}" -f $some.Count, $Files, ($after[-1] - $before[-1]), $worktreeOpens, $drained, ($raw / $some.Count))
    }

    # ---- new: New-AmpSession over a pipeline, against raw git doing what it needs (branch + worktree add) ----
    if ('new' -in $Only) {
        $repo = Join-Path $Temp 'big'
        New-BenchRepository $repo
        $bigData = Join-Path $Temp 'big-data'
        $names = 1..$Pipeline | ForEach-Object { "bench $_" }
        $newTime = (Measure-Command { $names | ForEach-Object { [pscustomobject]@{ Name = $_; Prompt = 'p' } } | New-AmpSession -RepoPath $repo -DataPath $bigData | Out-Null }).TotalMilliseconds
        $rawRepo = Join-Path $Temp 'raw'
        Invoke-Git $repo clone --quiet --no-hardlinks $repo $rawRepo 2>$null
        $rawTime = (Measure-Command {
            foreach ($i in 1..$Pipeline) {
                & git -C $rawRepo branch "raw-$i" main
                & git -C $rawRepo worktree add --quiet (Join-Path $rawRepo ".worktrees/raw-$i") "raw-$i"
            }
        }).TotalMilliseconds
        Write-Row 'new' ($newTime / $Pipeline) '<= 1.2x raw' ("{0} sessions {1:N0} ms, raw git {2:N0} ms: {3:N2}x" -f $Pipeline, $newTime, $rawTime, ($newTime / $rawTime))
    }
}
finally {
    if (-not $Keep) {
        Get-ChildItem -LiteralPath $Temp -Recurse -File -ErrorAction SilentlyContinue | ForEach-Object { $_.Attributes = 'Normal' }
        Remove-Item -LiteralPath $Temp -Recurse -Force -ErrorAction SilentlyContinue
    }
}
