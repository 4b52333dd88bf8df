using System.Collections;
using System.Management.Automation;
using AmpSessions.Core.Batches;
using AmpSessions.Core.Evaluation;
using AmpSessions.Module.Infrastructure;

namespace AmpSessions.Module;

/// <summary>
/// The base of the cmdlets that run agents on an instances file (Start-AmpEvaluation,
/// Test-AmpEvaluation): the file, the repositories table, the test command, the time limit and the
/// shard, read the same way for both; the run itself is a batch (<see cref="AmpBatchRunCmdlet"/>).
/// </summary>
public abstract class AmpEvaluationRunCmdlet : AmpBatchRunCmdlet
{
    /// <summary>Instances files (SWE-bench-style JSON or JSONL, or commit pairs), relative to the current location.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "InstancesFile")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <summary>SWE-bench repo names ("owner/name") to local folders or clone URLs: @{ 'acme/web' = '../clones/web' }.</summary>
    [Parameter]
    public Hashtable? Repository { get; set; }

    /// <summary>The test command of instances that carry none ({junit}: where JUnit XML goes).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? TestCommand { get; set; }

    /// <summary>Time limit per attempt (agent and tests); seconds or a TimeSpan.</summary>
    [Parameter]
    [SecondsToTimeSpan]
    [ValidatePositiveTimeSpan]
    public TimeSpan? Timeout { get; set; }

    /// <summary>Run only shard i of N ('2/3'): N machines running the same command share the attempts.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Shard { get; set; }

    /// <summary>The -Repository table with folders resolved against PowerShell's current location (URLs kept).</summary>
    protected IReadOnlyDictionary<string, string> Repositories()
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Repository ?? new Hashtable())
        {
            var location = LanguagePrimitives.ConvertTo<string>(entry.Value);
            map[LanguagePrimitives.ConvertTo<string>(entry.Key).Trim()] = RepositoryClones.Normalize(location, ResolvePath);
        }
        return map;
    }

    protected BatchShard? ShardOrNull() => Shard is null ? null : BatchShard.Parse(Shard);

    /// <summary>
    /// For each -Path: builds the core request (a bad argument is that file's error, and the others
    /// still run), then runs it as a batch, now or in the job.
    /// </summary>
    protected void RunForEachFile<TRequest, T>(Func<string, TRequest> request, Func<TRequest, string> action,
        Func<EvaluationService, TRequest, IProgress<BatchEvent>, CancellationToken, Task<T>> run)
    {
        foreach (var path in Path)
        {
            var file = ResolvePath(path);
            TRequest built;
            try
            {
                built = request(file);
            }
            catch (Exception ex) when (ErrorRecords.IsPipelineItemFailure(ex))
            {
                WriteFailure(ex, file);
                continue;
            }
            RunBatch(file, action(built), (context, progress, ct) => run(new EvaluationService(context), built, progress, ct));
        }
    }
}
