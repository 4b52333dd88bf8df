using AmpSessions.Core.Containment;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Events;
using AmpSessions.Core.Integration;
using AmpSessions.Core.Iterations;
using AmpSessions.Core.Sessions;
using AmpSessions.Core.Tests.Integration;
using AmpSessions.Core.Tests.Iterations;

namespace AmpSessions.Core.Tests.Containment;

public sealed class MainCheckoutDetectorTests : IDisposable
{
    private readonly IterationTestBed bed = new();

    public void Dispose() => bed.Dispose();

    [Theory]
    [MemberData(nameof(EscapeScenarios.All), MemberType = typeof(EscapeScenarios))]
    public async Task Without_the_guard_each_escape_is_reported_blocks_the_session_until_acknowledged(string escape)
    {
        EscapeScenarios.AddOrigin(bed.Repo);
        var session = await bed.NewSessionAsync(bed.WriteScenario("escape", EscapeScenarios.Scenario(escape, bed.Repo.Root)));
        var notifier = new RecordingNotifier();
        bed.Context.Sessions.Update(bed.Reload(session) with { NotificationsEnabled = true });

        var iteration = await bed.IterateAsync(session, notifier: notifier);

        Assert.Equal(IterationStatus.Succeeded, iteration.Status);
        Assert.Contains(EscapeScenarios.Touched(escape), iteration.MainCheckoutTouched!);
        var blocked = bed.Reload(session);
        Assert.Equal(SessionStatus.Blocked, blocked.Status);
        Assert.StartsWith("the agent changed the main checkout (", blocked.StatusMessage);
        var touched = bed.Context.Events.Last(1, new EventFilter { Types = [AmpEventTypes.MainCheckoutTouched] }).Single();
        Assert.Equal(session.Id, touched.SessionId);
        Assert.Contains(EscapeScenarios.Touched(escape), touched.Data["paths"]!.AsArray().Select(p => p!.GetValue<string>()));
        Assert.Contains(notifier.Sent, n => n.Kind == Core.Notifications.NotificationKind.MainCheckoutTouched && n.SessionId == session.Id);

        // Blocked: neither merge nor iterate until a person acknowledges.
        var merge = await Assert.ThrowsAsync<AmpSessionsException>(() => new IntegrationService(bed.Context, notifier).MergeAsync(session.Id));
        Assert.Equal("AmpSessionBlocked", merge.ErrorId);
        Assert.Contains("amp-sessions ack " + session.Id, merge.Message);
        Assert.Equal("AmpSessionBlocked", (await Assert.ThrowsAsync<AmpSessionsException>(() => bed.IterateAsync(session))).ErrorId);

        var ack = await new Acknowledgement(bed.Context).AcknowledgeAsync(session.Id);

        Assert.Equal(SessionStatus.Idle, ack.Session.Status);
        Assert.Equal([iteration.Number], ack.Iterations.Select(i => i.Number));
        Assert.NotNull(bed.Context.Iterations.List(session.Id).Single().MainCheckoutAcknowledgedAt);
        Assert.Equal("AmpSessionNotBlocked", (await Assert.ThrowsAsync<AmpSessionsException>(() => new Acknowledgement(bed.Context).AcknowledgeAsync(session.Id))).ErrorId);
    }

    [Fact]
    public async Task A_turn_that_stays_in_its_worktree_touches_nothing()
    {
        var session = await bed.NewSessionAsync();

        var iteration = await bed.IterateAsync(session);

        Assert.NotNull(iteration.CommitSha);
        Assert.Null(iteration.MainCheckoutTouched);
        Assert.Equal(SessionStatus.Idle, bed.Reload(session).Status);
    }

    [Fact]
    public async Task Another_session_merged_into_the_main_checkout_during_the_turn_is_not_blamed_on_the_agent()
    {
        var other = await bed.NewSessionAsync();
        File.WriteAllText(Path.Combine(other.WorktreePath, "other.txt"), "other\n");
        bed.GitInWorktree(other, "add", "--all");
        bed.GitInWorktree(other, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "other work");
        var slow = await bed.NewSessionAsync(bed.WriteScenario("slow", """{"steps": [{"sleepMs": 2500}, {"writeFile": {"path": "slow.txt", "content": "x"}}, {"success": "done"}]}"""));
        var mainBefore = bed.Repo.Git("rev-parse", "HEAD");

        var turn = bed.IterateAsync(slow);
        await Task.Delay(500);
        await new IntegrationService(bed.Context, new RecordingNotifier()).MergeAsync(other.Id);
        var iteration = await turn;

        Assert.NotEqual(mainBefore, bed.Repo.Git("rev-parse", "HEAD"));
        Assert.Null(iteration.MainCheckoutTouched);
        Assert.Equal(SessionStatus.Idle, bed.Reload(slow).Status);
    }
}
