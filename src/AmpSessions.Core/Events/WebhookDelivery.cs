using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using AmpSessions.Core.Serialization;

namespace AmpSessions.Core.Events;

/// <summary>
/// POSTs every event of a data directory to the webhook URL of its user configuration
/// (`webhook_url` in config.yaml in the data directory: not in repository files, which are committed
/// and shared), in order, as JSON, in the background. Recording an event only wakes the sender, so
/// the work never waits for the network. Each event is tried three times (1, 2, 4 s apart); what is
/// not delivered stays behind a cursor file (&lt;data&gt;/webhook/cursor) for the next process that
/// records an event, and one process at a time delivers (an OS lock on &lt;data&gt;/webhook/deliver.lock).
/// </summary>
public sealed class WebhookDelivery
{
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan[] Backoff = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4)];
    private static readonly ConcurrentDictionary<string, WebhookDelivery> Senders = new(StringComparer.Ordinal);
    private static readonly HttpClient Http = new() { Timeout = RequestTimeout };

    private readonly string dataRoot;
    private readonly EventLog log;
    private readonly object gate = new();
    private Task worker = Task.CompletedTask;
    private bool running;
    private long firstSeen;
    private long pendingUpTo;

    private WebhookDelivery(string dataRoot, EventLog log)
    {
        this.dataRoot = dataRoot;
        this.log = log;
    }

    /// <summary>Tells the data directory's sender that <paramref name="recorded"/> was recorded (nothing happens without a webhook URL).</summary>
    internal static void Wake(string dataRoot, EventLog log, AmpEvent recorded)
    {
        if (Url(dataRoot) is null)
        {
            return;
        }
        var sender = Senders.GetOrAdd(dataRoot, root => new WebhookDelivery(root, log));
        sender.Schedule(recorded.Id);
    }

    /// <summary>Waits up to <paramref name="limit"/> for this process's pending deliveries (a CLI command about to exit).</summary>
    public static async Task DrainAsync(TimeSpan limit)
    {
        var pending = Senders.Values.Select(s => s.worker).Where(t => !t.IsCompleted).ToArray();
        if (pending.Length > 0)
        {
            await Task.WhenAny(Task.WhenAll(pending), Task.Delay(limit)).ConfigureAwait(false);
        }
    }

    private static readonly ConcurrentDictionary<string, (DateTime Written, string? Url)> Urls = new(StringComparer.Ordinal);

    /// <summary>The webhook URL of the data directory's user configuration, or null; read again only when the file changes.</summary>
    internal static string? Url(string dataRoot)
    {
        var file = Path.Combine(dataRoot, Configuration.ConfigurationKeys.UserFileName);
        var written = File.Exists(file) ? File.GetLastWriteTimeUtc(file) : DateTime.MinValue;
        if (written == DateTime.MinValue)
        {
            return null;
        }
        if (Urls.TryGetValue(dataRoot, out var known) && known.Written == written)
        {
            return known.Url;
        }
        string? url;
        try
        {
            var text = new Configuration.ConfigurationService(dataRoot).Load(null).Text(Configuration.ConfigurationKeys.WebhookUrl);
            url = text is { Length: > 0 } && Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? text : null;
        }
        catch (Errors.AmpSessionsException)
        {
            url = null;
        }
        Urls[dataRoot] = (written, url);
        return url;
    }

    private void Schedule(long id)
    {
        lock (gate)
        {
            firstSeen = firstSeen == 0 ? id : firstSeen;
            pendingUpTo = Math.Max(pendingUpTo, id);
            if (!running)
            {
                running = true;
                worker = Task.Run(DeliverLoopAsync);
            }
        }
    }

    /// <summary>Delivers until everything scheduled is out (or a delivery fails, which leaves the rest for later).</summary>
    private async Task DeliverLoopAsync()
    {
        var delivered = 0L;
        try
        {
            while (true)
            {
                var reached = await DeliverAsync().ConfigureAwait(false);
                lock (gate)
                {
                    // Stop when nothing new was scheduled meanwhile, or when this round got nowhere.
                    if (reached is null || reached >= pendingUpTo || reached == delivered)
                    {
                        running = false;
                        return;
                    }
                }
                delivered = reached.Value;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Errors.AmpSessionsException)
        {
            // The webhook is a convenience: a broken cursor folder or busy store must not surface in the work.
            lock (gate)
            {
                running = false;
            }
        }
    }

    /// <summary>One round: every recorded event after the cursor, in order; returns the last id delivered (null: none could be).</summary>
    private async Task<long?> DeliverAsync()
    {
        var folder = Path.Combine(dataRoot, "webhook");
        Directory.CreateDirectory(folder);
        FileStream? exclusive;
        try
        {
            exclusive = new FileStream(Path.Combine(folder, "deliver.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            // Another process delivers now; it reads the same log, so nothing is lost.
            return null;
        }
        using (exclusive)
        {
            var cursorPath = Path.Combine(folder, "cursor");
            long first;
            lock (gate)
            {
                first = firstSeen;
            }
            var cursor = ReadCursor(cursorPath, first);
            while (Url(dataRoot) is { } url)
            {
                var batch = log.After(cursor, limit: 100);
                if (batch.Count == 0)
                {
                    return cursor;
                }
                foreach (var e in batch)
                {
                    if (!await PostAsync(url, e).ConfigureAwait(false))
                    {
                        // Left for the next event recorded (by this process or another): the cursor stays before it.
                        return null;
                    }
                    AtomicWrite(cursorPath, e.Id.ToString(CultureInfo.InvariantCulture));
                    cursor = e.Id;
                }
            }
            return null;
        }
    }

    /// <summary>The id after which delivery starts: the cursor file's, else just before the first event seen (no flood of history).</summary>
    private static long ReadCursor(string path, long firstSeen) =>
        File.Exists(path) && long.TryParse(File.ReadAllText(path).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : firstSeen - 1;

    private static async Task<bool> PostAsync(string url, AmpEvent e)
    {
        var body = JsonOutput.Serialize(e, indented: false);
        for (var attempt = 0; attempt <= Backoff.Length; attempt++)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                request.Headers.UserAgent.Add(new ProductInfoHeaderValue("amp-sessions", "1"));
                request.Headers.Add("X-AmpSessions-Event", e.Type);
                request.Headers.Add("X-AmpSessions-Event-Id", e.Id.ToString(CultureInfo.InvariantCulture));
                using var response = await Http.SendAsync(request).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return true;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Unreachable or too slow: try again after the backoff.
            }
            if (attempt < Backoff.Length)
            {
                await Task.Delay(Backoff[attempt]).ConfigureAwait(false);
            }
        }
        return false;
    }

    private static void AtomicWrite(string path, string text)
    {
        var temporary = path + "." + Environment.ProcessId + ".tmp";
        File.WriteAllText(temporary, text);
        File.Move(temporary, path, overwrite: true);
    }
}
