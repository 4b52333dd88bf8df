using AmpSessions.Core.Errors;

namespace AmpSessions.Core.Sessions;

public sealed partial class SessionManager
{
    // ---- settings ----

    /// <summary>
    /// Changes a session's name, script command, model override, agent mode or notes. A null field
    /// keeps its value; an empty one clears an optional field. The branch keeps the name it was
    /// created with. Refused while an agent turn or the test script runs, since that run would
    /// write its own copy of the session back over the change.
    /// </summary>
    public Task<Session> UpdateAsync(string reference, SessionUpdate update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        cancellationToken.ThrowIfCancellationRequested();
        if (update.IsEmpty)
        {
            throw Invalid("AmpSessionUpdateEmpty",
                "Nothing to change: give at least one of the name, script command, model, agent mode or notes.", reference);
        }
        var session = Resolve(reference);
        if (session.Status is SessionStatus.Running or SessionStatus.Evaluating)
        {
            throw new AmpSessionsException("AmpSessionBusy", ErrorKind.ResourceBusy,
                $"Session {session.Id} is {session.Status}: wait for the run to finish (or stop it), then change its settings.", session.Id);
        }
        var updated = session with
        {
            Name = update.Name is null ? session.Name : ValidateName(update.Name).Name,
            ScriptCommand = update.ScriptCommand is null ? session.ScriptCommand : NullIfBlank(update.ScriptCommand),
            ModelOverride = update.ModelOverride is null ? session.ModelOverride : NullIfBlank(update.ModelOverride),
            AgentMode = update.AgentMode is null ? session.AgentMode : NullIfBlank(update.AgentMode),
            Notes = update.Notes is null ? session.Notes : NullIfBlank(update.Notes),
            UpdatedAt = context.Now,
        };
        context.Sessions.Update(updated);
        return Task.FromResult(updated);
    }
}
