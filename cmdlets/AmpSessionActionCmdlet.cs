using System.Management.Automation;
using AmpSessions.Core.Jobs;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Module;

/// <summary>
/// The base of cmdlets that act on sessions, however the sessions are named: each reference is
/// resolved, confirmed (ShouldProcess) and acted on in turn; a failure is written as a
/// non-terminating error and the next session goes on. <see cref="AmpSessionCmdlet"/> adds the
/// usual -Session/-Id parameter sets; a cmdlet whose own parameter sets are the modes of one
/// operation (Update-AmpSession) declares its -Id itself.
/// </summary>
public abstract class AmpSessionActionCmdlet : AmpCmdlet
{
    /// <summary>
    /// Resolves each reference and runs the operation for it, after ShouldProcess when an action is
    /// given; writes the result unless told not to.
    /// </summary>
    protected void ForEachSession<T>(IEnumerable<string> references, Func<Session, RunEventWriter, CancellationToken, Task<T>> operation,
        string? shouldProcessAction = null, bool writeResult = true)
    {
        foreach (var reference in references)
        {
            try
            {
                var session = Sessions.Resolve(reference);
                if (shouldProcessAction is not null && !ShouldProcess(Describe(session), shouldProcessAction))
                {
                    continue;
                }
                RunForSession(session, (events, ct) => operation(session, events, ct), writeResult);
            }
            catch (Exception ex) when (ex is not PipelineStoppedException && Infrastructure.ErrorRecords.IsPipelineItemFailure(ex))
            {
                WriteFailure(ex, reference);
            }
        }
    }

    /// <summary>Runs one session's operation now; <see cref="AmpJobCmdlet"/> queues it into a job instead.</summary>
    protected virtual void RunForSession<T>(Session session, Func<RunEventWriter, CancellationToken, Task<T>> operation, bool writeResult)
    {
        var result = RunOnPipeline(operation);
        if (writeResult && result is not null)
        {
            WriteObject(result, enumerateCollection: true);
        }
    }

    /// <summary>How a session is named in -WhatIf and -Confirm messages.</summary>
    protected static string Describe(Session session) => $"session {session.Id} \"{session.Name}\" ({session.BranchName})";
}
