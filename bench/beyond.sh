#!/usr/bin/env bash
# What issue 14's features cost in time, as whole processes where users (or Amp) start processes,
# reported as medians and ratios against raw git (see "Issue 14" in bench/README.md):
#   1. the guard: one delegate program start per vetted tool call (Amp starts it before the tool runs),
#      as the CLI's apphost, as `dotnet amp-sessions.dll` (the launcher when the CLI runs that way) and
#      as pwsh loading the core (the launcher when only the module is installed), against `git rev-parse`;
#   2. the detector: per turn, in process (bench/detector.ps1 times the core's own code);
#   3. budget tracking: an `iterate` of a session with every budget set against one with none;
#   4. the merge queue: `queue` of N sessions against `merge` of the same N one by one.
#
# usage: bench/beyond.sh [--runs N] [--sessions N] [--files N] [--skip-detector]
# Needs a build (`dotnet build AmpSessions.sln`, or -c Release: Release is used when it exists).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

runs=15 sessions=5 files=5000 detector=1
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --sessions) sessions="$2"; shift 2 ;;
    --files) files="$2"; shift 2 ;;
    --skip-detector) detector=0; shift ;;
    *) echo "usage: bench/beyond.sh [--runs N] [--sessions N] [--files N] [--skip-detector]" >&2; exit 2 ;;
  esac
done

configuration=Release
[ -x "src/AmpSessions.Cli/bin/Release/net8.0/amp-sessions" ] || configuration=Debug
cli_dir="$root/src/AmpSessions.Cli/bin/$configuration/net8.0"
apphost="$cli_dir/amp-sessions"
fake="$root/tests/AmpSessions.FakeAgent/bin/$configuration/net10.0/fake-amp"
for needed in "$apphost" "$fake"; do
  [ -x "$needed" ] || { echo "missing $needed: run dotnet build AmpSessions.sln first" >&2; exit 1; }
done
# The pinned pwsh (.config/dotnet-tools.json, restored by `dotnet tool restore`), for the module's launcher.
pwsh_dll="$(ls -d "$HOME"/.nuget/packages/powershell/*/tools/net*/any/unix/pwsh.dll 2>/dev/null | sort -V | tail -1 || true)"

work="$(mktemp -d "${TMPDIR:-/tmp}/amp-bench-beyond.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export AMP_SESSIONS_HOME="$work/data" AMP_SESSIONS_NOTIFICATIONS=0 AMP_SESSIONS_PORT_REGISTRY="$work/ports" DOTNET_NOLOGO=1
unset CI GITHUB_ACTIONS AMP_THREAD_ID || true
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com

now_ms() { date +%s%N | awk '{ printf "%.3f\n", $1 / 1000000 }'; }

# time_runs <label> <command...>: runs it $runs times (after one warm-up) and prints the median in ms.
declare -A median
time_runs() {
  local label="$1"; shift
  "$@" >/dev/null 2>&1 || true
  local samples=() start end
  for ((i = 0; i < runs; i++)); do
    start=$(now_ms); "$@" >/dev/null 2>&1 || true; end=$(now_ms)
    samples+=("$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')")
  done
  median[$label]=$(printf '%s\n' "${samples[@]}" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
  printf '  %-46s median %8.1f ms  (min %s, max %s, %d runs)\n' "$label" "${median[$label]}" \
    "$(printf '%s\n' "${samples[@]}" | sort -n | head -1)" "$(printf '%s\n' "${samples[@]}" | sort -n | tail -1)" "$runs"
}
# med <values...>: the median (the lower middle one for an even count).
med() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="${median[$1]}" -v b="${median[$2]}" 'BEGIN { printf "%.2f", a / b }'; }

repo="$work/repo"
git init -q -b main "$repo"
mkdir -p "$repo/src"
printf 'export function hello(name: string): string {\n  return `Hello, ${name}`\n}\n' > "$repo/src/greet.ts"
git -C "$repo" add -A && git -C "$repo" commit -qm 'first commit'

echo "Issue 14 bench: $configuration build, load $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores, $runs runs each"

