using System.Text.Json.Nodes;
using AmpSessions.Core.Agents;
using AmpSessions.Core.Events;
using AmpSessions.Core.Iterations;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Core.Containment;

/// <summary>
/// The guard for one turn: the delegate rules that go first into the per-run Amp settings, the
/// policy in the agent's environment, and afterwards every decision recorded on the iteration (a
/// GuardDenied event for each denial). Only Amp has a delegate hook; for other agents, when the
/// configuration turns the guard off, or when no delegate program can be found, it is off and the
/// detector alone watches the main checkout.
/// </summary>
public sealed class GuardSession
{
    /// <summary>Shell commands the guard inspects: those that could leave the worktree or touch git or the main checkout. The rest go to Amp's own rules.</summary>
    private static readonly string[] ShellPatterns = ["*..*", "*cd *", "*pushd*", "*git*", "*>*", "*~*", "*$HOME*", "*${HOME}*", "*GIT_DIR*", "*GIT_WORK_TREE*"];

    private readonly AmpContext context;
    private readonly Session session;

    private GuardSession(AmpContext context, Session session, GuardPolicy? policy, string? program, string? off)
    {
        this.context = context;
        this.session = session;
        Policy = policy;
        Program = program;
        Off = off;
    }

    public GuardPolicy? Policy { get; }
    public string? Program { get; }

    /// <summary>Why the guard is off for this turn (null when it is on).</summary>
    public string? Off { get; }

    /// <summary>Prepares the guard for a turn of <paramref name="session"/> (iteration <paramref name="iteration"/>) with the agent <paramref name="spec"/>.</summary>
    public static GuardSession Start(AmpContext context, Session session, int iteration, AgentSpec spec, string gitCommonDir, bool enabled)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(spec);
        if (!enabled)
        {
            return new GuardSession(context, session, null, null, "turned off by the configuration (guard: false)");
        }
        if (spec.Dialect != AgentDialect.Amp)
        {
            return new GuardSession(context, session, null, null, $"{spec.Dialect} agents have no delegate hook; the detector watches the main checkout");
        }
        var (program, problem) = GuardLauncher.Resolve(context);
        if (program is null)
        {
            return new GuardSession(context, session, null, null, problem);
        }
        var policy = new GuardPolicy
        {
            SessionId = session.Id,
            Iteration = iteration,
            Worktree = Path.GetFullPath(session.WorktreePath),
            MainCheckout = Path.GetFullPath(session.RepoRoot),
            GitCommonDir = Path.GetFullPath(gitCommonDir),
            BaseBranch = session.BaseBranch,
            SessionBranch = session.BranchName,
            AllowPush = session.AllowPush,
            AllowAll = session.AllowAllTools,
            AllowedTools = session.AllowedTools,
            DecisionLog = Path.Combine(context.Data.SessionLogs(session.Id), $"guard-{iteration}.jsonl"),
        };
        return new GuardSession(context, session, policy, program, null);
    }

    /// <summary>Whether the configuration (repository, user) leaves the guard on: `guard: false` turns it off; an unreadable configuration leaves it on.</summary>
    public static bool Enabled(AmpContext context, Session session)
    {
        try
        {
            return new Configuration.ConfigurationService(context).ForSession(session).Boolean(Configuration.ConfigurationKeys.Guard) ?? true;
        }
        catch (Errors.AmpSessionsException)
        {
            return true;
        }
    }

    /// <summary>The agent's environment with the policy added (Amp passes it on to the delegate).</summary>
    public IReadOnlyDictionary<string, string> Environment(IReadOnlyDictionary<string, string> agentEnvironment)
    {
        if (Policy is null)
        {
            return agentEnvironment;
        }
        return new Dictionary<string, string>(agentEnvironment) { [GuardPolicy.Variable] = Policy.ToJson() };
    }

    /// <summary>The delegate rules, in Amp's settings format, to put before every other permission rule.</summary>
    public IReadOnlyList<JsonObject> Rules => Policy is null || Program is null ? [] : RulesFor(Program, Policy.MainCheckout);

    /// <summary>Delegate rules as an iteration records its permissions ("delegate Bash cmd=git push*|... to the guard").</summary>
    public static IReadOnlyList<string> Describe(IReadOnlyList<JsonObject> rules) => rules.Select(rule =>
    {
        var matches = rule["matches"] is JsonObject conditions
            ? string.Concat(conditions.Select(c => $" {c.Key}={string.Join("|", c.Value!.AsArray().Select(v => (string?)v))}"))
            : "";
        return $"delegate {(string?)rule["tool"]}{matches} to the guard";
    }).ToList();

    public static IReadOnlyList<JsonObject> RulesFor(string program, string mainCheckout)
    {
        var rules = new List<JsonObject>();
        foreach (var tool in GuardDecider.FileTools)
        {
            rules.Add(new JsonObject { ["tool"] = tool, ["action"] = "delegate", ["to"] = program });
        }
        var patterns = ShellPatterns.Append("*" + mainCheckout + "*").ToArray();
        foreach (var tool in GuardDecider.ShellTools)
        {
            rules.Add(new JsonObject
            {
                ["tool"] = tool,
                ["matches"] = new JsonObject { [tool == "Bash" ? "cmd" : "command"] = new JsonArray(patterns.Select(p => (JsonNode)JsonValue.Create(p)!).ToArray()) },
                ["action"] = "delegate",
                ["to"] = program,
            });
        }
        return rules;
    }

    /// <summary>The iteration with the turn's decisions (and why the guard was off); a GuardDenied event per denial.</summary>
    public IterationRecord Record(IterationRecord iteration)
    {
        if (Policy is null)
        {
            return iteration with { GuardOff = Off };
        }
        var decisions = GuardProgram.ReadLog(Policy.DecisionLog);
        foreach (var denied in decisions.Where(d => d.Verdict == GuardVerdict.Deny))
        {
            context.Events.Publish(AmpEventTypes.GuardDenied, $"The guard denied {denied.Tool} in session {session.Id} (iteration {iteration.Number}): {denied.Reason}",
                session.Id, session.BatchId, EventLog.Data(("iteration", iteration.Number), ("tool", denied.Tool), ("subject", denied.Subject), ("reason", denied.Reason)));
        }
        return iteration with { GuardDecisions = decisions };
    }
}
