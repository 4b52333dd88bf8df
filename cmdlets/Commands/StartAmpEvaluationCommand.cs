using System.Management.Automation;
using AmpSessions.Core.Evaluation;

namespace AmpSessions.Module.Commands;

/// <summary>
/// Runs agents on every instance of an instances file and grades each attempt per test, as
/// `amp-sessions eval run` does. The evaluation surface is its own cmdlet rather than evaluation
/// tasks inside Start-AmpBatch: a user names instances and agents, not a batch file, and gets
/// resolved rates back; underneath it is a batch, so Get-, Stop-, Resume-AmpBatch and
/// Export-AmpReport take its RunId.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, Nouns.Evaluation, SupportsShouldProcess = true)]
[OutputType(typeof(EvaluationRun))]
[OutputType(typeof(Job))]
public sealed class StartAmpEvaluationCommand : AmpEvaluationRunCmdlet
{
    /// <summary>The agents, [id=]spec: amp, claude, amp:/claude:/exec: command lines, or the reference agents gold and null.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string[] Agent { get; set; } = [];

    /// <summary>Attempts run at once.</summary>
    [Parameter]
    [ValidateRange(1, 1024)]
    public int Concurrency { get; set; } = 1;

    /// <summary>Attempts per item when the agent errors or times out.</summary>
    [Parameter]
    [ValidateRange(1, 100)]
    public int MaxAttempts { get; set; } = 1;

    /// <summary>Independent attempts per agent and instance, for pass@k.</summary>
    [Parameter]
    [ValidateRange(1, 100)]
    public int Samples { get; set; } = 1;

    /// <summary>The run's name (default: eval and the file's name).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    protected override void ProcessRecord() => RunForEachFile(
        file => new EvaluationRunRequest
        {
            InstancesFile = file,
            Agents = Agent.Select(EvaluationAgent.Parse).ToList(),
            Repositories = Repositories(),
            TestCommand = TestCommand,
            Concurrency = Concurrency,
            Timeout = Timeout,
            MaxAttempts = MaxAttempts,
            Samples = Samples,
            Shard = ShardOrNull(),
            Name = Name,
        },
        request => $"Run {string.Join(", ", request.Agents.Select(a => a.Id))} on every instance",
        (service, request, progress, ct) => service.RunAsync(request, progress, ct));
}
