namespace AmpSessions.Testing;

/// <summary>
/// An agent that is a shell script: it reads the prompt, runs <c>body</c> in the worktree (the things
/// a misbehaving agent does: git commands, background children, huge output), then reports a
/// successful turn in Amp's stream-json. Used as <c>exec:/bin/sh &lt;path&gt;</c>.
/// </summary>
public static class ShellAgent
{
    public static string Write(string path, string body, string finalMessage = "Did what the script says.")
    {
        ExecutableScript.Write(path, $$"""
            cat > /dev/null
            {{body}}
            echo '{"type":"system","subtype":"init","cwd":".","session_id":"T-shell-agent","tools":[],"mcp_servers":[]}'
            echo '{"type":"result","subtype":"success","duration_ms":1,"is_error":false,"num_turns":1,"result":"{{finalMessage}}","session_id":"T-shell-agent"}'

            """);
        return $"exec:/bin/sh \"{path}\"";
    }
}