# 1. The guard: what Amp starts before each vetted tool call, with the policy a turn gives it.
echo "1. guard: one delegate program start per vetted tool call"
worktree="$repo/.worktrees/bench"
mkdir -p "$worktree/src"
policy=$(printf '{"sessionId":"bench","iteration":1,"worktree":"%s","mainCheckout":"%s","gitCommonDir":"%s/.git","baseBranch":"main","sessionBranch":"amp/bench/1","allowPush":false,"allowAll":false,"allowedTools":[],"decisionLog":"%s/decisions.jsonl"}' \
  "$worktree" "$repo" "$repo" "$work")
edit_inside=$(printf '{"path":"%s/src/greet.ts","old_str":"hello","new_str":"greet"}' "$worktree")
escape='{"cmd":"cd .. && echo x > INTO_MAIN.txt"}'
guard() { # <tool> <input> <program...>
  local tool="$1" input="$2"; shift 2
  printf '%s' "$input" | AGENT=amp AGENT_TOOL_NAME="$tool" AGENT_TOOL_USE_ID=toolu_bench AMP_SESSIONS_GUARD="$policy" "$@"
}
time_runs "raw git: git rev-parse HEAD" git -C "$repo" rev-parse HEAD
time_runs "a process that does nothing (/bin/true)" /bin/true
time_runs "guard, apphost: edit inside (allowed)" guard edit_file "$edit_inside" "$apphost"
time_runs "guard, apphost: cd .. and write (denied)" guard Bash "$escape" "$apphost"
time_runs "guard, dotnet amp-sessions.dll launcher" guard edit_file "$edit_inside" dotnet "$cli_dir/amp-sessions.dll"
if [ -n "$pwsh_dll" ]; then
  core="$cli_dir/AmpSessions.Core.dll"
  time_runs "guard, pwsh launcher (module, no CLI)" guard edit_file "$edit_inside" dotnet "$pwsh_dll" -NoLogo -NoProfile -NonInteractive \
    -Command "Add-Type -LiteralPath '$core'; exit [AmpSessions.Core.Containment.GuardProgram]::RunConsole()"
