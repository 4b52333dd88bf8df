#!/usr/bin/env bash
# Issue 11's table in one run: every row re-measured, ratios against the raw equivalent, interleaved within each row.
#
#   bench/issue-11-table.sh [--quick] [--out FILE]
#
# Builds what it needs itself into a temporary folder (Release: the bench, the JIT CLI, the module; the CLI, a hello
# world and the fake agent published with Native AOT for linux-x64), then runs, in this order, and reuses for each row
# the bench that measures it (their own output goes to FILE's .log beside the table):
#   bench/cli-startup.sh         --version (AOT) vs git --version; list and list --json at N sessions vs a JIT hello world
#   AmpSessions.Bench new        new on a generated repository, the AOT CLI process and in process, vs git branch + worktree add
#   bench/lifecycle.sh           iterate (instant agent, one-file edit) vs agent + git add -A + git commit; merge (ff) vs git merge --ff-only
#   bench/count-processes.sh     git processes of new, iterate, merge and a batch item, traced (strace -f), not estimated
#   AmpSessions.Bench batch      per item at 50 and 500 items (AOT CLI) vs the raw lifecycle, 500/50 flatness (and raw's own, a reference); 1,000 items at concurrency 16
#   AmpSessions.Bench iterations 8 concurrent 2 s iterations vs one, in process and as native CLI processes (and, as
#                                references, the 8 fake agents alone and 8 raw iterations: agent, git add -A, git commit),
#                                once with the tests' JIT fake agent and once with the same fake published natively
#   bench/module.ps1             New-AmpSession over a pipeline vs raw git branch + worktree add; Get-AmpSessionState per session
# and peak RSS of the CLI process during the batches and of the orchestrating process during the iterations.
# Prints one markdown table (row, raw, ours, ratio, target, met, load average during the row) and writes it to FILE
# (default bench/issue-11-table.md). --quick uses small counts to check that everything works (a few minutes); the
# full mode uses the issue's sizes with few runs (about 20-25 minutes on an idle 2-core machine).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
quick=0
out="$root/bench/issue-11-table.md"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1; shift ;;
    --out) out="$(realpath -m "$2")"; shift 2 ;;
    *) echo "usage: bench/issue-11-table.sh [--quick] [--out FILE]" >&2; exit 2 ;;
  esac
done
log="${out%.md}.log"
: >"$log"

if ((quick)); then
  startup_runs=3 sessions=1000 new_files=300 new_runs=2 new_warmup=1 life_runs=2
  batch_small=10 batch_large=30 batch_rounds=2 big_items=48 big_rounds=1 iter_seconds=1 iter_rounds=1 iter_warmup=0
  module_pipeline=10 module_files=300 module_runs=1
else
  startup_runs=11 sessions=10000 new_files=5000 new_runs=5 new_warmup=1 life_runs=9
  batch_small=50 batch_large=500 batch_rounds=3 big_items=1000 big_rounds=3 iter_seconds=2 iter_rounds=3 iter_warmup=1
  module_pipeline=200 module_files=5000 module_runs=3
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/issue-11-table.XXXXXX")"
trap 'rm -rf "$work"' EXIT
rows="$work/rows.tsv"
: >"$rows"
started=$(date +%s)

say() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; printf '\n==== %s\n' "$*" >>"$log"; }
load() { cut -d' ' -f1 /proc/loadavg; }
# row name, raw, ours, ratio, target, met, load
row() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$rows"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
met() { awk -v r="$1" -v t="$2" 'BEGIN { if (r == "-" || r == "") print "-"; else print (r + 0 <= t + 0) ? "yes" : "**no**" }'; }
ms() { awk -v v="$1" 'BEGIN { if (v == "") print "-"; else printf "%.1f ms", v }'; }
# Waits until the disk has written back what earlier rows left dirty in memory, as bench/module.ps1 does before its
# state row: `sync` (returns once written), then Dirty + Writeback in /proc/meminfo below 16 MB, at most 120 s.
wait_disk_idle() {
  local began pending
  began=$(date +%s)
  sync
  while :; do
    pending=$(awk '/^(Dirty|Writeback):/ { sum += $2 } END { print sum + 0 }' /proc/meminfo)
    if ((pending < 16384 || $(date +%s) - began > 120)); then break; fi
    sleep 0.25
  done
  printf '\n==== disk written back in %s s (%s kB still pending), load %s\n' "$(($(date +%s) - began))" "$pending" "$(load)" >>"$log"
}
# Waits until the CPUs are idle: at least 90% idle over one second (/proc/stat), at most 180 s. After the 1,000-item
# batch the disk was written back at once in the ninth run, yet the load average stood at 17, and the iterations
# spent 80 ms of CPU each where they take 44 on a quiet machine: what the batch left running still ran.
wait_cpu_idle() {
  local began idle
  began=$(date +%s)
  while :; do
    idle=$( { head -n 1 /proc/stat; sleep 1; head -n 1 /proc/stat; } | awk '
      { idle[NR] = $5 + $6; total[NR] = 0; for (i = 2; i <= NF; i++) total[NR] += $i }
      END { printf "%d", 100 * (idle[2] - idle[1]) / (total[2] - total[1]) }')
    if ((idle >= 90 || $(date +%s) - began > 180)); then break; fi
  done
  printf '\n==== CPUs %s%% idle after %s s, load %s\n' "$idle" "$(($(date +%s) - began))" "$(load)" >>"$log"
}
# Runs a step on idle CPUs (and sets l0, the load its row starts at), with its output in the log; a failed step leaves
# its rows marked failed, the others still run.
step() { local name="$1"; shift; say "$name"; wait_cpu_idle; l0=$(load); if "$@" >>"$log" 2>&1; then return 0; else echo "  $name FAILED (see $log)" >&2; return 1; fi; }

# ---- build (Release; AOT for linux-x64) ----
say "building into $work"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 AMP_SESSIONS_NOTIFICATIONS=0
{
  dotnet build "$root/bench/AmpSessions.Bench" -c Release --nologo -v q
  dotnet build "$root/cmdlets" -c Release --nologo -v q
  dotnet publish "$root/src/AmpSessions.Cli" -c Release -r linux-x64 -o "$work/aot" --nologo -v q
  dotnet build "$root/bench/HelloWorld" -c Release -o "$work/hello-jit" --nologo -v q
  dotnet publish "$root/bench/HelloWorld" -c Release -r linux-x64 -p:PublishAot=true -o "$work/hello-aot" --nologo -v q
  dotnet publish "$root/tests/AmpSessions.FakeAgent" -c Release -r linux-x64 -p:PublishAot=true -o "$work/fake-native" --nologo -v q
  (cd "$root" && dotnet tool restore)
} >>"$log" 2>&1 || { echo "build failed: see $log" >&2; exit 1; }
ln -s "$root/src/AmpSessions.Cli/bin/Release/net8.0" "$work/jit"
aot="$work/aot/amp-sessions"
bench() { dotnet "$root/bench/AmpSessions.Bench/bin/Release/net10.0/AmpSessions.Bench.dll" "$@"; }
# The batch bench starts the CLI through this wrapper, which records each batch process's peak RSS.
cat >"$work/aot-rss" <<EOF
#!/bin/sh
exec /usr/bin/time -a -o "$work/batch-rss" -f %M "$aot" "\$@"
EOF
chmod +x "$work/aot-rss"
say "built in $(($(date +%s) - started)) s"

# ---- --version, list, list --json ----
l0=$(load)
if step "start-up and list at $sessions sessions" "$root/bench/cli-startup.sh" --prebuilt "$work" --runs "$startup_runs" --sessions "$sessions" --tsv "$work/startup.tsv"; then
  get() { awk -F'\t' -v n="$1" -v c="$2" '$1 == n { print $c }' "$work/startup.tsv"; }
  l="$l0-$(load)"
  r=$(ratio "$(get version-aot 2)" "$(get git-version 2)")
  row "\`--version\`, AOT" "$(ms "$(get git-version 2)") (\`git --version\`)" "$(ms "$(get version-aot 2)")" "$r" "≤ 2" "$(met "$r" 2)" "$l"
  r=$(ratio "$(get list-aot 2)" "$(get hello-jit 2)")
  row "\`list\`, $sessions sessions, AOT" "$(ms "$(get hello-jit 2)") (JIT hello world)" "$(ms "$(get list-aot 2)")" "$r" "≤ 1.5" "$(met "$r" 1.5)" "$l"
  r=$(ratio "$(get list-json-aot 2)" "$(get hello-jit 2)")
  row "\`list --json\`, $sessions sessions, AOT (peak RSS)" "$(ms "$(get hello-jit 2)") (JIT hello world)" "$(ms "$(get list-json-aot 2)") ($(($(get list-json-aot 3) / 1024)) MB)" "$r" "streams" "-" "$l"
else
  row "\`--version\`, \`list\`, \`list --json\`" "" "" "" "" "failed" "$l0"
fi

# ---- new ----
l0=$(load)
if step "new on a $new_files-file repository" bench new --files "$new_files" --runs "$new_runs" --warmup "$new_warmup" --cli-path "$aot"; then
  median() { grep -F "$1" "$log" | tail -n 1 | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^[0-9.]+$/ && $(i + 1) == "ms") { print $i; exit } }'; }
  raw=$(median "raw git (branch + worktree add)")
  l="$l0-$(load)"
  r=$(ratio "$(median "CLI process (amp-sessions new)")" "$raw")
  row "\`new\`, $new_files-file repo, CLI process (AOT)" "$(ms "$raw") (\`git branch\` + \`git worktree add\`)" "$(ms "$(median "CLI process (amp-sessions new)")")" "$r" "≤ 1.25" "$(met "$r" 1.25)" "$l"
  r=$(ratio "$(median "new (SessionManager.CreateAsync)")" "$raw")
  row "\`new\`, same, in process" "$(ms "$raw")" "$(ms "$(median "new (SessionManager.CreateAsync)")")" "$r" "≤ 1.25" "$(met "$r" 1.25)" "$l"
