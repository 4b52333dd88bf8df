using AmpSessions.Core.Agents;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Core.Configuration;

/// <summary>
/// Checks a session's configuration when it is created or changed, before anything is written: its
/// MCP configuration (valid JSON or an existing file, no literal secrets), and that its environment,
/// agent, preset, MCP servers and mode compose into a run environment (names that exist, a mode the
/// environment allows). Returns the session with its --mcp-config path made absolute.
/// </summary>
public static class SessionConfiguration
{
    public static Session Check(AmpContext context, Session session, bool isNew)
    {
        McpConfiguration.Validate(session.McpConfig);
        session = session with { McpConfig = McpConfiguration.Normalize(session.McpConfig) };
        var configuration = new ConfigurationService(context).ForSession(isNew ? Unnamed(session) : session);
        // A session being made has no id anyone knows yet: what it was given reads as the parameters it came from.
        RunEnvironmentComposer.Compose(configuration, session, isNew ? new RunOverrides
        {
            Environment = session.Environment,
            Agent = session.Agent,
            Preset = session.AllowAllTools ? "full-auto" : session.Preset,
            Mode = session.AgentMode,
        } : null);
        // A cost budget nothing would enforce is refused, before anything is made or changed.
        Budgets.SessionPricing.RequirePriceForCostBudget(isNew ? new ConfigurationService(context).ForSession(session) : configuration, session);
        return session;
    }

    /// <summary>A prompt with its slash command (if it starts with one) expanded by the repository's configuration.</summary>
    public static string ExpandPrompt(AmpContext context, string? repositoryRoot, string prompt) =>
        SlashCommands.SlashCommandExpander.CommandName(prompt) is null && !prompt.TrimStart().StartsWith("//", StringComparison.Ordinal)
            ? prompt
            : SlashCommands.SlashCommandExpander.Expand(prompt, new ConfigurationService(context).Load(repositoryRoot)).Text;

    /// <summary>A session whose environment behaves as CI opens no editor or terminal: nobody is there to use it.</summary>
    public static void RefuseEditorInCi(AmpContext context, Session session)
    {
        RunEnvironment environment;
        try
        {
            environment = new RunEnvironmentService(context).ForSession(session);
        }
        catch (Errors.AmpSessionsException)
        {
            // A configuration that does not compose stops the next turn, not a look at the worktree.
            return;
        }
        if (environment.IsCi)
        {
            throw new Errors.AmpSessionsException("AmpEditorUnavailable", Errors.ErrorKind.InvalidOperation,
                $"Session {session.Id} runs in environment '{environment.Environment}', which behaves as CI, so no editor or terminal is opened", session.Id,
                remedy: $"read the worktree at {session.WorktreePath}, or open it in another environment with {Errors.Invocation.Of(Errors.Operation.SetSession, session.Id, new Errors.Argument(Errors.Parameter.Environment, "production"))}");
        }
    }

    private static Session Unnamed(Session session) => session with { Environment = null, Agent = null, Preset = null, AllowAllTools = false };
}