fi
decisions=$(wc -l < "$work/decisions.jsonl")
echo "  ($decisions decisions recorded; the denied ones said: $(grep -m1 -o '"reason":"[^"]*' "$work/decisions.jsonl" | head -c 100 || true)...)"
echo "  ratio guard(apphost)/git: $(ratio "guard, apphost: edit inside (allowed)" "raw git: git rev-parse HEAD")"
echo "  ratio guard(dotnet dll)/git: $(ratio "guard, dotnet amp-sessions.dll launcher" "raw git: git rev-parse HEAD")"
[ -n "$pwsh_dll" ] && echo "  ratio guard(pwsh)/git: $(ratio "guard, pwsh launcher (module, no CLI)" "raw git: git rev-parse HEAD")"
rm -rf "$repo/.worktrees"

# 3. Budget tracking: the same turn (the fake agent reports usage each turn) with and without budgets.
echo "3. budgets: iterate with every budget set against iterate with none"
new_session() { # <name> [options...] -> id
  local name="$1"; shift
  "$apphost" new --repo "$repo" --name "$name" --prompt 'In src/greet.ts rename hello to greet.' --agent "amp:$fake" --no-setup --json "$@" \
    | sed -n 's/^  "id": "\([^"]*\)".*/\1/p'
}
plain=$(new_session "no budget")
budgeted=$(new_session "budgeted" --budget-tokens 1000000000 --budget-iterations 100000 --budget-time 100h)
export FAKE_AMP_SCENARIO=success-edit FAKE_AMP_STATE_DIR="$work/fake-state"
# Interleaved (plain, budgeted, plain, ...) so a change in the machine's load hits both alike.
plain_times=() budgeted_times=()
"$apphost" iterate "$plain" >/dev/null 2>&1 || true
"$apphost" iterate "$budgeted" >/dev/null 2>&1 || true
for ((i = 0; i < runs; i++)); do
  for id in "$plain" "$budgeted"; do
    start=$(now_ms); "$apphost" iterate "$id" >/dev/null 2>&1 || true; end=$(now_ms)
    elapsed=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
    if [ "$id" = "$plain" ]; then plain_times+=("$elapsed"); else budgeted_times+=("$elapsed"); fi
  done
done
median["iterate, no budget"]=$(med "${plain_times[@]}")
median["iterate, token+iteration+time budgets"]=$(med "${budgeted_times[@]}")
printf '  %-46s median %8.1f ms  (min %s, %d runs)\n' "iterate, no budget" "${median["iterate, no budget"]}" "$(printf '%s\n' "${plain_times[@]}" | sort -n | head -1)" "$runs"
printf '  %-46s median %8.1f ms  (min %s, %d runs)\n' "iterate, token+iteration+time budgets" "${median["iterate, token+iteration+time budgets"]}" "$(printf '%s\n' "${budgeted_times[@]}" | sort -n | head -1)" "$runs"
echo "  ratio budgeted/plain: $(ratio "iterate, token+iteration+time budgets" "iterate, no budget")"
"$apphost" status "$budgeted" | sed -n '/budget/p' | sed 's/^/  shown: /'
unset FAKE_AMP_SCENARIO
for id in "$plain" "$budgeted"; do "$apphost" cleanup "$id" --force >/dev/null; done

# 4. The merge queue against merging the same sessions one by one. Each session commits its own file
#    (no conflicts), made outside the timed region; each round starts from the same base.
echo "4. merge queue: $sessions sessions, queue against merge one by one (3 rounds each, interleaved)"
make_ready() { # -> ids of $sessions sessions, each one commit ahead
  local ids=() id
  for ((s = 0; s < sessions; s++)); do
    id=$(new_session "work $s" --script true)
    printf 'export const part%d = %d\n' "$s" "$s" > "$repo/.worktrees/$id/src/part$s.ts"
    git -C "$repo/.worktrees/$id" add -A && git -C "$repo/.worktrees/$id" commit -qm "part $s"
    ids+=("$id")
  done
  echo "${ids[@]}"
}
queue_times=() single_times=() raw_times=()
base=$(git -C "$repo" rev-parse main)
for round in 1 2 3; do
  for way in queue single raw; do
    git -C "$repo" reset -q --hard "$base"
    read -r -a ids <<< "$(make_ready)"
    start=$(now_ms)
    case "$way" in
      queue) "$apphost" queue "${ids[@]}" --json > "$work/queue.json" 2>/dev/null ;;
      single) for id in "${ids[@]}"; do "$apphost" merge "$id" >/dev/null; done ;;
      raw) # what a person would type: rebase each branch onto main and fast-forward main to it
        for id in "${ids[@]}"; do
          branch=$(git -C "$repo/.worktrees/$id" symbolic-ref --short HEAD)
          git -C "$repo/.worktrees/$id" rebase -q main && git -C "$repo" merge -q --ff-only "$branch"
        done ;;
    esac
    end=$(now_ms)
    elapsed=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
    case "$way" in queue) queue_times+=("$elapsed") ;; single) single_times+=("$elapsed") ;; raw) raw_times+=("$elapsed") ;; esac
    landed=$(git -C "$repo" rev-list --count "$base..main")
    [ "$landed" -eq "$sessions" ] || echo "  warning: $way landed $landed of $sessions in round $round" >&2
    for id in "${ids[@]}"; do "$apphost" cleanup "$id" --force >/dev/null 2>&1 || true; done
    git -C "$repo" worktree prune
  done
done
median[queue]=$(med "${queue_times[@]}"); median[single]=$(med "${single_times[@]}"); median[raw]=$(med "${raw_times[@]}")
printf '  %-46s median %8.1f ms  (%s)\n' "queue of $sessions (tests re-run after each rebase)" "${median[queue]}" "${queue_times[*]}"
printf '  %-46s median %8.1f ms  (%s)\n' "merge one by one ($sessions processes)" "${median[single]}" "${single_times[*]}"
printf '  %-46s median %8.1f ms  (%s)\n' "raw git: rebase + merge --ff-only each" "${median[raw]}" "${raw_times[*]}"
echo "  ratio queue/one-by-one: $(ratio queue single); queue/raw git: $(ratio queue raw); one-by-one/raw git: $(ratio single raw)"
echo "  last queue said: $(tr -d '\n ' < "$work/queue.json" | head -c 160)"

# 2. The detector, in process: its two fingerprints and the comparison per turn.
if [ "$detector" = 1 ]; then
  echo "2. detector: fingerprints of the main checkout before and after a turn ($files files)"
  dotnet tool run pwsh -NoProfile -File bench/detector.ps1 -Files "$files" -Runs "$runs" -CoreDirectory "$cli_dir"
fi
