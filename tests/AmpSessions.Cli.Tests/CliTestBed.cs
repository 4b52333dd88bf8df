using System.Text.Json;
using AmpSessions.Testing;

namespace AmpSessions.Cli.Tests;

/// <summary>A real repository, a data directory and the built CLI run as a separate process.</summary>
internal sealed class CliTestBed : IDisposable
{
    /// <summary>The fields every session object in --json output carries (the list).</summary>
    public static readonly string[] SessionFields =
        ["id", "name", "prompt", "repoRoot", "baseBranch", "branchName", "worktreePath", "status", "createdAt", "scriptCommand", "modelOverride"];

    public CliTestBed(string folderName = "repo")
    {
        Repo = new TestRepository(folderName);
        DataDirectory = Repo.Scratch("data");
        Cli = new CliRunner(DataDirectory);
        // The user's own settings must not leak into the runs.
        Cli.Environment["AMP_SESSIONS_EDITOR"] = null;
        Cli.Environment["AMP_SESSIONS_DB_BUSY_TIMEOUT_MS"] = null;
    }

    public TestRepository Repo { get; }
    public string DataDirectory { get; }
    public CliRunner Cli { get; }

    public void Dispose() => Repo.Dispose();

    public Task<CliResult> RunAsync(params string[] arguments) => Cli.RunAsync(arguments);

    /// <summary>Runs the CLI, asserts it succeeded with nothing on stderr, and returns stdout.</summary>
    public async Task<string> SucceedsAsync(params string[] arguments)
    {
        var result = await Cli.RunAsync(arguments);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("", result.StandardError);
        return result.StandardOutput;
    }

    /// <summary>Runs the CLI with --json, asserts success and returns the parsed output (camelCase names throughout).</summary>
    public async Task<JsonElement> JsonAsync(params string[] arguments)
    {
        var stdout = await SucceedsAsync([.. arguments, "--json"]);
        var json = JsonDocument.Parse(stdout).RootElement.Clone();
        AssertCamelCase(json);
        return json;
    }

    /// <summary>Runs the CLI, asserts it failed with exit 1 and exactly one stderr line `amp-sessions: ...`, and returns that line.</summary>
    public async Task<string> FailsAsync(params string[] arguments)
    {
        var result = await Cli.RunAsync(arguments);
        Assert.True(result.ExitCode == 1, result.ToString());
        return AssertOneErrorLine(result);
    }

    public static string AssertOneErrorLine(CliResult result)
    {
        var line = Assert.Single(result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("amp-sessions: ", line);
        return line;
    }

    /// <summary>`new` with --json; returns the session object.</summary>
    public Task<JsonElement> NewAsync(string name = "Fix login", string prompt = "fix the login form", params string[] extra) =>
        JsonAsync(["new", "--repo", Repo.Root, "--base", "main", "--name", name, "--prompt", prompt, .. extra]);

    public static void AssertSessionObject(JsonElement session)
    {
        Assert.Equal(JsonValueKind.Object, session.ValueKind);
        foreach (var field in SessionFields)
        {
            Assert.True(session.TryGetProperty(field, out _), $"the session object has no '{field}': {session}");
        }
        Assert.True(DateTimeOffset.TryParse(session.GetProperty("createdAt").GetString(), out _));
    }

    public static void AssertCamelCase(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    Assert.True(char.IsLower(property.Name[0]), $"'{property.Name}' is not camelCase");
                    AssertCamelCase(property.Value);
                }
                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    AssertCamelCase(item);
                }
                break;
        }
    }

    public static string Text(JsonElement element, string property) => element.GetProperty(property).GetString()!;
}
