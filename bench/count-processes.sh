#!/usr/bin/env bash
# Counts the processes `new`, `iterate` and `merge` start, by tracing every execve of the CLI and its
# descendants (strace -f), not by estimate. Prints each process started (the CLI's own dotnet or native
# start-up left out) and the count beyond what raw git needs:
#   new:     beyond `git worktree add` (and the two helpers worktree add runs itself)
#   iterate: beyond the agent (and the `cat` the instant agent runs), for a first turn and for the next one
#   merge:   all of them
# Usage: bench/count-processes.sh [path/to/amp-sessions.dll | path/to/native/amp-sessions]   (needs strace; builds the CLI
# if no path; a path not ending in .dll is run as an executable, as `bench batch --cli` does)
set -euo pipefail
repo_root="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
cli="${1:-}"
if [[ -z "$cli" ]]; then
  dotnet build "$repo_root/src/AmpSessions.Cli" -c Release --nologo -v quiet >/dev/null
  cli="$repo_root/src/AmpSessions.Cli/bin/Release/net8.0/amp-sessions.dll"
fi
command -v strace >/dev/null || { echo "count-processes: strace is needed (apt-get install strace)" >&2; exit 1; }
run_cli=(dotnet "$cli")
[[ "$cli" == *.dll ]] || run_cli=("$cli")

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export AMP_SESSIONS_HOME="$work/data"
# A one-commit repository and the instant agent (edits one file, prints Amp's stream).
source "$repo_root/bench/instant-agent.sh"
instant_repository "$work"

trace() { # name, cli arguments...
  local name="$1"; shift
  strace -f -qq -e trace=execve -e signal=none -o "$work/$name.trace" "${run_cli[@]}" "$@" >/dev/null
  grep -o 'execve("[^"]*", \[[^]]*' "$work/$name.trace" | grep -v -e '/dotnet"' -e "execve(\"${run_cli[0]}\"" | sed 's/^execve("\([^"]*\)", \[/\1 /' | cut -c1-160
}

echo "== new"
new_lines="$(trace new new --repo "$work/repo" --name bench --prompt "edit a file" --agent "amp:$work/agent.sh")"
echo "$new_lines"
id="$("${run_cli[@]}" list --json | sed -n 's/.*"id": *"\([a-z0-9]*\)".*/\1/p' | head -n 1)"
beyond_new=$(echo "$new_lines" | grep -v -e ' "worktree", "add"' -e '"symbolic-ref", "HEAD"' -e '"reset", "--hard"' | grep -c . || true)

echo "== iterate"
iterate_lines="$(trace iterate iterate "$id")"
echo "$iterate_lines"
beyond_iterate=$(echo "$iterate_lines" | grep -v -e "$work/agent.sh" -e '^/usr/bin/cat ' -e '^/bin/cat ' | grep -c . || true)

# A later turn also gives the agent the session's diff so far (one `git diff`), which a first turn has none of.
echo "== iterate, the next turn"
next_lines="$(trace iterate-next iterate "$id")"
echo "$next_lines"
beyond_next=$(echo "$next_lines" | grep -v -e "$work/agent.sh" -e '^/usr/bin/cat ' -e '^/bin/cat ' | grep -c . || true)

echo "== merge"
merge_lines="$(trace merge merge "$id")"
echo "$merge_lines"
merge_count=$(echo "$merge_lines" | grep -c . || true)

echo "== batch (4 items, one at a time)"
cat > "$work/batch.yaml" <<YAML
version: 3
metadata:
  name: "count"
execution:
  concurrency: 1
agents:
  - id: instant
    command: ["$work/agent.sh"]
tasks:
  - id: edit
    type: batch
    prompts: ["one", "two", "three", "four"]
    repositories: ["$work/repo"]
YAML
batch_lines="$(trace batch batch run "$work/batch.yaml")"
batch_count=$(echo "$batch_lines" | grep -c . || true)
echo "$batch_lines" | sed -E 's/^([^ ]*) .*"(core.quotePath=false|git)", "([a-z-]+)".*/\1 \3/' | sort | uniq -c | sort -rn
# The raw lifecycle of an item, traced the same way (bench batch's raw side: `git worktree add -b`, the agent, add,
# commit, worktree remove): worktree add and the branch, symbolic-ref and reset it runs itself, the agent's sh and its
# cat, add, commit and the maintenance it starts, worktree remove and the status it runs: 11.
echo "batch: $((batch_count / 4)) processes per item (the raw lifecycle runs 11)"

echo
echo "processes beyond raw git: new $beyond_new (target <= 2), iterate $beyond_iterate (next turn $beyond_next; target <= 4), merge $merge_count (target <= 6), batch item $((batch_count / 4)) in all (raw 11)"
