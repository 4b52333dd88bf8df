using System.Management.Automation;
using AmpSessions.Core.Configuration;

namespace AmpSessions.Module.Commands;

/// <summary>
/// Gets exactly what a session's next agent turn gets: the environment and agent profile with where
/// each came from, the program and its arguments, the environment variables, the permission preset
/// and its rules, the MCP servers, skills, toolboxes and ports, with secrets masked.
/// </summary>
[Cmdlet(VerbsCommon.Get, Nouns.RunEnvironment, DefaultParameterSetName = IdParameterSet)]
[OutputType(typeof(RunEnvironment))]
public sealed class GetAmpRunEnvironmentCommand : AmpSessionCmdlet
{
    /// <summary>Show it as if the turn ran in this environment.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(Completion.ConfigNameCompleter))]
    public string? Environment { get; set; }

    /// <summary>Show it with this permission preset.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(Completion.ConfigNameCompleter))]
    public string? Preset { get; set; }

    /// <summary>Show it with this agent mode.</summary>
    [Parameter]
    [Alias("Mode")]
    [ValidateNotNullOrEmpty]
    public string? AgentMode { get; set; }

    protected override void ProcessRecord() =>
        ForEachSession((session, events, ct) => Task.FromResult(new RunEnvironmentService(Context).ForSession(session,
            new RunOverrides { Environment = Environment, Preset = Preset, Mode = AgentMode })));
}
