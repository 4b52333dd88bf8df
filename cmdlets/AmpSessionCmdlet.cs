using System.Management.Automation;
using AmpSessions.Core.Jobs;
using AmpSessions.Core.Sessions;
using AmpSessions.Module.Completion;

namespace AmpSessions.Module;

/// <summary>
/// The base of cmdlets that act on sessions: <c>-Session</c> objects from the pipeline by value,
/// or <c>-Id</c> (an id, a unique id prefix or a name) by value or by property name
/// (<c>Id</c>, <c>SessionId</c>). Each session is one pipeline item: a failure is written as a
/// non-terminating error and the next session goes on.
/// </summary>
public abstract class AmpSessionCmdlet : AmpSessionActionCmdlet
{
    /// <summary>Sessions given as objects (from Get-AmpSession or New-AmpSession).</summary>
    public const string SessionParameterSet = "Session";
    /// <summary>Sessions given by id, id prefix or name.</summary>
    public const string IdParameterSet = "Id";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = SessionParameterSet)]
    [ValidateNotNullOrEmpty]
    public Session[] Session { get; set; } = [];

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = IdParameterSet)]
    [Alias("SessionId")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(SessionIdCompleter))]
    public string[] Id { get; set; } = [];

    /// <summary>
    /// Resolves each session of this pipeline item and runs the operation for it, after
    /// ShouldProcess when an action is given; writes the result unless told not to.
    /// </summary>
    protected void ForEachSession<T>(Func<Session, RunEventWriter, CancellationToken, Task<T>> operation, string? shouldProcessAction = null, bool writeResult = true) =>
        ForEachSession(ParameterSetName == SessionParameterSet ? Session.Select(s => s.Id) : Id, operation, shouldProcessAction, writeResult);
}
