using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Notifications;

/// <summary>
/// Desktop notifications, seen by a recording `notify-send` first on PATH. Each case runs the CLI as
/// its own process, so PATH and the global switch belong to that process alone.
/// </summary>
[Trait("Platform", "Posix")]
public sealed class NotificationTests : IDisposable
{
    private readonly CliSessionBed bed = new();
    private readonly RecordingNotifySend notifySend = new();

    public NotificationTests()
    {
        bed.Cli.Environment["PATH"] = notifySend.PathWithRecorder;
    }

    public void Dispose()
    {
        notifySend.Dispose();
        bed.Dispose();
    }

    private async Task IterateAsync(string id, string scenario)
    {
        bed.Scenario = scenario;
        await bed.RunAsync("iterate", id);
    }

    [Fact]
    public async Task Awaiting_input_notifies_urgently_with_the_blocked_tool()
    {
        var id = await bed.NewSessionAsync();

        await IterateAsync(id, "approval-blocked");

        var call = Assert.Single(notifySend.Calls);
        Assert.Equal(["--app-name=AmpSessions", "--urgency=critical", "--", "AmpSessions: waiting for you"], call.Take(4));
        Assert.StartsWith($"Rename greet ({id}): The agent needs approval for Bash", call[4]);
        Assert.Contains("allow it in the session's settings", call[4]);
    }

    [Fact]
    public async Task A_failed_iteration_notifies_with_the_reason()
    {
        var id = await bed.NewSessionAsync();

        await IterateAsync(id, "agent-error");

        var call = Assert.Single(notifySend.Calls);
        Assert.Equal("--urgency=critical", call[1]);
        Assert.Equal("AmpSessions: iteration 1 Failed", call[3]);
        Assert.Equal($"Rename greet ({id}): The agent failed: Model provider returned an error: overloaded", call[4]);
    }

    [Fact]
    public async Task Finished_tests_notify_whether_they_passed_or_failed()
    {
        var id = await bed.NewSessionAsync("--script", "grep -q 'function greet' src/greet.ts");

        await IterateAsync(id, "success-edit");
        await bed.RunAsync("set", id, "--script", "exit 4");
        await bed.RunAsync("run", id);

        var calls = notifySend.Calls;
        Assert.Equal(2, calls.Count);
        Assert.Equal(["--urgency=normal", "--", "AmpSessions: tests passed", $"Rename greet ({id}): `grep -q 'function greet' src/greet.ts` passed"], calls[0].Skip(1));
        Assert.Equal(["--urgency=normal", "--", "AmpSessions: tests failed", $"Rename greet ({id}): `exit 4` failed with exit code 4"], calls[1].Skip(1));
    }

    [Fact]
    public async Task Success_and_cancellation_stay_quiet()
    {
        var id = await bed.NewSessionAsync();

        await IterateAsync(id, "success-edit");
        await IterateAsync(id, "cancelled");

        Assert.Equal(2, bed.Invocations.Count);
        Assert.Empty(notifySend.Calls);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("off")]
    [InlineData("false")]
    public async Task The_global_switch_turns_every_notification_off(string value)
    {
        bed.Cli.Environment["AMP_SESSIONS_NOTIFICATIONS"] = value;
        var id = await bed.NewSessionAsync("--script", "false");

        await IterateAsync(id, "approval-blocked");
        await IterateAsync(id, "agent-error");
        await bed.RunAsync("run", id);

        Assert.Equal(2, bed.Invocations.Count);
        Assert.Empty(notifySend.Calls);
    }

    [Fact]
    public async Task A_session_can_be_quiet_on_its_own()
    {
        var quiet = await bed.NewSessionAsync("--no-notifications");
        var loud = await bed.NewSessionAsync();

        await IterateAsync(quiet, "approval-blocked");
        Assert.Empty(notifySend.Calls);
        await IterateAsync(loud, "approval-blocked");
        Assert.Contains(loud, Assert.Single(notifySend.Calls)[4]);

        await bed.RunAsync("set", quiet, "--notifications", "true");
        await bed.RunAsync("set", loud, "--notifications", "false");
        await IterateAsync(loud, "agent-error");
        await IterateAsync(quiet, "agent-error");

        Assert.Equal(2, notifySend.Calls.Count);
        Assert.Contains(quiet, notifySend.Calls[1][4]);
    }
}
