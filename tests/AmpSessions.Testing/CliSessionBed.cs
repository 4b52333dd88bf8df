using System.Text.Json;

namespace AmpSessions.Testing;

/// <summary>
/// End-to-end through the built CLI: a real repository, a data directory, and the fake agent as the
/// sessions' agent, with its state and record files beside the repository.
/// </summary>
public sealed class CliSessionBed : IDisposable
{
    public CliSessionBed()
    {
        Repo = new TestRepository();
        DataDirectory = Repo.Scratch("data");
        StateDirectory = Repo.Scratch("fake-state");
        RecordPath = Path.Combine(Repo.Scratch("fake-record"), "calls.jsonl");
        Cli = new CliRunner(DataDirectory);
        Cli.Environment["FAKE_AMP_STATE_DIR"] = StateDirectory;
        Cli.Environment["FAKE_AMP_RECORD"] = RecordPath;
    }

    public TestRepository Repo { get; }
    public string DataDirectory { get; }
    public string StateDirectory { get; }
    public string RecordPath { get; }
    public CliRunner Cli { get; }

    /// <summary>The --agent value that runs the fake as an amp-compatible program.</summary>
    public static string FakeAgent => $"amp:\"{TestPaths.FakeAgent}\"";

    public IReadOnlyList<FakeAgentInvocation> Invocations => FakeAgentRecord.Read(RecordPath);

    /// <summary>The fake's scenario for the following runs (the agent inherits the CLI's environment).</summary>
    public string Scenario
    {
        set => Cli.Environment["FAKE_AMP_SCENARIO"] = value;
    }

    public Task<CliResult> RunAsync(params string[] arguments) => Cli.RunAsync(arguments);

    /// <summary>`new` on the bed's repository with the fake agent; returns the session's id.</summary>
    public Task<string> NewSessionAsync(params string[] extraArguments) => NewSessionWithAgentAsync(FakeAgent, extraArguments);

    /// <summary>`new` on the bed's repository with the given agent; returns the session's id.</summary>
    public async Task<string> NewSessionWithAgentAsync(string agent, params string[] extraArguments)
    {
        var result = await RunAsync(["new", "--repo", Repo.Root, "--name", "Rename greet", "--prompt", "In src/greet.ts rename hello to greet.",
            "--agent", agent, "--json", .. extraArguments]);
        Assert(result.ExitCode == 0, result);
        return Json(result).GetProperty("id").GetString()!;
    }

    /// <summary>The worktree of a session, as `new` made it.</summary>
    public string Worktree(string sessionId) => Repo.Path(".worktrees", sessionId);

    /// <summary>Stdout of a --json run, parsed.</summary>
    public static JsonElement Json(CliResult result)
    {
        try
        {
            using var document = JsonDocument.Parse(result.StandardOutput);
            return document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new InvalidOperationException($"stdout is not JSON ({ex.Message}):\n{result}", ex);
        }
    }

    private static void Assert(bool condition, CliResult result)
    {
        if (!condition)
        {
            throw new InvalidOperationException("the CLI failed:\n" + result);
        }
    }

    public void Dispose() => Repo.Dispose();
}
