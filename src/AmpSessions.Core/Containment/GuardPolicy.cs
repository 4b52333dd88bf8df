using System.Text.Json;
using System.Text.Json.Serialization;
using AmpSessions.Core.Serialization;

namespace AmpSessions.Core.Containment;

/// <summary>
/// What the guard needs to decide about one session's tool calls. It travels to the delegate
/// program in the agent's environment (<see cref="Variable"/>), which the agent's own shell commands
/// cannot change for the delegate: Amp starts the delegate from its own environment.
/// </summary>
public sealed record GuardPolicy
{
    /// <summary>The environment variable that carries the policy as JSON.</summary>
    public const string Variable = "AMP_SESSIONS_GUARD";

    public required string SessionId { get; init; }
    public required int Iteration { get; init; }
    /// <summary>The session's worktree: edits and working directories must stay inside it.</summary>
    public required string Worktree { get; init; }
    /// <summary>The user's main checkout (the repository's main working tree).</summary>
    public required string MainCheckout { get; init; }
    /// <summary>The repository's common .git directory.</summary>
    public required string GitCommonDir { get; init; }
    public required string BaseBranch { get; init; }
    public required string SessionBranch { get; init; }
    /// <summary>`git push` is allowed (the session says so).</summary>
    public bool AllowPush { get; init; }
    /// <summary>Every tool is allowed without approval (the guard still denies escapes).</summary>
    public bool AllowAll { get; init; }
    /// <summary>Tools allowed without approval; a harmless call of another tool the guard inspects needs approval, as without the guard.</summary>
    public IReadOnlyList<string> AllowedTools { get; init; } = [];
    /// <summary>Where every decision is appended (one JSON line each).</summary>
    public required string DecisionLog { get; init; }

    public string ToJson() => Serialization.JsonOutput.Serialize(this, JsonOutput.Compact);

    public static GuardPolicy? FromJson(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }
        try
        {
            return Serialization.JsonOutput.Deserialize<GuardPolicy>(json, JsonOutput.Compact);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>What the guard said about one tool call.</summary>
public enum GuardVerdict
{
    /// <summary>Exit 0: the call goes ahead.</summary>
    Allow,
    /// <summary>Exit 1: it needs a person (in execute mode: the turn stops awaiting approval).</summary>
    Ask,
    /// <summary>Exit 2: refused; the reason goes to the model.</summary>
    Deny,
}

/// <summary>One decision, as recorded on the iteration.</summary>
public sealed record GuardDecision
{
    public required DateTimeOffset Time { get; init; }
    public required string Tool { get; init; }
    public string? ToolUseId { get; init; }
    /// <summary>The command or path the decision is about, shortened.</summary>
    public required string Subject { get; init; }
    public required GuardVerdict Verdict { get; init; }
    public string? Reason { get; init; }

    [JsonIgnore]
    public int ExitCode => Verdict switch { GuardVerdict.Allow => 0, GuardVerdict.Ask => 1, _ => 2 };
}