else
  row "\`new\`" "" "" "" "" "failed" "$l0"
fi

# ---- iterate, merge ----
l0=$(load)
if step "iterate and merge" "$root/bench/lifecycle.sh" --cli "$aot" --runs "$life_runs" --tsv "$work/life.tsv"; then
  get() { awk -F'\t' -v n="$1" '$1 == n { print $2 }' "$work/life.tsv"; }
  l="$l0-$(load)"
  row "\`iterate\`, one-file edit, instant agent (AOT)" "$(ms "$(get iterate-raw)") (agent + \`git add -A\` + \`git commit\`)" "$(ms "$(get iterate)")" "$(ratio "$(get iterate)" "$(get iterate-raw)")" "-" "-" "$l"
  row "\`merge\`, fast-forward (AOT)" "$(ms "$(get merge-raw)") (\`git merge --ff-only\`)" "$(ms "$(get merge)")" "$(ratio "$(get merge)" "$(get merge-raw)")" "-" "-" "$l"
else
  row "\`iterate\`, \`merge\`" "" "" "" "" "failed" "$l0"
fi

# ---- git processes (traced) ----
l0=$(load)
if step "git processes (strace -f)" "$root/bench/count-processes.sh" "$aot"; then
  counts="$(grep '^processes beyond raw git:' "$log" | tail -n 1)"
  n() { printf '%s\n' "$counts" | sed -n "s/.*$1 \([0-9]*\).*/\1/p"; }
  l="$l0-$(load)"
  c=$(n new); row "git processes of \`new\` beyond \`worktree add\`" "1 (\`branch\`)" "$c" "-" "≤ 2" "$(met "$c" 2)" "$l"
  c=$(n iterate); row "git processes of \`iterate\` beyond the agent, a first turn" "3 (\`add\`, \`commit\` and the \`maintenance run --auto\` it starts)" "$c" "-" "≤ 4" "$(met "$c" 4)" "$l"
  c=$(n "next turn"); row "git processes of \`iterate\` beyond the agent, a later turn (adds the \`diff\` for the agent's context)" "3" "$c" "-" "≤ 4" "$(met "$c" 4)" "$l"
  c=$(n merge); row "git processes of \`merge\` (fast-forward)" "1 (\`merge --ff-only\`)" "$c" "-" "≤ 6" "$(met "$c" 6)" "$l"
  c=$(n "batch item"); row "processes per batch item, all" "11 (the raw lifecycle)" "$c" "$(ratio "$c" 11)" "-" "-" "$l"
else
  row "git processes" "" "" "" "" "failed" "$l0"
fi

