#!/usr/bin/env bash
# The CLI's start-up and `list` at scale as whole processes, JIT against native AOT, against a .NET hello
# world (JIT and AOT) and `git --version`. Interleaved: every run times each command once, in an order that
# rotates from run to run, so no command always gets the warmer cache. Prints medians, ratios and peak RSS.
#
#   bench/cli-startup.sh [--runs 15] [--sessions 10000] [--prebuilt DIR] [--tsv FILE]
#
# Builds everything it times into a temporary folder (Release; the native builds with dotnet publish -r linux-x64),
# seeds a data directory with N sessions through the core (bench/AmpSessions.Bench seed-sessions) and removes it all.
# --prebuilt DIR takes the builds from DIR/jit, DIR/aot, DIR/hello-jit and DIR/hello-aot instead (and the bench
# already built in Release), as bench/issue-11-table.sh does; --tsv FILE also writes "name<TAB>median ms<TAB>peak RSS KB".
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
runs=15
sessions=10000
prebuilt=""
tsv=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --sessions) sessions="$2"; shift 2 ;;
    --prebuilt) prebuilt="$(cd "$2" && pwd)"; shift 2 ;;
    --tsv) tsv="$2"; shift 2 ;;
    *) echo "usage: bench/cli-startup.sh [--runs N] [--sessions N] [--prebuilt DIR] [--tsv FILE]" >&2; exit 2 ;;
  esac
done
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rid=linux-x64

if [ -n "$prebuilt" ]; then
  built="$prebuilt"
  dotnet run -c Release --no-build --project "$root/bench/AmpSessions.Bench" -- seed-sessions --data "$work/data" --count "$sessions" >&2
else
  built="$work"
  echo "building (Release) into $work ..." >&2
  dotnet build "$root/src/AmpSessions.Cli" -c Release -o "$work/jit" --nologo -v q >/dev/null
  dotnet publish "$root/src/AmpSessions.Cli" -c Release -r "$rid" -o "$work/aot" --nologo -v q >/dev/null
  dotnet build "$root/bench/HelloWorld" -c Release -o "$work/hello-jit" --nologo -v q >/dev/null
  dotnet publish "$root/bench/HelloWorld" -c Release -r "$rid" -p:PublishAot=true -o "$work/hello-aot" --nologo -v q >/dev/null
  dotnet run -c Release --project "$root/bench/AmpSessions.Bench" -- seed-sessions --data "$work/data" --count "$sessions" >&2
fi

export AMP_SESSIONS_HOME="$work/data" DOTNET_NOLOGO=1
jit="$built/jit/amp-sessions"   # the apphost, as the framework-dependent tool's shim starts it
aot="$built/aot/amp-sessions"
names=(git-version hello-jit hello-aot version-jit version-aot list-jit list-aot list-all-aot list-json-jit list-json-aot)
declare -A commands=(
  [git-version]="git --version"
  [hello-jit]="$built/hello-jit/HelloWorld"
  [hello-aot]="$built/hello-aot/HelloWorld"
  [version-jit]="$jit --version"
  [version-aot]="$aot --version"
  [list-jit]="$jit list"
  [list-aot]="$aot list"
  [list-all-aot]="$aot list --all"
  [list-json-jit]="$jit list --json"
  [list-json-aot]="$aot list --json"
)
# Everything once before timing: the file cache, and a check that each command works.
for name in "${names[@]}"; do
  ${commands[$name]} >/dev/null || { echo "$name failed: ${commands[$name]}" >&2; exit 1; }
done

results="$work/results.tsv"
count=${#names[@]}
for ((run = 0; run < runs; run++)); do
  for ((k = 0; k < count; k++)); do
    name="${names[$(((k + run) % count))]}"
    start=$(date +%s%N)
    /usr/bin/time -f '%M' -o "$work/rss" ${commands[$name]} >/dev/null
    end=$(date +%s%N)
    printf '%s\t%s\t%s\n' "$name" "$(((end - start) / 1000))" "$(cat "$work/rss")" >>"$results"
  done
done

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $runs runs each, interleaved; $sessions sessions"
awk -F'\t' -v order="${names[*]}" '
  { t[$1] = t[$1] " " $2; if ($3 > rss[$1]) rss[$1] = $3 }
  function median(list,   a, n, i, j, x) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  END {
    n = split(order, names, " ")
    for (i = 1; i <= n; i++) m[names[i]] = median(t[names[i]]) / 1000
    printf "%-14s %10s %12s %s\n", "command", "median ms", "peak RSS MB", "ratio"
    for (i = 1; i <= n; i++) {
      name = names[i]; ratio = ""
      if (name ~ /^version/) ratio = sprintf("%.2fx git --version (target <= 2)", m[name] / m["git-version"])
      if (name ~ /^list/) ratio = sprintf("%.2fx JIT hello world (target <= 1.5 for list), %.2fx AOT hello world", m[name] / m["hello-jit"], m[name] / m["hello-aot"])
      if (name == "hello-aot") ratio = sprintf("%.2fx JIT hello world", m[name] / m["hello-jit"])
      printf "%-14s %10.1f %12.1f %s\n", name, m[name], rss[name] / 1024, ratio
    }
  }' "$results"
if [ -n "$tsv" ]; then
  awk -F'\t' '
    { t[$1] = t[$1] " " $2; if ($3 > rss[$1]) rss[$1] = $3; if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
    function median(list,   a, k, i, j, x) {
      k = split(list, a, " ")
      for (i = 2; i <= k; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
      return (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
    }
    END { for (i = 1; i <= n; i++) printf "%s\t%.2f\t%d\n", order[i], median(t[order[i]]) / 1000, rss[order[i]] }' "$results" >"$tsv"
fi
