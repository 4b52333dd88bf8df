using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using AmpSessions.Core.Events;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Events;

/// <summary>The webhook against a real HTTP server on localhost that fails the first request.</summary>
public sealed class WebhookTests : IDisposable
{
    private readonly TempDirectory temp = new("amp-webhook");
    private readonly HttpListener server = new();
    private readonly List<(string Type, string Header, string Body)> received = [];
    private int requests;

    public WebhookTests()
    {
        var port = FreePort();
        server.Prefixes.Add($"http://127.0.0.1:{port}/hook/");
        server.Start();
        _ = Task.Run(ServeAsync);
        Directory.CreateDirectory(temp.Combine("data"));
        File.WriteAllText(temp.Combine("data", "config.yaml"), $"webhook_url: http://127.0.0.1:{port}/hook/\n");
    }

    public void Dispose()
    {
        server.Close();
        temp.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task ServeAsync()
    {
        while (server.IsListening)
        {
            HttpListenerContext call;
            try
            {
                call = await server.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            using var reader = new StreamReader(call.Request.InputStream);
            var body = await reader.ReadToEndAsync();
            var first = Interlocked.Increment(ref requests) == 1;
            if (!first)
            {
                lock (received)
                {
                    received.Add((JsonDocument.Parse(body).RootElement.GetProperty("type").GetString()!, call.Request.Headers["X-AmpSessions-Event"]!, body));
                }
            }
            // The first request fails: the sender must try it again.
            call.Response.StatusCode = first ? 500 : 204;
            call.Response.Close();
        }
    }

    [Fact]
    public async Task Every_event_is_posted_in_order_with_retries_and_recording_never_waits()
    {
        var context = AmpContext.Open(temp.Combine("data"));
        var watch = Stopwatch.StartNew();
        context.Events.Publish(AmpEventTypes.SessionCreated, "one", "s1");
        context.Events.Publish(AmpEventTypes.StatusChanged, "two", "s1");
        context.Events.Publish(AmpEventTypes.IterationFinished, "three", "s1");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"recording waited for the webhook ({watch.Elapsed})");

        await Eventually.WaitAsync(() => { lock (received) return received.Count == 3; }, TimeSpan.FromSeconds(30), "three events delivered");

        lock (received)
        {
            Assert.Equal([AmpEventTypes.SessionCreated, AmpEventTypes.StatusChanged, AmpEventTypes.IterationFinished], received.Select(r => r.Type));
            Assert.Equal(received.Select(r => r.Type), received.Select(r => r.Header));
            Assert.Contains("\"sessionId\":\"s1\"", received[0].Body);
        }
        Assert.Equal(4, requests);
        Assert.Equal(context.Events.LatestId().ToString(System.Globalization.CultureInfo.InvariantCulture),
            File.ReadAllText(temp.Combine("data", "webhook", "cursor")).Trim());
    }
}
