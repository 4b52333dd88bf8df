using AmpSessions.Core.Events;
using AmpSessions.Core.Sessions;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Events;

public sealed class EventLogTests : IDisposable
{
    private readonly TestRepository repo = new();

    public void Dispose() => repo.Dispose();

    private AmpContext Open() => AmpContext.Open(repo.Scratch("data"));

    [Fact]
    public async Task A_follower_sees_what_another_context_records_in_order_and_filtered()
    {
        var writer = Open();
        var reader = Open();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var seen = new List<AmpEvent>();
        var follow = Task.Run(async () =>
        {
            await foreach (var e in reader.Events.FollowAsync(0, new EventFilter { Types = [AmpEventTypes.SessionCreated, AmpEventTypes.StatusChanged] },
                TimeSpan.FromMilliseconds(20), stop.Token))
            {
                seen.Add(e);
                if (seen.Count == 3)
                {
                    return;
                }
            }
        });

        var session = await new SessionManager(writer).CreateAsync(new NewSessionRequest { RepoPath = repo.Root, Name = "followed", Prompt = "x" });
        writer.Events.Publish(AmpEventTypes.BatchProgress, "not wanted", batchId: "b1");
        writer.Sessions.Update(session with { Status = SessionStatus.Error, StatusMessage = "broke" });
        writer.Sessions.Update(session with { Status = SessionStatus.Error, StatusMessage = "still broken" });
        writer.Sessions.Update(session with { Status = SessionStatus.Idle, StatusMessage = null });
        await follow;

        Assert.Equal([AmpEventTypes.SessionCreated, AmpEventTypes.StatusChanged, AmpEventTypes.StatusChanged], seen.Select(e => e.Type));
        Assert.Equal(("Idle", "Error"), (seen[1].Data["from"]!.GetValue<string>(), seen[1].Data["to"]!.GetValue<string>()));
        Assert.Equal(("Error", "Idle"), (seen[2].Data["from"]!.GetValue<string>(), seen[2].Data["to"]!.GetValue<string>()));
        Assert.All(seen, e => Assert.Equal(session.Id, e.SessionId));
        Assert.True(seen.Select(e => e.Id).SequenceEqual(seen.Select(e => e.Id).Order()));
        // Creation is one SessionCreated, not also a StatusChanged from Initializing.
        Assert.Single(writer.Events.Last(100, new EventFilter { SessionId = session.Id, Types = [AmpEventTypes.StatusChanged] }), e => e.Data["from"]!.GetValue<string>() == "Idle");
        Assert.Equal("not wanted", writer.Events.Last(1, new EventFilter { BatchId = "b1" }).Single().Message);
    }

    [Fact]
    public void Events_are_raised_in_process_with_their_data_directory_and_a_throwing_listener_is_ignored()
    {
        var context = Open();
        var raised = new List<(AmpEvent Event, string Root)>();
        Action<AmpEvent, string> record = (e, root) => raised.Add((e, root));
        Action<AmpEvent, string> broken = (_, _) => throw new InvalidOperationException("a listener bug");
        EventHub.Published += broken;
        EventHub.Published += record;
        try
        {
            var recorded = context.Events.Publish(AmpEventTypes.QueueFinished, "done", data: EventLog.Data(("merged", new[] { "a", "b" }), ("count", 2)));

            var mine = Assert.Single(raised, r => r.Event.Id == recorded.Id);
            Assert.Equal(context.Data.Root, mine.Root);
            Assert.Equal(["a", "b"], mine.Event.Data["merged"]!.AsArray().Select(n => n!.GetValue<string>()));
            Assert.Equal(2, context.Events.After(recorded.Id - 1).Single().Data["count"]!.GetValue<int>());
            Assert.Equal(recorded.Id, context.Events.LatestId());
        }
        finally
        {
            EventHub.Published -= broken;
            EventHub.Published -= record;
        }
    }
}
