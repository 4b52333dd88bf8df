using System.Management.Automation;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Module.Commands;

/// <summary>Changes a session's name, test script, model, agent mode or notes; an empty string clears a setting.</summary>
[Cmdlet(VerbsCommon.Set, Nouns.Session, SupportsShouldProcess = true, DefaultParameterSetName = IdParameterSet)]
[OutputType(typeof(Session))]
public sealed class SetAmpSessionCommand : AmpSessionCmdlet
{
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    [Parameter]
    [Alias("Script")]
    [AllowEmptyString]
    public string? ScriptCommand { get; set; }

    [Parameter]
    [Alias("ModelOverride")]
    [AllowEmptyString]
    public string? Model { get; set; }

    [Parameter]
    [Alias("Mode")]
    [AllowEmptyString]
    public string? AgentMode { get; set; }

    [Parameter]
    [AllowEmptyString]
    public string? Notes { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord() =>
        ForEachSession((session, events, ct) => Sessions.UpdateAsync(session.Id, new SessionUpdate
        {
            Name = Name,
            ScriptCommand = ScriptCommand,
            ModelOverride = Model,
            AgentMode = AgentMode,
            Notes = Notes,
        }, ct), "Change settings", writeResult: PassThru);
}
