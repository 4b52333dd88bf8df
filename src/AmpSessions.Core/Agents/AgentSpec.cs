using AmpSessions.Core.Errors;
using AmpSessions.Core.Processes;

namespace AmpSessions.Core.Agents;

/// <summary>Which command-line dialect an agent speaks (all stream the same JSON).</summary>
public enum AgentDialect
{
    /// <summary>amp: -x --stream-json, threads continue, modes, settings files.</summary>
    Amp,
    /// <summary>Claude Code: -p --output-format stream-json --verbose, --resume.</summary>
    Claude,
    /// <summary>Any program: run as configured, prompt on stdin, stream-json on stdout.</summary>
    Plain,
}

/// <summary>
/// An agent as configured: <c>amp</c> (the default: amp on PATH), <c>claude</c>, or a command line
/// with its dialect: <c>amp:&lt;command&gt;</c> (an amp-compatible build or test double),
/// <c>claude:&lt;command&gt;</c>, <c>exec:&lt;command&gt;</c>.
/// </summary>
public sealed record AgentSpec(AgentDialect Dialect, IReadOnlyList<string> Command)
{
    /// <summary>The environment variable that chooses the default agent.</summary>
    public const string EnvironmentVariable = "AMP_SESSIONS_AGENT";

    public string Program => Command[0];

    public IReadOnlyList<string> PrefixArguments => Command.Skip(1).ToArray();

    public override string ToString() => Dialect switch
    {
        AgentDialect.Amp when Command is ["amp"] => "amp",
        AgentDialect.Claude when Command is ["claude"] => "claude",
        _ => $"{Dialect.ToString().ToLowerInvariant() switch { "plain" => "exec", var d => d }}:{string.Join(' ', Command)}",
    };

    /// <summary>The session's agent, else AMP_SESSIONS_AGENT, else amp.</summary>
    public static AgentSpec Resolve(string? configured)
    {
        var text = !string.IsNullOrWhiteSpace(configured) ? configured
            : Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment
            : "amp";
        return Parse(text);
    }

    public static AgentSpec Parse(string text)
    {
        text = text.Trim();
        if (text == "amp") return new AgentSpec(AgentDialect.Amp, ["amp"]);
        if (text == "claude") return new AgentSpec(AgentDialect.Claude, ["claude"]);
        var colon = text.IndexOf(':');
        var dialect = colon < 0 ? null : text[..colon] switch
        {
            "amp" => (AgentDialect?)AgentDialect.Amp,
            "claude" => AgentDialect.Claude,
            "exec" => AgentDialect.Plain,
            _ => null,
        };
        if (dialect is null)
        {
            throw new AmpSessionsException("AmpAgentSpecInvalid", ErrorKind.InvalidArgument,
                $"Unknown agent '{text}': use amp, claude, amp:<command>, claude:<command> or exec:<command>.", text);
        }
        var command = CommandLine.Split(text[(colon + 1)..]);
        if (command.Count == 0)
        {
            throw new AmpSessionsException("AmpAgentSpecInvalid", ErrorKind.InvalidArgument,
                $"The agent '{text}' names no command: put the program after the colon, e.g. amp:/opt/amp/bin/amp.", text);
        }
        return new AgentSpec(dialect.Value, command);
    }

    /// <summary>The spec text for a program and its fixed arguments, quoted so paths with spaces survive.</summary>
    public static string Format(AgentDialect dialect, IEnumerable<string> command)
    {
        var prefix = dialect switch { AgentDialect.Amp => "amp", AgentDialect.Claude => "claude", _ => "exec" };
        return prefix + ":" + string.Join(' ', command.Select(part => "\"" + part.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\""));
    }

    /// <summary>The agent that runs this spec.</summary>
    public IAgent CreateAgent() => new StreamJsonAgent(this);
}
