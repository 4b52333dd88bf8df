using System.Text;
using System.Text.Json;
using AmpSessions.Core.Serialization;

namespace AmpSessions.Core.Containment;

/// <summary>
/// The guard as Amp's delegate program: Amp runs it (the `amp-sessions` executable, with no
/// arguments) before a tool call with the tool input as JSON on stdin and AGENT=amp, AMP_THREAD_ID,
/// AGENT_TOOL_NAME and AGENT_TOOL_USE_ID in its environment; the policy comes in AMP_SESSIONS_GUARD.
/// It appends its decision to the session's decision log and exits 0 (allow), 1 (ask) or 2 (deny,
/// with the reason on stderr, which the model reads). Without a readable policy it denies.
/// </summary>
public static class GuardProgram
{
    public const string ToolNameVariable = "AGENT_TOOL_NAME";
    public const string ToolUseIdVariable = "AGENT_TOOL_USE_ID";

    /// <summary>Whether this process was started by Amp as the guard's delegate.</summary>
    public static bool IsDelegateInvocation(IReadOnlyList<string> args, Func<string, string?> environment) =>
        args.Count == 0 && !string.IsNullOrEmpty(environment(ToolNameVariable)) && !string.IsNullOrEmpty(environment(GuardPolicy.Variable));

    /// <summary>The delegate on this process's console and environment (the pwsh launcher calls it).</summary>
    public static int RunConsole() => Run(Console.In, Console.Error, Environment.GetEnvironmentVariable);

    public static int Run(TextReader input, TextWriter error, Func<string, string?> environment, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(error);
        ArgumentNullException.ThrowIfNull(environment);
        var tool = environment(ToolNameVariable) ?? "";
        var policy = GuardPolicy.FromJson(environment(GuardPolicy.Variable));
        if (policy is null)
        {
            error.Write("AmpSessions' guard has no readable policy (AMP_SESSIONS_GUARD), so it refuses every tool call.");
            return 2;
        }
        var (verdict, subject, reason) = GuardDecider.Decide(policy, tool, input.ReadToEnd());
        var decision = new GuardDecision
        {
            Time = (clock ?? TimeProvider.System).GetUtcNow(),
            Tool = tool,
            ToolUseId = environment(ToolUseIdVariable),
            Subject = subject,
            Verdict = verdict,
            Reason = reason,
        };
        Append(policy.DecisionLog, decision);
        if (reason is not null)
        {
            error.Write(verdict == GuardVerdict.Deny ? "Denied by AmpSessions' guard: " + reason : reason);
        }
        return decision.ExitCode;
    }

    /// <summary>Appends one decision; calls of parallel tool uses may append at once, so the file is opened for each line.</summary>
    private static void Append(string path, GuardDecision decision)
    {
        var line = Encoding.UTF8.GetBytes(Serialization.JsonOutput.Serialize(decision, JsonOutput.Compact) + "\n");
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
                using var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.None);
                stream.Write(line);
                return;
            }
            catch (IOException) when (attempt < 50)
            {
                // Another delegate of the same turn holds the file for its line: try again in a moment.
                Thread.Sleep(20);
            }
        }
    }

    /// <summary>The decisions a turn's delegates recorded, in order; a torn last line is skipped.</summary>
    public static IReadOnlyList<GuardDecision> ReadLog(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }
        var decisions = new List<GuardDecision>();
        foreach (var line in File.ReadAllLines(path))
        {
            try
            {
                if (Serialization.JsonOutput.Deserialize<GuardDecision>(line, JsonOutput.Compact) is { } decision)
                {
                    decisions.Add(decision);
                }
            }
            catch (JsonException)
            {
                // A line cut off by a killed delegate.
            }
        }
        return decisions;
    }
}
