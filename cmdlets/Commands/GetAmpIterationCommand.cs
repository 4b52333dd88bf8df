using System.Management.Automation;
using AmpSessions.Core.Iterations;

namespace AmpSessions.Module.Commands;

/// <summary>Gets a session's iterations, oldest first: status, commit, tokens, tool calls, test result and duration.</summary>
[Cmdlet(VerbsCommon.Get, Nouns.Iteration, DefaultParameterSetName = IdParameterSet)]
[OutputType(typeof(IterationRecord))]
public sealed class GetAmpIterationCommand : AmpSessionCmdlet
{
    /// <summary>Only the iterations with these numbers.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int[]? Number { get; set; }

    protected override void ProcessRecord() =>
        ForEachSession((session, events, ct) =>
        {
            var (found, missing) = IterationLookup.Select( new Core.Evaluation.TestBaselines(Context).Iterations(session.Id), session.Id, Number);
            foreach (var error in missing)
            {
                events.Error(error);
            }
            return Task.FromResult(found);
        });
}
