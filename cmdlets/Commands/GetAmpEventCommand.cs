using System.Management.Automation;
using AmpSessions.Core.Events;

namespace AmpSessions.Module.Commands;

/// <summary>
/// Gets what happened to sessions and batches, from any process: the newest events, those after an
/// id, or (-Follow) every new one as it is recorded, until Ctrl+C.
/// </summary>
[Cmdlet(VerbsCommon.Get, Nouns.Event)]
[OutputType(typeof(AmpEvent))]
public sealed class GetAmpEventCommand : AmpCmdlet
{
    /// <summary>Only events of these types.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(EventTypeCompleter))]
    public string[]? Type { get; set; }

    /// <summary>Only events of this session (id, unique prefix or name).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Id")]
    [ValidateNotNullOrEmpty]
    public string? SessionId { get; set; }

    /// <summary>Only events of this batch.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? BatchId { get; set; }

    /// <summary>Start after this event id, so a reader can resume without gaps.</summary>
    [Parameter]
    [ValidateRange(0, long.MaxValue)]
    public long? After { get; set; }

    /// <summary>Without -Follow or -After: how many of the newest events (default 50).</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Last { get; set; } = 50;

    /// <summary>Keep writing events as any process records them, until Ctrl+C.</summary>
    [Parameter]
    public SwitchParameter Follow { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            var filter = new EventFilter
            {
                Types = AmpEventTypes.Checked(Type),
                SessionId = SessionId is null ? null : Sessions.Resolve(SessionId).Id,
                BatchId = BatchId,
            };
            if (!Follow)
            {
                WriteObject(After is { } from ? Context.Events.After(from, filter, int.MaxValue) : Context.Events.Last(Last, filter), enumerateCollection: true);
                return;
            }
            RunOnPipeline(async (events, ct) =>
            {
                try
                {
                    await foreach (var e in Context.Events.FollowAsync(After, filter, cancellationToken: ct).ConfigureAwait(false))
                    {
                        events.Output(e);
                    }
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                }
                return 0;
            });
        }
        catch (Exception ex) when (Infrastructure.ErrorRecords.IsPipelineItemFailure(ex))
        {
            WriteFailure(ex, SessionId ?? BatchId);
        }
    }
}

/// <summary>Completes event types.</summary>
public sealed class EventTypeCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        System.Management.Automation.Language.CommandAst commandAst, System.Collections.IDictionary fakeBoundParameters) =>
        AmpEventTypes.All.Where(t => t.StartsWith(wordToComplete, StringComparison.OrdinalIgnoreCase))
            .Select(t => new CompletionResult(t, t, CompletionResultType.ParameterValue, AmpEventTypes.SourcePrefix + t));
}
