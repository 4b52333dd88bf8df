using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using AmpSessions.Core.Storage;
using Microsoft.Data.Sqlite;

namespace AmpSessions.Core.Events;

/// <summary>Which events a reader wants; null fields match everything.</summary>
public sealed record EventFilter
{
    public IReadOnlyCollection<string> Types { get; init; } = [];
    public string? SessionId { get; init; }
    public string? BatchId { get; init; }

    public static EventFilter All { get; } = new();
}

/// <summary>
/// The durable event log of one data directory: the <c>events</c> table of its SQLite store,
/// append only, ordered by id. Any process records into it (WAL and the busy timeout make
/// concurrent writers wait for each other) and any process follows it by polling for ids above
/// the last one it saw, so `events --follow` sees what a batch in another process does. Recording
/// an event also raises it in this process (<see cref="EventHub"/>) for PowerShell engine events
/// and the webhook.
/// </summary>
public sealed class EventLog
{
    /// <summary>Events older than this are dropped, at most once per process and data directory.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromDays(30);

    public static readonly TimeSpan DefaultPollInterval = TimeSpan.FromMilliseconds(200);

    private const string Columns = "id, type, time, session_id, batch_id, message, data";
    private static readonly HashSet<string> Pruned = new(StringComparer.Ordinal);

    private readonly Database database;
    private readonly string dataRoot;
    private readonly TimeProvider clock;

    public EventLog(Database database, string dataRoot, TimeProvider clock)
    {
        this.database = database;
        this.dataRoot = dataRoot;
        this.clock = clock;
    }

    /// <summary>The log's clock: when events happen.</summary>
    internal DateTimeOffset Now => clock.GetUtcNow();

    /// <summary>
    /// Records an event and raises it in this process. The work that reports it has happened, so a
    /// store that cannot take the row does not undo it: the failure is swallowed and the event lost.
    /// </summary>
    public AmpEvent Publish(string type, string message, string? sessionId = null, string? batchId = null, JsonObject? data = null)
    {
        var e = new AmpEvent { Type = type, Time = clock.GetUtcNow(), SessionId = sessionId, BatchId = batchId, Message = message, Data = data ?? [] };
        try
        {
            e = database.Execute(connection => Insert(connection, null, e));
            PruneOnce();
        }
        catch (Errors.AmpSessionsException)
        {
            return e;
        }
        Raise(e);
        return e;
    }

