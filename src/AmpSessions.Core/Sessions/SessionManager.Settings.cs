using AmpSessions.Core.Agents;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Processes;

namespace AmpSessions.Core.Sessions;

public sealed partial class SessionManager
{
    /// <summary>
    /// Changes a session's settings (script, model, agent, permissions, notes, ...), validating each.
    /// A null field keeps its value; an empty one clears an optional field. The branch keeps the name
    /// it was created with. Refused while an agent turn or the test script runs, since that run would
    /// write its own copy of the session back over the change.
    /// </summary>
    public Task<Session> UpdateAsync(string reference, SessionUpdate update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        cancellationToken.ThrowIfCancellationRequested();
        if (update.IsEmpty)
        {
            throw Invalid("AmpSessionUpdateEmpty", "Nothing to change: give at least one setting to change.", reference);
        }
        var session = Resolve(reference);
        if (session.Status is SessionStatus.Running or SessionStatus.Evaluating)
        {
            throw new AmpSessionsException("AmpSessionBusy", ErrorKind.ResourceBusy,
                $"Session {session.Id} is {session.Status}: wait for the run to finish (or stop it), then change its settings.", session.Id);
        }
        var newName = update.Name is null ? session.Name : ValidateName(update.Name).Name;
        if (update.Prompt is { } prompt && string.IsNullOrWhiteSpace(prompt))
        {
            throw Invalid("AmpPromptEmpty", "The prompt cannot be empty: say what the agent should do.", prompt);
        }
        // Zero clears the session's time limit; anything else follows the one rule for time limits.
        TimeLimits.Require(update.Timeout == TimeSpan.Zero ? null : update.Timeout);
        foreach (var (name, _) in update.AgentEnvironment)
        {
            if (SecretRedactor.IsSecretName(name))
            {
                throw Invalid("AmpSecretNotStored", $"'{name}' looks like a secret, and secrets are never stored: set it in the environment of the shell that runs AmpSessions instead.", name);
            }
            if (string.IsNullOrWhiteSpace(name) || name.Contains('='))
            {
                throw Invalid("AmpEnvironmentNameInvalid", $"'{name}' is not a valid environment variable name: use NAME=VALUE.", name);
            }
        }
        var environment = new Dictionary<string, string>(session.AgentEnvironment);
        foreach (var (name, value) in update.AgentEnvironment)
        {
            if (value.Length == 0) environment.Remove(name);
            else environment[name] = value;
        }
        var allowed = session.AllowedTools.Concat(update.AllowTools.Select(t => t.Trim()).Where(t => t.Length > 0))
            .Except(update.DisallowTools, StringComparer.Ordinal).Distinct(StringComparer.Ordinal).ToArray();
        session = session with
        {
            Name = newName,
            Prompt = update.Prompt ?? session.Prompt,
            ScriptCommand = Apply(update.ScriptCommand, session.ScriptCommand),
            ScriptShell = update.ScriptShell is null ? session.ScriptShell : Processes.PlatformShell.Validate(update.ScriptShell),
            ModelOverride = Apply(update.ModelOverride, session.ModelOverride),
            AgentMode = Apply(update.AgentMode, session.AgentMode),
            Agent = Apply(update.Agent, session.Agent),
            Notes = Apply(update.Notes, session.Notes),
            McpConfig = Apply(update.McpConfig, session.McpConfig),
            // Zero clears the session's limit: turns get the default again.
            Timeout = update.Timeout is { } newTimeout ? (newTimeout == TimeSpan.Zero ? null : newTimeout) : session.Timeout,
            AllowAllTools = update.AllowAllTools ?? session.AllowAllTools,
            AllowedTools = allowed,
            NotificationsEnabled = update.NotificationsEnabled ?? session.NotificationsEnabled,
            AgentEnvironment = environment,
            ThreadId = update.NewThread ? null : session.ThreadId,
            Environment = Apply(update.Environment, session.Environment),
            Preset = Apply(update.Preset, session.Preset),
            McpServers = update.McpServers is { } servers ? servers.Select(m => m.Trim()).Where(m => m.Length > 0).Distinct(StringComparer.Ordinal).ToArray() : session.McpServers,
            // A person has acted on what the agent was waiting for.
            Status = session.Status == SessionStatus.AwaitingInput && (update.AllowTools.Count > 0 || update.AllowAllTools == true) ? SessionStatus.Idle : session.Status,
            UpdatedAt = context.Now,
        };
        session = Budgets.BudgetRules.AfterChange(context, session, update) with { AllowPush = update.AllowPush ?? session.AllowPush };
        session = Configuration.SessionConfiguration.Check(context, session, isNew: false);
        context.Sessions.Update(session);
        return Task.FromResult(session);
    }

    private static string? Apply(string? change, string? current) => change is null ? current : change.Trim().Length == 0 ? null : change.Trim();
}
