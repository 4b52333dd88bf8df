#!/usr/bin/env bash
# `iterate` and a fast-forward `merge` as whole CLI processes against the raw git a person would run for the same
# work (issue 11's table): iterate (an instant agent that edits one file) against the agent + `git add -A` +
# `git commit`; merge against `git merge --ff-only`. Each run does one whole lifecycle on each side, one after the
# other, the side that goes first alternating from run to run; `new` and the raw `git branch` + `worktree add` before
# them are not timed. Prints medians and ratios.
#
#   bench/lifecycle.sh --cli path/to/amp-sessions [--runs 9] [--tsv FILE]
#
# --cli takes the native executable or a JIT `amp-sessions.dll` (run on dotnet). --tsv FILE also writes
# "name<TAB>median ms" for iterate-raw, iterate, merge-raw and merge.
set -euo pipefail
cli=""
runs=9
tsv=""
while [ $# -gt 0 ]; do
  case "$1" in
    --cli) cli="$(realpath "$2")"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --tsv) tsv="$2"; shift 2 ;;
    *) echo "usage: bench/lifecycle.sh --cli path/to/amp-sessions [--runs N] [--tsv FILE]" >&2; exit 2 ;;
  esac
done
[ -n "$cli" ] || { echo "bench/lifecycle.sh: --cli is needed" >&2; exit 2; }
amp() { if [[ "$cli" == *.dll ]]; then dotnet "$cli" "$@"; else "$cli" "$@"; fi; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export AMP_SESSIONS_HOME="$work/data" AMP_SESSIONS_NOTIFICATIONS=0
# The repository and the instant agent bench/count-processes.sh traces.
source "$(dirname "$0")/instant-agent.sh"
instant_repository "$work"
repo="$work/repo"

now() { date +%s%N; }
results="$work/results.tsv"

ours() { # run number, measured (1/0)
  local out id t0 t1 t2
  out="$(amp new --repo "$repo" --name "bench $1" --prompt "edit a file" --agent "amp:$work/agent.sh" --json)"
  id="$(printf '%s' "$out" | sed -n 's/^  "id": *"\([^"]*\)".*/\1/p' | head -n 1)"
  [ -n "$id" ] || { echo "bench/lifecycle.sh: new printed no id: $out" >&2; exit 1; }
  t0=$(now)
  amp iterate "$id" >/dev/null
  t1=$(now)
  amp merge "$id" >/dev/null
  t2=$(now)
  if [ "$2" = 1 ]; then
    printf 'iterate\t%s\nmerge\t%s\n' "$(((t1 - t0) / 1000))" "$(((t2 - t1) / 1000))" >>"$results"
  fi
}

raw() { # run number, measured (1/0)
  local branch="raw/$1" tree="$work/raw-$1" t0 t1 t2
  git -C "$repo" branch -q "$branch" main
  git -C "$repo" worktree add -q "$tree" "$branch"
  t0=$(now)
  (cd "$tree" && echo "edit a file" | "$work/agent.sh" >/dev/null && git add -A && git commit -qm "edit a file")
  t1=$(now)
  git -C "$repo" merge -q --ff-only "$branch"
  t2=$(now)
  if [ "$2" = 1 ]; then
    printf 'iterate-raw\t%s\nmerge-raw\t%s\n' "$(((t1 - t0) / 1000))" "$(((t2 - t1) / 1000))" >>"$results"
  fi
}

# One warm-up lifecycle each (file cache, the store's creation), then the measured runs.
raw 0 0
ours 0 0
for ((run = 1; run <= runs; run++)); do
  if ((run % 2)); then raw "$run" 1; ours "$run" 1; else ours "$run" 1; raw "$run" 1; fi
done

summary() {
  awk -F'\t' '
    { t[$1] = t[$1] " " $2 }
    function median(list,   a, k, i, j, x) {
      k = split(list, a, " ")
      for (i = 2; i <= k; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
      return (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
    }
    END { split("iterate-raw iterate merge-raw merge", names, " "); for (i = 1; i <= 4; i++) printf "%s\t%.2f\n", names[i], median(t[names[i]]) / 1000 }' "$results"
}
summary >"$work/medians.tsv"
[ -z "$tsv" ] || cp "$work/medians.tsv" "$tsv"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $runs runs each, alternating which side goes first"
awk -F'\t' '{ m[$1] = $2 } END {
  printf "iterate (one-file edit, instant agent): raw %.1f ms, amp-sessions %.1f ms: %.2fx\n", m["iterate-raw"], m["iterate"], m["iterate"] / m["iterate-raw"]
  printf "merge (fast-forward):                   raw %.1f ms, amp-sessions %.1f ms: %.2fx\n", m["merge-raw"], m["merge"], m["merge"] / m["merge-raw"]
}' "$work/medians.tsv"