    /// <summary>Records an event inside the caller's transaction; raise it with <see cref="Raise"/> after the commit.</summary>
    internal static AmpEvent Insert(SqliteConnection connection, SqliteTransaction? transaction, AmpEvent e)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT INTO events (type, time, session_id, batch_id, message, data) VALUES ($type, $time, $session, $batch, $message, $data) RETURNING id";
        command.Parameters.AddWithValue("$type", e.Type);
        command.Parameters.AddWithValue("$time", SessionStore.FormatTime(e.Time));
        command.Parameters.AddWithValue("$session", (object?)e.SessionId ?? DBNull.Value);
        command.Parameters.AddWithValue("$batch", (object?)e.BatchId ?? DBNull.Value);
        command.Parameters.AddWithValue("$message", e.Message);
        command.Parameters.AddWithValue("$data", e.Data.ToJsonString());
        return e with { Id = Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) };
    }

    /// <summary>Tells this process's listeners (engine events, webhook) about a recorded event.</summary>
    internal void Raise(AmpEvent e)
    {
        EventHub.Raise(e, dataRoot);
        WebhookDelivery.Wake(dataRoot, this, e);
    }

    /// <summary>The id of the newest event (0 when there is none): follow from here to see only what happens next.</summary>
    public long LatestId() => database.Execute(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COALESCE(MAX(id), 0) FROM events";
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    });

    /// <summary>Events with ids above <paramref name="afterId"/>, oldest first, at most <paramref name="limit"/>.</summary>
    public IReadOnlyList<AmpEvent> After(long afterId, EventFilter? filter = null, int limit = 1000) => database.Execute(connection =>
    {
        using var command = connection.CreateCommand();
        var where = new List<string> { "id > $after" };
        command.Parameters.AddWithValue("$after", afterId);
        AddFilter(command, where, filter ?? EventFilter.All);
        command.CommandText = $"SELECT {Columns} FROM events WHERE {string.Join(" AND ", where)} ORDER BY id LIMIT $limit";
        command.Parameters.AddWithValue("$limit", limit);
        return ReadAll(command);
    });

    /// <summary>The newest <paramref name="count"/> events that match, oldest first.</summary>
    public IReadOnlyList<AmpEvent> Last(int count, EventFilter? filter = null) => database.Execute(connection =>
    {
        using var command = connection.CreateCommand();
        var where = new List<string> { "1 = 1" };
        AddFilter(command, where, filter ?? EventFilter.All);
        command.CommandText = $"SELECT {Columns} FROM events WHERE {string.Join(" AND ", where)} ORDER BY id DESC LIMIT $limit";
        command.Parameters.AddWithValue("$limit", count);
        var newestFirst = ReadAll(command);
        newestFirst.Reverse();
        return newestFirst;
    });

    /// <summary>
    /// Every event after <paramref name="afterId"/> (default: the newest now, so only what happens
    /// next), as it is recorded by any process, until cancelled.
    /// </summary>
    public async IAsyncEnumerable<AmpEvent> FollowAsync(long? afterId = null, EventFilter? filter = null, TimeSpan? pollInterval = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var last = afterId ?? LatestId();
        while (!cancellationToken.IsCancellationRequested)
        {
            // The filter is applied after reading, so `last` moves past events that do not match too.
            var batch = After(last, null, 500);
            foreach (var e in batch)
            {
                last = e.Id;
                if (Matches(e, filter ?? EventFilter.All))
                {
                    yield return e;
                }
            }
            if (batch.Count == 500)
            {
                continue;
            }
            try
            {
                await Task.Delay(pollInterval ?? DefaultPollInterval, clock, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }
        }
    }

    public static bool Matches(AmpEvent e, EventFilter filter) =>
        (filter.Types.Count == 0 || filter.Types.Contains(e.Type))
        && (filter.SessionId is null || e.SessionId == filter.SessionId)
        && (filter.BatchId is null || e.BatchId == filter.BatchId);

    private static void AddFilter(SqliteCommand command, List<string> where, EventFilter filter)
    {
        if (filter.SessionId is not null)
        {
            where.Add("session_id = $session");
            command.Parameters.AddWithValue("$session", filter.SessionId);
        }
        if (filter.BatchId is not null)
        {
            where.Add("batch_id = $batch");
            command.Parameters.AddWithValue("$batch", filter.BatchId);
        }
        if (filter.Types.Count > 0)
        {
            var names = filter.Types.Select((type, i) =>
            {
                command.Parameters.AddWithValue($"$type{i}", type);
                return $"$type{i}";
            });
            where.Add($"type IN ({string.Join(", ", names)})");
        }
    }

    private static List<AmpEvent> ReadAll(SqliteCommand command)
    {
        var list = new List<AmpEvent>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            list.Add(new AmpEvent
            {
                Id = reader.GetInt64(0),
                Type = reader.GetString(1),
                Time = SessionStore.ParseTime(reader.GetString(2)),
                SessionId = reader.IsDBNull(3) ? null : reader.GetString(3),
                BatchId = reader.IsDBNull(4) ? null : reader.GetString(4),
                Message = reader.GetString(5),
                Data = JsonNode.Parse(reader.GetString(6)) as JsonObject ?? [],
            });
        }
        return list;
    }

    private void PruneOnce()
    {
        lock (Pruned)
        {
            if (!Pruned.Add(database.Path))
            {
                return;
            }
        }
        database.Execute(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "DELETE FROM events WHERE time < $cutoff";
            command.Parameters.AddWithValue("$cutoff", SessionStore.FormatTime(clock.GetUtcNow() - Retention));
            return command.ExecuteNonQuery();
        });
    }

    /// <summary>A JSON object of name/value pairs (values: strings, numbers, booleans, string lists), for event data.</summary>
    public static JsonObject Data(params (string Name, object? Value)[] pairs)
    {
        var data = new JsonObject();
        foreach (var (name, value) in pairs)
        {
            data[name] = value switch
            {
                null => null,
                JsonNode node => node,
                string text => JsonValue.Create(text),
                IEnumerable<string> list => new JsonArray(list.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray()),
                Enum e => JsonValue.Create(e.ToString()),
                _ => JsonSerializer.SerializeToNode(value, Serialization.JsonOutput.Options.GetTypeInfo(value.GetType())),
            };
        }
        return data;
    }
}

/// <summary>
/// Recorded events, raised in the process that recorded them: the module forwards them as
/// PowerShell engine events, the webhook sender posts them. Listeners run on the recording thread
/// and must return quickly; a listener that throws is ignored.
/// </summary>
public static class EventHub
{
    /// <summary>An event and the data directory it was recorded in.</summary>
    public static event Action<AmpEvent, string>? Published;

    internal static void Raise(AmpEvent e, string dataRoot)
    {
        var listeners = Published;
        if (listeners is null)
        {
            return;
        }
        foreach (var listener in listeners.GetInvocationList().Cast<Action<AmpEvent, string>>())
        {
            try
            {
                listener(e, dataRoot);
            }
            catch (Exception)
            {
                // One listener's failure (a closed runspace, a bad URL) must not stop the work or the others.
            }
        }
    }
}
