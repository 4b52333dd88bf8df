using System.Text.Json;
using AmpSessions.Core.Containment;

namespace AmpSessions.Core.Tests.Containment;

/// <summary>The guard's rules, call by call, on a policy for a worktree at /repo/.worktrees/s1 of the main checkout /repo.</summary>
public sealed class GuardDeciderTests
{
    private static readonly string Root = OperatingSystem.IsWindows() ? @"C:\repo" : "/repo";
    private static readonly string Worktree = Path.Combine(Root, ".worktrees", "s1");

    private static GuardPolicy Policy(bool allowPush = false, bool allowAll = false, params string[] allowed) => new()
    {
        SessionId = "s1",
        Iteration = 1,
        Worktree = Worktree,
        MainCheckout = Root,
        GitCommonDir = Path.Combine(Root, ".git"),
        BaseBranch = "main",
        SessionBranch = "amp/s1/20260101-000000",
        AllowPush = allowPush,
        AllowAll = allowAll,
        AllowedTools = allowed,
        DecisionLog = Path.Combine(Path.GetTempPath(), "unused.jsonl"),
    };

    private static (GuardVerdict Verdict, string Subject, string? Reason) Bash(string command, GuardPolicy? policy = null) =>
        GuardDecider.Decide(policy ?? Policy(allowed: "Bash"), "Bash", JsonSerializer.Serialize(new { cmd = command }));

    [Theory]
    [InlineData("npm test")]
    [InlineData("cd src && ls -la")]
    [InlineData("git status && git diff --stat")]
    [InlineData("git commit -am 'work' && git log --oneline -3")]
    [InlineData("git checkout -b topic")]
    [InlineData("echo done > build.log 2>&1")]
    [InlineData("cat ../../README.md")]
    [InlineData("mkdir -p out && cp src/a.txt out/")]
    [InlineData("git config --get user.name")]
    [InlineData("git branch -D old-topic")]
    public void Work_inside_the_worktree_is_allowed(string command) =>
        Assert.Equal(GuardVerdict.Allow, Bash(command).Verdict);

    [Theory]
    [InlineData("cd .. && echo x > escaped.txt", "leaves the session's worktree")]
    [InlineData("cd ../.. && touch INTO_MAIN.txt", "leaves the session's worktree")]
    [InlineData("cd", "leaves the session's worktree")]
    [InlineData("cd $SOMEWHERE", "cannot tell")]
    [InlineData("pushd /tmp", "leaves the session's worktree")]
    [InlineData("echo x > ../../INTO_MAIN.txt", "writes to")]
    [InlineData("echo x >> /repo/notes.txt", "writes to")]
    [InlineData("rm -rf ../../src", "would change")]
    [InlineData("git -C /repo checkout -b agent-branch", "outside the session's worktree")]
    [InlineData("git -C ../.. reset --hard HEAD~1", "outside the session's worktree")]
    [InlineData("git --git-dir=/repo/.git branch -D main", "outside the session's worktree")]
    [InlineData("GIT_DIR=/repo/.git git status", "points git outside")]
    [InlineData("git push", "not allowed for this session")]
    [InlineData("git push origin HEAD:refs/heads/main", "not allowed for this session")]
    [InlineData("git branch -D main", "the base branch main")]
    [InlineData("git branch -f main HEAD", "the base branch main")]
    [InlineData("git checkout main", "take the base branch away")]
    [InlineData("git update-ref refs/heads/main HEAD", "move the base branch main")]
    [InlineData("git worktree remove ../other", "changes the repository's worktrees")]
    [InlineData("git config user.email agent@example.com", "shared configuration")]
    [InlineData("ls; (cd .. && touch x)", "leaves the session's worktree")]
    [InlineData("sed -i s/a/b/ ../../README.md", "would change")]
    public void Escapes_are_denied_with_the_reason(string command, string reason)
    {
        var (verdict, subject, why) = Bash(command);
        Assert.Equal(GuardVerdict.Deny, verdict);
        Assert.Contains(reason, why);
        Assert.Equal(command, subject);
    }

    [Fact]
    public void A_push_is_allowed_when_the_session_allows_it() =>
        Assert.Equal(GuardVerdict.Allow, Bash("git push -u origin HEAD", Policy(allowPush: true, allowed: "Bash")).Verdict);

    [Fact]
    public void A_harmless_command_of_a_tool_the_session_does_not_allow_needs_approval()
    {
        Assert.Equal(GuardVerdict.Ask, Bash("git status", Policy()).Verdict);
        Assert.Equal(GuardVerdict.Allow, Bash("git status", Policy(allowAll: true)).Verdict);
        Assert.Equal(GuardVerdict.Deny, Bash("cd ..", Policy(allowAll: true)).Verdict);
    }

    [Theory]
    [InlineData("create_file", "src/new.ts", GuardVerdict.Allow)]
    [InlineData("edit_file", "../../INTO_MAIN.txt", GuardVerdict.Deny)]
    [InlineData("create_file", "/tmp/elsewhere.txt", GuardVerdict.Deny)]
    [InlineData("delete_file", "/repo/README.md", GuardVerdict.Deny)]
    [InlineData("edit_file", ".git", GuardVerdict.Deny)]
    public void File_tools_may_write_only_inside_the_worktree(string tool, string path, GuardVerdict expected)
    {
        var full = path.StartsWith('/') && OperatingSystem.IsWindows() ? @"C:\" + path[1..].Replace('/', '\\') : path;
        Assert.Equal(expected, GuardDecider.Decide(Policy(), tool, JsonSerializer.Serialize(new { path = full })).Verdict);
    }

    [Fact]
    public void A_patch_is_judged_by_every_file_it_names()
    {
        var inside = "*** Begin Patch\n*** Update File: src/a.ts\n@@\n-a\n+b\n*** End Patch";
        var outside = "*** Begin Patch\n*** Update File: src/a.ts\n*** Add File: ../../INTO_MAIN.txt\n+x\n*** End Patch";
        Assert.Equal(GuardVerdict.Allow, GuardDecider.Decide(Policy(), "apply_patch", JsonSerializer.Serialize(new { patch_text = inside })).Verdict);
        Assert.Equal(GuardVerdict.Deny, GuardDecider.Decide(Policy(), "apply_patch", JsonSerializer.Serialize(new { patch_text = outside })).Verdict);
    }

    [Fact]
    public void A_command_to_run_outside_the_worktree_is_denied_and_bad_input_too()
    {
        Assert.Equal(GuardVerdict.Deny, GuardDecider.Decide(Policy(allowed: "Bash"), "Bash", JsonSerializer.Serialize(new { cmd = "ls", cwd = Root })).Verdict);
        Assert.Equal(GuardVerdict.Deny, GuardDecider.Decide(Policy(allowed: "Bash"), "Bash", "not json {").Verdict);
    }
}
