using AmpSessions.Core.Iterations;
using AmpSessions.Core.Notifications;
using AmpSessions.Core.Sessions;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Iterations;

/// <summary>
/// A real repository, a real data directory and sessions whose agent is the fake `amp` (a real
/// process), with its state and record files beside the repository.
/// </summary>
internal sealed class IterationTestBed : IDisposable
{
    /// <param name="guardProgram">The guard's delegate program (the built CLI); null: found as the product finds it (tests run it as none).</param>
    public IterationTestBed(string? guardProgram = null)
    {
        Repo = new TestRepository();
        Context = AmpContext.Open(new AmpContextOptions { DataDirectory = Repo.Scratch("data"), GuardProgram = guardProgram });
        Sessions = new SessionManager(Context);
        StateDirectory = Repo.Scratch("fake-state");
        RecordPath = Path.Combine(Repo.Scratch("fake-record"), "calls.jsonl");
    }

    public TestRepository Repo { get; }
    public AmpContext Context { get; }
    public SessionManager Sessions { get; }
    public string StateDirectory { get; }
    public string RecordPath { get; }

    /// <summary>The agent setting that runs the fake as an amp-compatible program.</summary>
    public static string FakeAgent => $"amp:\"{TestPaths.FakeAgent}\"";

    /// <summary>A session whose agent is the fake, playing <paramref name="scenario"/>.</summary>
    public Task<Session> NewSessionAsync(string scenario = "success-edit", string? script = null, TimeSpan? timeout = null, string? notes = null,
        string? agent = null, IReadOnlyDictionary<string, string>? extraEnvironment = null)
    {
        var environment = FakeEnvironment(scenario);
        foreach (var (name, value) in extraEnvironment ?? new Dictionary<string, string>())
        {
            environment[name] = value;
        }
        return Sessions.CreateAsync(new NewSessionRequest
        {
            RepoPath = Repo.Root,
            BaseBranch = "main",
            Name = "Rename greet",
            Prompt = "In src/greet.ts rename the function hello to greet.",
            Agent = agent ?? FakeAgent,
            ScriptCommand = script,
            Timeout = timeout,
            Notes = notes,
            AgentEnvironment = environment,
            // The product's notifier would run notify-send; notification tests run it on purpose.
            NotificationsEnabled = false,
        });
    }

    public Dictionary<string, string> FakeEnvironment(string scenario) => new()
    {
        ["FAKE_AMP_SCENARIO"] = scenario,
        ["FAKE_AMP_STATE_DIR"] = StateDirectory,
        ["FAKE_AMP_RECORD"] = RecordPath,
    };

    /// <summary>Switches the fake's scenario for the next iteration.</summary>
    public Task<Session> UseScenarioAsync(Session session, string scenario) =>
        Sessions.UpdateAsync(session.Id, new SessionUpdate { AgentEnvironment = new Dictionary<string, string> { ["FAKE_AMP_SCENARIO"] = scenario } });

    /// <summary>
    /// Writes agent environment entries straight to the row: `set --env` rightly refuses secret-looking
    /// names (FAKE_AMP_REQUIRE_KEY, an empty AMP_API_KEY), which some tests need.
    /// </summary>
    public Session ForceEnvironment(Session session, IReadOnlyDictionary<string, string> entries)
    {
        var current = Sessions.Resolve(session.Id);
        var environment = new Dictionary<string, string>(current.AgentEnvironment);
        foreach (var (name, value) in entries)
        {
            environment[name] = value;
        }
        var updated = current with { AgentEnvironment = environment };
        Context.Sessions.Update(updated);
        return updated;
    }

    /// <summary>A scenario file for the fake (script:&lt;path&gt;).</summary>
    public string WriteScenario(string name, string json)
    {
        var path = Path.Combine(Repo.Scratch("scenarios"), name + ".json");
        File.WriteAllText(path, json);
        return "script:" + path;
    }

    /// <summary>A budget's scenario: two steps of 400 tokens each writing a file, then a long pause and a third file, then success.</summary>
    public string WriteSpenderScenario() => WriteScenario("spender", """
        {"steps": [
          {"text": "first", "usage": {"input_tokens": 300, "output_tokens": 100}},
          {"writeFile": {"path": "first.txt", "content": "1\n"}},
          {"text": "second", "usage": {"input_tokens": 300, "output_tokens": 100}},
          {"writeFile": {"path": "second.txt", "content": "2\n"}},
          {"sleepMs": 20000},
          {"writeFile": {"path": "third.txt", "content": "3\n"}},
          {"success": "all three"}
        ]}
        """);

    public Task<IterationRecord> IterateAsync(Session session, IterateRequest? request = null, INotifier? notifier = null, CancellationToken cancellationToken = default,
        Action<IterationEvent>? onEvent = null) =>
        new IterationRunner(Context, notifier).RunAsync((request ?? new IterateRequest { Session = session.Id }) with { Session = session.Id }, onEvent, cancellationToken);

    public Session Reload(Session session) => Sessions.Resolve(session.Id);

    public IReadOnlyList<FakeAgentInvocation> Invocations => FakeAgentRecord.Read(RecordPath);

    public string GitInWorktree(Session session, params string[] arguments) => TestRepository.GitIn(session.WorktreePath, arguments);

    public void Dispose() => Repo.Dispose();
}
