using System.Text.Json;

namespace AmpSessions.Testing.Batches;

/// <summary>
/// A temp folder for batch tests: two repository folders (repo-a passes `test -f PASS`, repo-b does
/// not), fake-agent scenario scripts, a data directory and batch files whose agents run the fake
/// agent (recording every invocation).
/// </summary>
public sealed class BatchWorkspace : IDisposable
{
    private readonly TempDirectory temp = new("amp-batch");

    public BatchWorkspace()
    {
        Directory.CreateDirectory(DataDirectory);
        Directory.CreateDirectory(StateDirectory);
        WriteFile("repo-a/PASS", "yes\n");
        Folder("repo-b");
    }

    public string Root => temp.Path;
    public string DataDirectory => temp.Combine("data");
    public string StateDirectory => temp.Combine("fake-state");
    public string RecordPath => temp.Combine("invocations.jsonl");

    public string Path(params string[] parts) => temp.Combine(parts);

    /// <summary>Creates a folder (relative to the workspace) and returns its full path.</summary>
    public string Folder(string relative)
    {
        var path = temp.Combine(relative);
        Directory.CreateDirectory(path);
        return path;
    }

    public string WriteFile(string relative, string content)
    {
        var path = temp.Combine(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>
    /// Writes batch.yaml ("Runner test"): the execution lines and agents given, two tasks (build:
    /// graded by `test -f PASS`; docs: ungraded) over repo-a and repo-b, a price for the agent
    /// "steady", and all three export formats.
    /// </summary>
    public string WriteBatch(string execution, params string[] agents) => WriteFile("batch.yaml", $$"""
        version: 3
        metadata:
          name: "Runner test"
        execution:
        {{execution}}
        agents:
        {{string.Join("\n", agents)}}
        tasks:
          - id: build
            type: batch
            prompts: ["Add a feature"]
            repositories: ["./repo-a", "./repo-b"]
            script_command: "test -f PASS"
          - id: docs
            type: batch
            prompts: ["Write the docs"]
            repositories: ["./repo-a", "./repo-b"]
        prices:
          steady: { input: 3, output: 15, cache_creation: 3.75, cache_read: 0.3 }
        metrics:
          export_formats: [jsonl, csv, html]
        """);

    /// <summary>A fake-agent scenario script (see tests/AmpSessions.FakeAgent/README.md) under scripts/.</summary>
    public string Script(string name, params object[] steps) =>
        WriteFile($"scripts/{name}.json", JsonSerializer.Serialize(new { steps }));

    /// <summary>Steps of a successful turn: usage, one Bash and one Read call, a pause, success.</summary>
    public static object[] Succeeds(int sleepMs = 0) =>
    [
        new { text = "Looking at the repository.", usage = new { input_tokens = 1200, output_tokens = 80, cache_creation_input_tokens = 300, cache_read_input_tokens = 900 } },
        new { toolUse = new { name = "Bash", input = new { cmd = "ls" } }, result = "README.md", usage = new { input_tokens = 400, output_tokens = 30 } },
        new { toolUse = new { name = "Read", input = new { path = "README.md" } }, result = "# sample" },
        new { sleepMs },
        new { success = "Done." },
    ];

    /// <summary>Fails the first time for each (folder, prompt), then succeeds (needs the state directory).</summary>
    public static object[] FailsFirstTime(int sleepMs = 0) =>
        [new { failFirst = new { key = "$CWD $PROMPT", times = 1, error = "simulated first-attempt failure" } }, .. Succeeds(sleepMs)];

    public static object[] AlwaysErrors() => [new { text = "Trying.", usage = new { input_tokens = 50, output_tokens = 5 } }, new { error = "Model provider returned an error: overloaded" }];

    /// <summary>One agent entry of a batch file running the fake agent with a script (or a built-in scenario).</summary>
    public string Agent(string id, string scenario, string? extra = null) => $"""
          - id: {id}
            command: [{Yaml(TestPaths.FakeAgent)}]
            env:
              FAKE_AMP_SCENARIO: {Yaml(scenario.EndsWith(".json", StringComparison.Ordinal) ? "script:" + scenario : scenario)}
              FAKE_AMP_STATE_DIR: {Yaml(StateDirectory)}
              FAKE_AMP_RECORD: {Yaml(RecordPath)}
              AMP_TEST_AGENT: {Yaml(id)}
        {extra}
        """;

    /// <summary>YAML double-quoted scalar.</summary>
    public static string Yaml(string text) => JsonSerializer.Serialize(text);

    /// <summary>
    /// Every recorded agent invocation: its agent, folder, prompt, process id and start time. Agents
    /// may be appending (under a lock) while this reads: a locked file is read again, and a line
    /// without its newline yet is left for the next read.
    /// </summary>
    public IReadOnlyList<AgentInvocation> Invocations()
    {
        if (!File.Exists(RecordPath))
        {
            return [];
        }
        string text;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var stream = new FileStream(RecordPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                text = new StreamReader(stream).ReadToEnd();
                break;
            }
            catch (IOException) when (attempt < 50)
            {
                Thread.Sleep(20);
            }
        }
        var lines = text.Split('\n');
        return lines.Take(lines.Length - 1).Where(l => l.Length > 0).Select(line =>
        {
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            var agent = root.GetProperty("env").TryGetProperty("AMP_TEST_AGENT", out var a) ? a.GetString() : null;
            return new AgentInvocation(agent, root.GetProperty("cwd").GetString()!, root.GetProperty("stdin").GetString() ?? "",
                root.GetProperty("pid").GetInt32(), root.GetProperty("startedAt").GetDateTimeOffset());
        }).ToList();
    }

    public void Dispose() => temp.Dispose();
}

/// <summary>One run of the fake agent, as it recorded itself (the agent from AMP_TEST_AGENT).</summary>
public sealed record AgentInvocation(string? Agent, string WorkingDirectory, string Prompt, int ProcessId, DateTimeOffset StartedAt);
