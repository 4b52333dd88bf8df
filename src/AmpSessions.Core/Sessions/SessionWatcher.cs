using System.Runtime.CompilerServices;
using AmpSessions.Core.Agents;
using AmpSessions.Core.Iterations;

namespace AmpSessions.Core.Sessions;

/// <summary>Something seen while watching a session from any process.</summary>
[System.Text.Json.Serialization.JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[System.Text.Json.Serialization.JsonDerivedType(typeof(SessionStatusChangedEvent), "status")]
[System.Text.Json.Serialization.JsonDerivedType(typeof(IterationChangedEvent), "iteration")]
[System.Text.Json.Serialization.JsonDerivedType(typeof(AgentActivityEvent), "agent")]
public abstract record SessionWatchEvent(string SessionId, DateTimeOffset Time);

/// <summary>The session's status (or its message) changed; the first event carries the status at the start.</summary>
public sealed record SessionStatusChangedEvent(string SessionId, DateTimeOffset Time, SessionStatus Status, string? Message) : SessionWatchEvent(SessionId, Time);

/// <summary>An iteration started or ended.</summary>
public sealed record IterationChangedEvent(string SessionId, DateTimeOffset Time, IterationRecord Iteration) : SessionWatchEvent(SessionId, Time);

/// <summary>The running iteration's agent streamed something.</summary>
public sealed record AgentActivityEvent(string SessionId, DateTimeOffset Time, int IterationNumber, AgentEvent Event) : SessionWatchEvent(SessionId, Time);

/// <summary>
/// Follows a session that another process may be driving: status changes from the store,
/// iterations as they start and end, and the agent's stream as the transcript grows.
/// </summary>
public sealed class SessionWatcher
{
    public static readonly TimeSpan DefaultPollInterval = TimeSpan.FromMilliseconds(250);
    private readonly AmpContext context;

    public SessionWatcher(AmpContext context) => this.context = context;

    /// <summary>Events until cancelled, or, with <paramref name="untilSettled"/>, until the session is no longer Running or Evaluating.</summary>
    public async IAsyncEnumerable<SessionWatchEvent> WatchAsync(string reference, bool untilSettled = false, TimeSpan? pollInterval = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var sessions = new SessionManager(context);
        var id = sessions.Resolve(reference).Id;
        (SessionStatus Status, string? Message)? lastStatus = null;
        var seenIterations = new Dictionary<long, IterationStatus>();
        var transcriptOffsets = new Dictionary<string, long>();
        // What happened before the watch started is replayed with the time it happened, not the watch's.
        var replaying = true;
        while (!cancellationToken.IsCancellationRequested)
        {
            var session = context.Sessions.Get(id) ?? throw new Errors.SessionNotFoundException(id, $"Session {id} was deleted while being watched.");
            if (lastStatus != (session.Status, session.StatusMessage))
            {
                lastStatus = (session.Status, session.StatusMessage);
                yield return new SessionStatusChangedEvent(id, replaying ? session.UpdatedAt : context.Now, session.Status, session.StatusMessage);
            }
            foreach (var iteration in context.Iterations.List(id))
            {
                if (!seenIterations.TryGetValue(iteration.Id, out var known) || known != iteration.Status)
                {
                    seenIterations[iteration.Id] = iteration.Status;
                    yield return new IterationChangedEvent(id, replaying ? iteration.EndedAt ?? iteration.StartedAt : context.Now, iteration);
                }
                if (iteration.TranscriptPath is { } path && File.Exists(path))
                {
                    foreach (var agentEvent in ReadNewLines(path, transcriptOffsets))
                    {
                        // A transcript line carries no time: a replayed one gets its iteration's start.
                        yield return new AgentActivityEvent(id, replaying ? iteration.StartedAt : context.Now, iteration.Number, agentEvent);
                    }
                }
            }
            replaying = false;
            if (untilSettled && session.Status is not (SessionStatus.Running or SessionStatus.Evaluating or SessionStatus.Initializing))
            {
                yield break;
            }
            try
            {
                await Task.Delay(pollInterval ?? DefaultPollInterval, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }
        }
    }

    private static IEnumerable<AgentEvent> ReadNewLines(string path, Dictionary<string, long> offsets)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var offset = offsets.GetValueOrDefault(path);
        if (stream.Length <= offset)
        {
            return [];
        }
        stream.Seek(offset, SeekOrigin.Begin);
        using var reader = new StreamReader(stream);
        var text = reader.ReadToEnd();
        // Only whole lines: a line still being written is read next time.
        var complete = text.LastIndexOf('\n') + 1;
        offsets[path] = offset + System.Text.Encoding.UTF8.GetByteCount(text.AsSpan(0, complete));
        return text[..complete].Split('\n', StringSplitOptions.RemoveEmptyEntries).SelectMany(StreamJsonParser.ParseLine).ToArray();
    }
}
