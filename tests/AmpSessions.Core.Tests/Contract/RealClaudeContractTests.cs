using System.Diagnostics;
using AmpSessions.Core.Agents;
using AmpSessions.Core.Configuration;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Contract;

/// <summary>
/// The claude agent against the real Claude Code CLI (the pinned build `.ci/install-claude` installs),
/// with no network: every flag the adapter emits gets past its real argument parser, no key means
/// not logged in within seconds, a closed API is unreachable, and its refusal to run every tool as
/// root is said plainly. These never skip: without the binary they fail.
/// </summary>
[Trait("Platform", "Linux")]
public sealed class RealClaudeContractTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);
    private const string ClaudeNotLoggedIn = "Claude Code is not logged in";

    private readonly CliSessionBed bed = new();
    private readonly string home;
    private readonly string binary = RealClaude();

    public RealClaudeContractTests()
    {
        home = bed.Repo.Scratch("empty-home");
        foreach (var name in new[] { "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL", "CLAUDE_CONFIG_DIR", "XDG_CONFIG_HOME", "IS_SANDBOX" })
        {
            bed.Cli.Environment[name] = null;
        }
        bed.Cli.Environment["HOME"] = home;
        bed.Cli.Environment["AMP_SESSIONS_NOTIFICATIONS"] = "0";
    }

    public void Dispose() => bed.Dispose();

    /// <summary>The installed binary: CLAUDE_CONTRACT_BINARY, else what .ci/install-claude installs under .tools/claude.</summary>
    private static string RealClaude()
    {
        var path = Environment.GetEnvironmentVariable("CLAUDE_CONTRACT_BINARY") is { Length: > 0 } configured
            ? configured
            : Path.Combine(TestPaths.RepositoryRoot, ".tools", "claude", "node_modules", "@anthropic-ai", "claude-code-linux-x64", "claude");
        Assert.True(File.Exists(path), $"The real Claude Code CLI is not installed at {path}: run .ci/install-claude (or set CLAUDE_CONTRACT_BINARY to a claude binary).");
        return Path.GetFullPath(path);
    }


    private static bool IsRoot => !OperatingSystem.IsWindows() && Environment.UserName == "root";

    private async Task AssertNoClaudeLeftAsync() =>
        await Eventually.WaitAsync(() => ProcessProbe.Running(binary, "HOME=" + home).Count == 0, TimeSpan.FromSeconds(5), "no claude process of this test left");

    private AgentTurnRequest Offline(AgentTurnRequest request, string url, bool sandbox = false) => request with
    {
        WorkingDirectory = bed.Repo.Root,
        Timeout = TimeSpan.FromSeconds(60),
        Environment = new Dictionary<string, string>
        {
            ["HOME"] = home,
            ["ANTHROPIC_API_KEY"] = "sk-ant-dummy0000000000000000",
            ["ANTHROPIC_BASE_URL"] = url,
            // One attempt: a closed port is not a blip to retry for two minutes.
            ["CLAUDE_CODE_MAX_RETRIES"] = "0",
            ["IS_SANDBOX"] = sandbox ? "1" : "",
        },
    };

    [Fact]
    public async Task Every_flag_the_adapter_emits_gets_past_the_real_parser()
    {
        var url = $"http://127.0.0.1:{TcpPorts.Closed()}";
        var spec = AgentSpec.Parse($"claude:{binary}");
        var mcp = new McpServerDefinition { Name = "contract-probe", Command = "true", Env = new Dictionary<string, string> { ["PROBE_TOKEN"] = "${HOME}" } };
        var restricted = Offline(new AgentTurnRequest
        {
            Prompt = "rename hello to greet",
            WorkingDirectory = bed.Repo.Root,
            Model = "sonnet",
            McpServers = [mcp],
            AllowedTools = ["Bash(git status*)", "Edit", "Read"],
            DisallowedTools = ["Write", "Bash"],
        }, url);
        var everything = restricted with { AllowAllTools = true, AllowedTools = [], DisallowedTools = [] };
        var resumed = restricted with { ThreadId = "11111111-2222-4333-8444-555555555555" };
        var flags = new[] { restricted, everything, resumed }
            .SelectMany(r => AgentCommandLine.Arguments(spec, r, null, "mcp.json")).Where(a => a.StartsWith('-')).ToHashSet();
        Assert.Superset(new HashSet<string> { "-p", "--output-format", "--verbose", "--model", "--mcp-config", "--allowedTools", "--disallowedTools",
            "--dangerously-skip-permissions", "--resume" }, flags);

        var results = new List<(string Name, AgentTurnResult Result, string Stderr)>();
        foreach (var (name, request) in new[] { ("restricted", restricted), ("everything", everything with { Environment = Offline(everything, url, sandbox: true).Environment }), ("resumed", resumed) })
        {
            var stderr = new List<string>();
            var result = await new StreamJsonAgent(spec).RunTurnAsync(request, e => { if (e is AgentStderrEvent line) lock (stderr) stderr.Add(line.Line); }, CancellationToken.None);
            results.Add((name, result, string.Join("\n", stderr)));
        }

        Assert.All(results, r =>
        {
            Assert.DoesNotContain("unknown option", r.Stderr);
            Assert.DoesNotContain("error: option", r.Stderr);
            Assert.DoesNotContain("requires --verbose", r.Stderr);
        });
        // The new turns reached the point of calling the API (which is closed); the resumed one asked for its conversation.
        Assert.Equal(AgentOutcome.ServerUnreachable, results[0].Result.Outcome);
        Assert.StartsWith($"Claude Code could not reach its API at {url}: check the network connection and ANTHROPIC_BASE_URL, then iterate again.", results[0].Result.Error);
        Assert.Equal(AgentOutcome.ServerUnreachable, results[1].Result.Outcome);
        Assert.Contains("No conversation found with session ID: 11111111-2222-4333-8444-555555555555", results[2].Stderr);
        await AssertNoClaudeLeftAsync();
    }

    [Fact]
    public async Task The_parser_check_would_catch_a_flag_claude_does_not_know()
    {
        var result = await AmpSessions.Core.Processes.ProcessRunner.RunAsync(new AmpSessions.Core.Processes.ProcessSpec(binary, ["-p", "--no-such-flag"])
        {
            Environment = new Dictionary<string, string?> { ["HOME"] = home },
            StandardInput = "hi",
            Timeout = TimeSpan.FromSeconds(30),
        });

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error: unknown option '--no-such-flag'", result.StandardError);
    }

    [Fact]
    public async Task Without_a_key_a_turn_is_not_logged_in_within_seconds()
    {
        var watch = Stopwatch.StartNew();

        var result = await new StreamJsonAgent(AgentSpec.Parse($"claude:{binary}")).RunTurnAsync(new AgentTurnRequest
        {
            Prompt = "rename hello to greet",
            WorkingDirectory = bed.Repo.Root,
            Timeout = TimeSpan.FromSeconds(60),
            Environment = new Dictionary<string, string> { ["HOME"] = home, ["ANTHROPIC_API_KEY"] = "" },
        }, null, CancellationToken.None);

        Assert.True(watch.Elapsed < Limit, $"took {watch.Elapsed}");
        Assert.Equal(AgentOutcome.NotLoggedIn, result.Outcome);
        Assert.Equal(ClaudeNotLoggedIn, result.Error);
        Assert.NotNull(result.ThreadId);
        await AssertNoClaudeLeftAsync();
    }

    [Fact]
    public async Task Every_tool_allowed_as_root_is_refused_by_claude_and_said_plainly()
    {
        var url = $"http://127.0.0.1:{TcpPorts.Closed()}";
        var request = Offline(new AgentTurnRequest { Prompt = "hi", WorkingDirectory = bed.Repo.Root, AllowAllTools = true }, url);

        var result = await new StreamJsonAgent(AgentSpec.Parse($"claude:{binary}")).RunTurnAsync(request, null, CancellationToken.None);

        if (IsRoot)
        {
            Assert.Equal(AgentOutcome.Failed, result.Outcome);
            Assert.StartsWith("Claude Code refuses to run with every tool allowed (--dangerously-skip-permissions, the full-auto preset) as root", result.Error);
        }
        else
        {
            Assert.Equal(AgentOutcome.ServerUnreachable, result.Outcome);
        }
    }

    [Fact]
    public async Task A_claude_profile_from_the_repository_iterates_through_the_CLI_as_not_logged_in()
    {
        bed.Repo.WriteFile(".amp-sessions.yaml", $"agents:\n  reviewer:\n    type: claude\n    command: [\"{binary}\"]\n    model_override: sonnet\n    preset: read-only\n");
        bed.Repo.CommitAll("a claude reviewer");
        var id = await bed.NewSessionWithAgentAsync("reviewer");

        var env = await bed.RunAsync("env", id);
        var watch = Stopwatch.StartNew();
        var result = await bed.RunAsync("iterate", id, "--json");

        Assert.True(env.ExitCode == 0, env.ToString());
        Assert.Contains($"  command:     {binary} -p --output-format stream-json --verbose --model sonnet --allowedTools", env.StandardOutput);
        Assert.Contains("--disallowedTools edit_file,create_file,undo_edit,format_file,Edit,Write,MultiEdit,NotebookEdit,Bash", env.StandardOutput);
        Assert.True(watch.Elapsed < Limit, $"took {watch.Elapsed}");
        Assert.Equal(1, result.ExitCode);
        var iteration = CliSessionBed.Json(result);
        Assert.Equal("NotLoggedIn", iteration.GetProperty("status").GetString());
        Assert.Equal(ClaudeNotLoggedIn, iteration.GetProperty("error").GetString());
        Assert.Equal("read-only", iteration.GetProperty("preset").GetString());
        await AssertNoClaudeLeftAsync();
    }
}
