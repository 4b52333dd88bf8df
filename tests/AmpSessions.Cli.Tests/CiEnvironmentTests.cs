using AmpSessions.Testing;

namespace AmpSessions.Cli.Tests;

/// <summary>
/// The CI environment as a GitHub Actions step runs the CLI: CI=true, no terminal (output captured).
/// No colours or animation, no notifications, a mode the ci environment does not allow is refused,
/// and a failed iteration (agent or tests) fails the step with an annotation.
/// </summary>
[Trait("Platform", "Posix")]
public sealed class CiEnvironmentTests : IDisposable
{
    private readonly CliSessionBed bed = new();
    private readonly RecordingNotifySend notifier = new();

    public CiEnvironmentTests()
    {
        bed.Cli.Environment["PATH"] = notifier.PathWithRecorder;
        bed.Cli.Environment["AMP_SESSIONS_NOTIFICATIONS"] = "1";
        bed.Repo.WriteFile(".amp-sessions.yaml", "environments:\n  ci:\n    ci: true\n    allowed_modes: [low]\n");
        bed.Repo.CommitAll("CI allows only low");
    }

    public void Dispose()
    {
        notifier.Dispose();
        bed.Dispose();
    }

    private void AsGitHubActions()
    {
        bed.Cli.Environment["CI"] = "true";
        bed.Cli.Environment["GITHUB_ACTIONS"] = "true";
    }

    private static void AssertPlain(CliResult result)
    {
        Assert.DoesNotContain('\u001b', result.StandardOutput + result.StandardError);
        Assert.DoesNotContain('\r', result.StandardOutput + result.StandardError);
    }

    [Fact]
    public async Task A_failed_test_script_fails_the_step_in_CI_with_an_annotation_and_no_colour_or_notification()
    {
        AsGitHubActions();
        var id = await bed.NewSessionAsync("--script", "echo tests failed; exit 1");

        var result = await bed.RunAsync("iterate", id);

        // 3: everything ran and the tests failed (README, "Exit codes"); any non-zero code fails the step.
        Assert.Equal(3, result.ExitCode);
        AssertPlain(result);
        Assert.Contains("  runs in: ci", result.StandardOutput);
        Assert.Contains($"::error title=amp-sessions iterate {id}::Iteration 1: the tests failed", result.StandardOutput);
        Assert.Empty(notifier.Calls);
    }

    [Fact]
    public async Task Outside_CI_the_same_turn_notifies_and_writes_no_annotation()
    {
        var id = await bed.NewSessionAsync("--script", "echo tests failed; exit 1");

        var result = await bed.RunAsync("iterate", id);

        Assert.Equal(3, result.ExitCode);
        Assert.Contains("  runs in: production", result.StandardOutput);
        Assert.DoesNotContain("::error", result.StandardOutput);
        Assert.NotEmpty(notifier.Calls);
    }

    [Fact]
    public async Task A_failed_agent_turn_fails_the_step_and_says_why()
    {
        AsGitHubActions();
        var id = await bed.NewSessionAsync();
        bed.Scenario = "agent-error";

        var result = await bed.RunAsync("iterate", id);

        Assert.Equal(1, result.ExitCode);
        AssertPlain(result);
        Assert.Matches(@"::error title=amp-sessions iterate \w+::Iteration 1: The agent failed", result.StandardOutput);
    }

    [Fact]
    public async Task A_mode_the_ci_environment_does_not_allow_is_refused_before_anything_is_made()
    {
        AsGitHubActions();

        var result = await bed.RunAsync("new", "--repo", bed.Repo.Root, "--name", "expensive", "--prompt", "p", "--agent", CliSessionBed.FakeAgent, "--mode", "high");

        Assert.Equal(1, result.ExitCode);
        AssertPlain(result);
        Assert.Equal($"amp-sessions: Mode 'high' (from parameter) is not allowed in environment 'ci', which allows low ({bed.Repo.Path(".amp-sessions.yaml")}:2): choose one of those with --mode, or add 'high' to environments.ci.allowed_modes.\n", result.StandardError);
        Assert.Equal("[]", (await bed.RunAsync("list", "--json")).StandardOutput.Trim());
    }

    [Fact]
    public async Task Config_list_and_env_print_plain_text_in_CI()
    {
        AsGitHubActions();
        var id = await bed.NewSessionAsync("--mode", "low");

        var list = await bed.Cli.RunAsync(["config", "list"], bed.Repo.Root, TimeSpan.FromMinutes(1));
        var env = await bed.RunAsync("env", id);

        AssertPlain(list);
        AssertPlain(env);
        Assert.Contains("environment                         ci ", list.StandardOutput);
        Assert.Contains($"Session {id} \"Rename greet\" runs in environment ci (CI)  (from default)", env.StandardOutput);
        Assert.Contains("  notifications: off", env.StandardOutput);
    }

    [Fact]
    public async Task No_editor_is_opened_for_a_session_in_the_ci_environment()
    {
        var id = await bed.NewSessionAsync("--environment", "ci");

        var result = await bed.RunAsync("open", id, "--editor", "true");

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"amp-sessions: Session {id} runs in environment 'ci', which behaves as CI, so no editor or terminal is opened: read the worktree at {bed.Worktree(id)}, or open it in another environment with `amp-sessions set {id} --environment production`.", result.StandardError);
    }
}