# ---- batches (the AOT CLI) ----
: >"$work/batch-rss"
l0=$(load)
if step "batch, $batch_small and $batch_large items" bench batch --items "$batch_small,$batch_large" --rounds "$batch_rounds" --cli "$work/aot-rss"; then
  # | items | concurrency | raw per item | batch per item | ratio | total | items/s |
  per() { grep -E "^\| $1 \| 1 \|" "$log" | tail -n 1 | awk -F'|' -v c="$2" '{ gsub(/ ms|^ +| +$/, "", $c); print $c }'; }
  l="$l0-$(load)"
  for size in "$batch_small" "$batch_large"; do
    r=$(per "$size" 6)
    row "batch per item, $size items, instant agent (AOT CLI)" "$(ms "$(per "$size" 4)") (raw lifecycle)" "$(ms "$(per "$size" 5)")" "$r" "≤ 1.3" "$(met "$r" 1.3)" "$l"
  done
  flat=$(grep '^Cost per item, largest batch against smallest:' "$log" | tail -n 1 | sed 's/.*smallest: \([0-9.]*\).*/\1/')
  row "batch per item, $batch_large against $batch_small items (flat)" "-" "-" "$flat" "≤ 1.05" "$(met "$flat" 1.05)" "$l"
  raw_flat=$(grep '^Raw lifecycle per item, largest batch against smallest:' "$log" | tail -n 1 | sed 's/.*smallest: \([0-9.]*\).*/\1/')
  row "the raw lifecycle per item, $batch_large against $batch_small items (reference)" "-" "-" "$raw_flat" "-" "-" "$l"
else
  row "batch per item" "" "" "" "" "failed" "$l0"
fi
l0=$(load)
if step "batch, $big_items items at concurrency 16" bench batch --items "$big_items" --concurrency 16 --rounds "$big_rounds" --cli "$work/aot-rss"; then
  per() { grep -E "^\| $big_items \| 16 \|" "$log" | tail -n 1 | awk -F'|' -v c="$1" '{ gsub(/ ms|^ +| +$/, "", $c); print $c }'; }
  r=$(per 6)
  row "$big_items-item batch, concurrency 16 (AOT CLI), per item" "$(ms "$(per 4)") (raw lifecycle, concurrency 16)" "$(ms "$(per 5)")" "$r" "≤ 1.3" "$(met "$r" 1.3)" "$l0-$(load)"
else
  row "$big_items-item batch, concurrency 16" "" "" "" "" "failed" "$l0"
fi
peak=$(sort -n "$work/batch-rss" | tail -n 1)
if [ -n "$peak" ]; then
  row "peak RSS of the CLI process during the batches" "-" "$((peak / 1024)) MB" "-" "≤ 150 MB" "$( ((peak / 1024 <= 150)) && echo yes || echo '**no**')" "-"
fi

# ---- 8 concurrent iterations ----
# The 1,000-item batch before leaves a thousand worktrees' files for the disk to write back and delete; iterations timed
# during that measure the batch's aftermath (the eighth run started this row at a load average of 17).
wait_disk_idle
# "NAME: one A s, 8 at once B s: ratio R ..." lines of the last iterations step: A and B in ms, then R.
pair() { grep -E "^  $1:" "$log" | tail -n 1 | sed 's/.*one \([0-9.]*\) s, 8 at once \([0-9.]*\) s: ratio \([0-9.]*\).*/\1 \2 \3/' | awk '{ print $1 * 1000, $2 * 1000, $3 }'; }
# Twice: with the fake agent the tests use (framework-dependent, ~50 ms of JIT CPU at each start: on 2 cores, 8 of them
# starting together already take 1.14 without any orchestration), then with the same fake published natively (~9 ms),
# so the agents' own start-up leaves the orchestration's cost in view. Both fakes print the same stream.
iterations() {
  local label="$1"; shift
  l0=$(load)
  if step "8 concurrent iterations of $iter_seconds s, $label" bench iterations --agents 8 --seconds "$iter_seconds" --rounds "$iter_rounds" --warmup "$iter_warmup" --cli "$aot" "$@"; then
    one=$(grep -E '^  one iteration:' "$log" | tail -n 1 | awk '{ print $3 * 1000 }')
    all=$(grep -E '^  8 at once:' "$log" | tail -n 1 | awk '{ print $4 * 1000 }')
    ws=$(grep -E '^  peak working set:' "$log" | tail -n 1 | sed 's/.*set: *\([0-9.]*\) *MB.*/\1/')
    read -r alone_one alone_all alone_ratio <<<"$(pair "the agents alone")"
    read -r raw_one raw_all raw_ratio <<<"$(pair "raw iterations")"
    read -r cli_one cli_all cli_ratio <<<"$(pair "CLI processes")"
    l="$l0-$(load)"
    r=$(ratio "$all" "$one")
    row "8 concurrent $iter_seconds s iterations vs one (in process), $label" "$(ms "$one") (one)" "$(ms "$all") (8 at once)" "$r" "≤ 1.15" "$(met "$r" 1.15)" "$l"
    row "the 8 fake agents alone, at once vs one (reference), $label" "$(ms "$alone_one")" "$(ms "$alone_all")" "$alone_ratio" "-" "-" "$l"
    row "8 raw iterations at once vs one (reference: the agent, \`git add -A\`, \`git commit\`), $label" "$(ms "$raw_one")" "$(ms "$raw_all")" "$raw_ratio" "-" "-" "$l"
    row "8 concurrent $iter_seconds s iterations vs one, native CLI processes (\`amp-sessions iterate\`), $label" "$(ms "$cli_one") (one)" "$(ms "$cli_all") (8 at once)" "$cli_ratio" "≤ 1.15" "$(met "$cli_ratio" 1.15)" "$l"
    row "peak working set of the orchestrating process during the iterations, $label" "-" "${ws:-?} MB" "-" "≤ 150 MB" "$(awk -v w="$ws" 'BEGIN { if (w == "") print "-"; else print (w + 0 <= 150) ? "yes" : "**no**" }')" "$l"
  else
    row "8 concurrent iterations, $label" "" "" "" "" "failed" "$l0"
  fi
}
iterations "JIT fake agent"
iterations "native fake agent" --agent "$work/fake-native/fake-amp"

