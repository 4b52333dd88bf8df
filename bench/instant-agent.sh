# Sourced by bench/count-processes.sh and bench/lifecycle.sh: a one-commit repository and the instant agent they share.
#   instant_repository <work dir>   -> <work>/repo (branch main, one commit) and <work>/agent.sh
# The instant agent reads its prompt, edits one file and prints Amp's stream (init, result).
instant_repository() {
  local work="$1"
  git init -q -b main "$work/repo"
  git -C "$work/repo" config user.name bench
  git -C "$work/repo" config user.email bench@example.com
  echo hello > "$work/repo/a.txt"
  git -C "$work/repo" add -A
  git -C "$work/repo" commit -qm init
  cat > "$work/agent.sh" <<'AGENT'
#!/bin/sh
cat >/dev/null
echo change >> file.txt
echo '{"type":"system","subtype":"init","session_id":"T-1","cwd":".","tools":[],"mcp_servers":[]}'
echo '{"type":"result","subtype":"success","is_error":false,"result":"done","session_id":"T-1","duration_ms":1,"num_turns":1}'
AGENT
  chmod +x "$work/agent.sh"
}
