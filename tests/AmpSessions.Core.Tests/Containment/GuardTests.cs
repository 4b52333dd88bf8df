using System.Text.Json;
using AmpSessions.Core.Containment;
using AmpSessions.Core.Events;
using AmpSessions.Core.Iterations;
using AmpSessions.Core.Sessions;
using AmpSessions.Core.Tests.Iterations;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Containment;

/// <summary>
/// The guard with the fake agent, which asks a delegate the way Amp does (the per-run settings file's
/// rules, tool input on stdin, AGENT_TOOL_NAME and the rest in the environment, exit codes): the
/// delegate is the built `amp-sessions` executable.
/// </summary>
public sealed class GuardTests : IDisposable
{
    private readonly IterationTestBed bed = new(TestPaths.CliExecutable);

    public void Dispose() => bed.Dispose();

    [Theory]
    [MemberData(nameof(EscapeScenarios.All), MemberType = typeof(EscapeScenarios))]
    public async Task Each_escape_is_denied_with_a_recorded_decision_and_the_main_checkout_stays_byte_for_byte(string escape)
    {
        EscapeScenarios.AddOrigin(bed.Repo);
        var session = await bed.NewSessionAsync(bed.WriteScenario("escape", EscapeScenarios.Scenario(escape, bed.Repo.Root)));
        var mainBefore = WorktreeState.Capture(bed.Repo.Root, "main");
        var refsBefore = bed.Repo.Git("for-each-ref", "--format=%(refname) %(objectname)");
        var originBefore = TestRepository.GitIn(bed.Repo.Path("..", "origin.git"), "for-each-ref", "--format=%(refname) %(objectname)");

        var iteration = await bed.IterateAsync(session);

        WorktreeState.Capture(bed.Repo.Root, "main").AssertSameAs(mainBefore);
        Assert.Equal(refsBefore, bed.Repo.Git("for-each-ref", "--format=%(refname) %(objectname)"));
        Assert.Equal(originBefore, TestRepository.GitIn(bed.Repo.Path("..", "origin.git"), "for-each-ref", "--format=%(refname) %(objectname)"));
        Assert.Equal(IterationStatus.Succeeded, iteration.Status);
        Assert.Null(iteration.GuardOff);
        Assert.Null(iteration.MainCheckoutTouched);
        var denied = Assert.Single(iteration.GuardDecisions);
        Assert.Equal(GuardVerdict.Deny, denied.Verdict);
        Assert.Equal(escape == EscapeScenarios.EditOutside ? "create_file" : "Bash", denied.Tool);
        Assert.False(string.IsNullOrWhiteSpace(denied.Reason));
        Assert.StartsWith("toolu_", denied.ToolUseId);
        // The model was told why: the denial is the tool's result in the transcript.
        Assert.Contains("Denied by AmpSessions' guard: " + denied.Reason, File.ReadAllText(iteration.TranscriptPath!).Replace("\\n", "\n"));
        Assert.Equal(SessionStatus.Idle, bed.Reload(session).Status);
        var recorded = bed.Context.Events.Last(1, new EventFilter { Types = [AmpEventTypes.GuardDenied] }).Single();
        Assert.Equal(denied.Reason, recorded.Data["reason"]!.GetValue<string>());
        var entry = (await new Core.Timeline.TimelineBuilder(bed.Context).BuildAsync(session.Id)).Single(e => e.IterationNumber == iteration.Number);
        Assert.Equal(1, entry.GuardDenials);
    }

    [Fact]
    public async Task Allowed_work_goes_on_and_every_decision_is_recorded()
    {
        var scenario = JsonSerializer.Serialize(new
        {
            steps = new object[]
            {
                new { toolUse = new { name = "create_file", input = new { path = "src/new.ts", content = "export const x = 1\n" } } },
                new { toolUse = new { name = "Bash", input = new { cmd = "git status --short > status.txt" } } },
                new { toolUse = new { name = "Bash", input = new { cmd = "git push" } } },
                new { success = "done" },
            },
        });
        var session = await bed.NewSessionAsync(bed.WriteScenario("allowed", scenario));
        bed.Context.Sessions.Update(bed.Reload(session) with { AllowedTools = ["Bash"] });

        var iteration = await bed.IterateAsync(session);

        Assert.Equal([GuardVerdict.Allow, GuardVerdict.Allow, GuardVerdict.Deny], iteration.GuardDecisions.Select(d => d.Verdict));
        Assert.Equal(["create_file", "Bash", "Bash"], iteration.GuardDecisions.Select(d => d.Tool));
        Assert.Equal(["src/new.ts", "status.txt"], iteration.ChangedFiles.Order());
        // The recorded rules are the ones the agent got, in Amp's order: the guard's delegates, then the session's.
        Assert.StartsWith("delegate ", iteration.Permissions[0]);
        Assert.Contains(iteration.Permissions, p => p.StartsWith("delegate Bash cmd=", StringComparison.Ordinal) && p.EndsWith(" to the guard", StringComparison.Ordinal));
        Assert.Equal("allow Bash", iteration.Permissions[^1]);

        // With the push allowed for the session, the guard lets it through (to a remote that does not exist, so git itself fails).
        await bed.Sessions.UpdateAsync(session.Id, new SessionUpdate { AllowPush = true });
        var second = await bed.IterateAsync(session);
        Assert.Equal(GuardVerdict.Allow, second.GuardDecisions.Last().Verdict);
    }

    [Fact]
    public async Task A_tool_the_session_does_not_allow_still_waits_for_approval()
    {
        var session = await bed.NewSessionAsync(bed.WriteScenario("ask", """{"steps": [{"toolUse": {"name": "Bash", "input": {"cmd": "git log -1"}}}, {"success": "done"}]}"""));

        var iteration = await bed.IterateAsync(session);

        Assert.Equal(IterationStatus.AwaitingInput, iteration.Status);
        Assert.Equal(GuardVerdict.Ask, Assert.Single(iteration.GuardDecisions).Verdict);
    }

    [Fact]
    public async Task The_configuration_can_turn_the_guard_off_and_the_detector_still_reports()
    {
        bed.Repo.WriteFile(".amp-sessions.yaml", "guard: false\n");
        bed.Repo.CommitAll("configure");
        var session = await bed.NewSessionAsync(bed.WriteScenario("escape", EscapeScenarios.Scenario(EscapeScenarios.EditOutside, bed.Repo.Root)));

        var iteration = await bed.IterateAsync(session);

        Assert.Equal("turned off by the configuration (guard: false)", iteration.GuardOff);
        Assert.Empty(iteration.GuardDecisions);
        Assert.DoesNotContain(iteration.Permissions, p => p.StartsWith("delegate ", StringComparison.Ordinal));
        Assert.Equal(["INTO_MAIN.txt"], iteration.MainCheckoutTouched);
    }
}
