using System.Management.Automation;
using AmpSessions.Core.Evaluation;

namespace AmpSessions.Module.Commands;

/// <summary>
/// Checks a benchmark before trusting it, as `amp-sessions eval validate` does: the gold agent
/// (applies each patch, -Repeat times) must resolve every instance and the null agent (changes
/// nothing) none; each instance that disagrees lists the tests that misbehaved, flaky ones included.
/// It runs sessions and test commands (a batch), so it honours -WhatIf and -AsJob.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, Nouns.Evaluation, SupportsShouldProcess = true)]
[OutputType(typeof(BenchmarkValidation))]
[OutputType(typeof(Job))]
public sealed class TestAmpEvaluationCommand : AmpEvaluationRunCmdlet
{
    /// <summary>How many times gold runs on each instance; tests whose outcome varies are flagged flaky.</summary>
    [Parameter]
    [ValidateRange(1, 100)]
    public int Repeat { get; set; } = 1;

    /// <summary>Attempts run at once (default: the number of processors).</summary>
    [Parameter]
    [ValidateRange(1, 1024)]
    public int? Concurrency { get; set; }

    protected override void ProcessRecord() => RunForEachFile(
        file => new EvaluationValidateRequest
        {
            InstancesFile = file,
            Repeat = Repeat,
            Repositories = Repositories(),
            TestCommand = TestCommand,
            Concurrency = Concurrency ?? Math.Max(1, Environment.ProcessorCount),
            Timeout = Timeout,
            Shard = ShardOrNull(),
        },
        request => request.Repeat == 1 ? "Run the gold and null agents on every instance" : $"Run the gold agent {request.Repeat} times and the null agent on every instance",
        (service, request, progress, ct) => service.ValidateAsync(request, progress, ct));
}