# ---- the module ----
l0=$(load)
if step "module: New-AmpSession x $module_pipeline, Get-AmpSessionState ($module_files files)" \
  bash -c 'cd "$1" && dotnet tool run pwsh -NoProfile -Command "& ./bench/module.ps1 -Only state,new -Pipeline $2 -Files $3 -Runs $4"' _ "$root" "$module_pipeline" "$module_files" "$module_runs"; then
  newline=$(grep -E '^new ' "$log" | tail -n 1)
  ours=$(printf '%s\n' "$newline" | sed 's/.* sessions \([0-9,.]*\) ms, raw git \([0-9,.]*\) ms: \([0-9.]*\)x.*/\1/' | tr -d ,)
  raw=$(printf '%s\n' "$newline" | sed 's/.* sessions \([0-9,.]*\) ms, raw git \([0-9,.]*\) ms: \([0-9.]*\)x.*/\2/' | tr -d ,)
  state=$(grep -E '^state ' "$log" | tail -n 1 | awk '{ gsub(/,/, "", $2); print $2 }')
  status=$(grep -E '^state ' "$log" | tail -n 1 | sed -n 's/.*raw git status \([0-9.,]*\) ms per worktree.*/\1/p' | tr -d ,)
  l="$l0-$(load)"
  r=$(ratio "$ours" "$raw")
  row "\`New-AmpSession\` over a pipeline of $module_pipeline, $module_files files (pwsh)" "$(ms "$raw") (\`git branch\` + \`git worktree add\` ×$module_pipeline)" "$(ms "$ours")" "$r" "≤ 1.2" "$(met "$r" 1.2)" "$l"
  row "\`Get-AmpSessionState\` per session, $module_files files (pwsh)" "$(ms "$status") (\`git status --porcelain=v2 --branch\` per worktree, a floor)" "$(ms "$state")" "$(ratio "$state" "$status")" "≤ 30 ms" "$(awk -v s="$state" 'BEGIN { if (s == "") print "-"; else print (s + 0 <= 30) ? "yes" : "**no**" }')" "$l"
else
  row "module" "" "" "" "" "failed" "$l0"
fi

# ---- the table ----
took=$(($(date +%s) - started))
{
  echo "Issue 11's table, one run: $(date -u '+%Y-%m-%d %H:%M UTC'), $(git -C "$root" rev-parse --short HEAD), $(nproc) cores, $( ((quick)) && echo "--quick (small counts: a check, not figures)" || echo "full"), took $((took / 60)) min $((took % 60)) s."
  echo
  echo "| row | raw | ours | ratio | target | met | load |"
  echo "|---|---|---|---|---|---|---|"
  awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7 }' "$rows"
  echo
  echo "Load is the 1-minute load average at the start and end of the row; each bench's own output is in $(basename "$log")."
} >"$out"
cat "$out"
