using System.Management.Automation;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Module.Commands;

/// <summary>Opens a session's worktree in an editor (default $env:AMP_SESSIONS_EDITOR, else code) or a terminal.</summary>
[Cmdlet(VerbsCommon.Open, Nouns.Session, DefaultParameterSetName = IdParameterSet)]
[OutputType(typeof(OpenResult))]
public sealed class OpenAmpSessionCommand : AmpSessionCmdlet
{
    /// <summary>The editor command line; the worktree path is appended.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Editor { get; set; }

    /// <summary>Open a terminal instead ($env:AMP_SESSIONS_TERMINAL chooses which); -Editor is then not used.</summary>
    [Parameter]
    public SwitchParameter Terminal { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord() =>
        ForEachSession((session, events, ct) => Sessions.OpenAsync(session.Id, Editor, Terminal, ct), writeResult: PassThru);
}
