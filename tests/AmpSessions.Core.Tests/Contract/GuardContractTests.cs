using System.Text.Json;
using AmpSessions.Core.Agents;
using AmpSessions.Core.Containment;
using AmpSessions.Core.Processes;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Contract;

/// <summary>
/// The guard against the real Amp CLI (the pinned build .ci/install-amp installs): the per-run
/// settings file the product writes, read by Amp's own settings parser, and Amp's own permission
/// engine running the delegate (the built `amp-sessions`) through `amp permissions test`, offline.
/// </summary>
[Trait("Platform", "Linux")]
public sealed class GuardContractTests : IDisposable
{
    private readonly TestRepository repo = new();
    private readonly string home;
    private readonly string binary = RealAmpBinary.Path;
    private readonly GuardPolicy policy;
    private readonly string settings;
    private readonly RunFiles runFiles;

    public GuardContractTests()
    {
        home = repo.Scratch("empty-home");
        var worktree = repo.Path(".worktrees", "s1");
        Directory.CreateDirectory(worktree);
        policy = new GuardPolicy
        {
            SessionId = "s1",
            Iteration = 1,
            Worktree = worktree,
            MainCheckout = repo.Root,
            GitCommonDir = repo.Path(".git"),
            BaseBranch = "main",
            SessionBranch = "amp/s1/20260101-000000",
            DecisionLog = Path.Combine(repo.Scratch("logs"), "guard-1.jsonl"),
        };
        // The settings file exactly as a turn writes it: the guard's rules first, then the session's allowed tools.
        var request = new AgentTurnRequest
        {
            Prompt = "x",
            WorkingDirectory = worktree,
            AllowedTools = ["Read"],
            LeadingPermissionRules = GuardSession.RulesFor(TestPaths.CliExecutable, repo.Root),
            Environment = new Dictionary<string, string> { ["HOME"] = home },
        };
        runFiles = RunFiles.Create(repo.Scratch("runs"));
        settings = AgentCommandLine.WriteSettingsFile(AgentSpec.Parse($"amp:{binary}"), request, runFiles)!;
    }

    public void Dispose()
    {
        runFiles.Dispose();
        repo.Dispose();
    }

    private async Task<JsonElement> TestAsync(string tool, params string[] arguments)
    {
        var result = await ProcessRunner.RunAsync(new ProcessSpec(binary, ["permissions", "test", tool, .. arguments, "--settings-file", settings, "--json"])
        {
            WorkingDirectory = policy.Worktree,
            Timeout = TimeSpan.FromSeconds(60),
            Environment = new Dictionary<string, string?>
            {
                ["HOME"] = home,
                ["AMP_API_KEY"] = null,
                ["AMP_SETTINGS_FILE"] = null,
                ["XDG_CONFIG_HOME"] = null,
                ["XDG_DATA_HOME"] = null,
                [GuardPolicy.Variable] = policy.ToJson(),
            },
        }, (Func<OutputLine, LineDecision>?)null);
        Assert.True(result.StandardOutput.TrimStart().StartsWith('{'), $"amp permissions test printed no JSON (exit {result.ExitCode}): {result.StandardError}");
        return JsonDocument.Parse(result.StandardOutput).RootElement.Clone();
    }

    [Fact]
    public async Task Amp_runs_the_guard_as_its_delegate_and_follows_each_decision()
    {
        var push = await TestAsync("Bash", "--cmd", "git push origin HEAD");
        Assert.Equal("reject", push.GetProperty("action").GetString());
        Assert.Equal("delegate", push.GetProperty("matchedEntry").GetProperty("action").GetString());
        Assert.StartsWith("Denied by AmpSessions' guard: `git push` is not allowed for this session", push.GetProperty("error").GetString());

        var cdOut = await TestAsync("Bash", "--cmd", "cd .. && touch escaped");
        Assert.Equal("reject", cdOut.GetProperty("action").GetString());
        Assert.Contains("leaves the session's worktree", cdOut.GetProperty("error").GetString());

        var editOutside = await TestAsync("edit_file", "--path", repo.Path("README.md"), "--old_str", "a", "--new_str", "b");
        Assert.Equal("reject", editOutside.GetProperty("action").GetString());
        Assert.Contains("outside the session's worktree", editOutside.GetProperty("error").GetString());

        var createInside = await TestAsync("create_file", "--path", Path.Combine(policy.Worktree, "src", "new.ts"), "--content", "x");
        Assert.Equal("allow", createInside.GetProperty("action").GetString());

        // A git command inside the worktree, with Bash not allowed for the session: approval, as without the guard.
        var status = await TestAsync("Bash", "--cmd", "git status");
        Assert.Equal("ask", status.GetProperty("action").GetString());

        // Commands the guard does not inspect stay with Amp's own rules (ls is allowed by Amp's built-in list).
        var list = await TestAsync("Bash", "--cmd", "ls");
        Assert.Equal("allow", list.GetProperty("action").GetString());
        Assert.Equal("built-in", list.GetProperty("source").GetString());

        // The session's own rules still apply after the guard's.
        var read = await TestAsync("Read", "--path", "README.md");
        Assert.Equal("allow", read.GetProperty("action").GetString());

        var decisions = GuardProgram.ReadLog(policy.DecisionLog);
        Assert.Equal([GuardVerdict.Deny, GuardVerdict.Deny, GuardVerdict.Deny, GuardVerdict.Allow, GuardVerdict.Ask], decisions.Select(d => d.Verdict));
        Assert.Equal(["Bash", "Bash", "edit_file", "create_file", "Bash"], decisions.Select(d => d.Tool));
    }
}
