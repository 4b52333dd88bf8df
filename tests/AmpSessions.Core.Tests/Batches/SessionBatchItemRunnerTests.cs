using AmpSessions.Core.Batches;
using AmpSessions.Core.Sessions;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Batches;

/// <summary>
/// The product's batch item runner: every item is a real session on a real repository, driven by
/// the iteration engine with the fake agent, graded by a real command.
/// </summary>
public sealed class SessionBatchItemRunnerTests : IDisposable
{
    private readonly TempDirectory temp = new("amp-batch-sessions");
    private readonly AmpContext context;

    public SessionBatchItemRunnerTests()
    {
        context = AmpContext.Open(temp.Combine("data"));
        foreach (var name in new[] { "repo-a", "repo-b" })
        {
            TestRepository.CreateGreetRepository(temp.Combine(name));
        }
    }

    public void Dispose() => temp.Dispose();

    private string WriteBatch(string agents, string tasks, int maxAttempts = 1)
    {
        var path = temp.Combine("batch.yaml");
        File.WriteAllText(path, $$"""
            version: 3
            metadata:
              name: "sessions"
            execution:
              concurrency: 2
              timeout_sec: 120
              retry_policy:
                max_attempts: {{maxAttempts}}
                backoff_ms: 10
            agents:
            {{agents}}
            tasks:
            {{tasks}}
            """);
        return path;
    }

    private static string FakeAgent(string id, string scenario = "success-edit") =>
        $"  - id: {id}\n    command: [\"{TestPaths.FakeAgent}\"]\n    env: {{ FAKE_AMP_SCENARIO: \"{scenario}\" }}";

    private const string RenameTask = """
          - id: rename
            type: batch
            prompts: ["Rename hello to greet"]
            repositories: ["./repo-a", "./repo-b"]
            script_command: "git grep --quiet 'export function greet' -- src/greet.ts"
        """;

    [Fact]
    public async Task Each_item_is_a_session_whose_commit_tokens_tools_and_grade_are_recorded_and_whose_worktree_is_removed()
    {
        var batch = WriteBatch(FakeAgent("fake"), RenameTask);

        var result = await new BatchService(context).RunAsync(new BatchRunRequest { FilePath = batch });

        Assert.Equal(BatchStatus.Completed, result.Status);
        Assert.Equal(2, result.Ran.Count);
        foreach (var item in result.Ran)
        {
            Assert.Equal(BatchItemStatus.Passed, item.Status);
            Assert.Equal(1, item.Iterations);
            // The success-edit transcript's totals, summed over its assistant lines.
            Assert.Equal(21, item.Tokens.Input);
            Assert.Equal(218, item.Tokens.Output);
            Assert.Equal(15_636, item.Tokens.CacheCreation);
            Assert.Equal(30_626, item.Tokens.CacheRead);
            Assert.Equal(1, item.ToolCalls["Read"]);
            Assert.Equal(1, item.ToolCalls["edit_file"]);
            Assert.Equal(1, item.FilesChanged);
            Assert.Equal(0, item.GradingExitCode);
            Assert.True(File.Exists(item.LogPath));

            var session = new SessionManager(context).Resolve(item.SessionId!);
            Assert.Equal(result.BatchId, session.BatchId);
            Assert.Equal(SessionStatus.Archived, session.Status);
            Assert.False(Directory.Exists(session.WorktreePath));
            // The work stays on the branch for inspection.
            var subject = TestRepository.GitIn(session.RepoRoot, "log", "-1", "--format=%s", session.BranchName);
            Assert.StartsWith("amp: ", subject);
            Assert.Contains("export function greet", TestRepository.GitIn(session.RepoRoot, "show", $"{session.BranchName}:src/greet.ts"));
        }
        // The user's checkouts are untouched.
        Assert.Contains("export function hello", File.ReadAllText(temp.Combine("repo-a", "src", "greet.ts")));
        Assert.Equal("", TestRepository.GitIn(temp.Combine("repo-a"), "status", "--porcelain"));
        Assert.DoesNotContain(".worktrees/", TestRepository.GitIn(temp.Combine("repo-a"), "worktree", "list", "--porcelain"));
    }

    [Fact]
    public async Task A_failing_grade_fails_the_item_and_an_agent_error_is_an_error_without_stopping_the_other_items()
    {
        var batch = WriteBatch(FakeAgent("grader-fails", "success-edit") + "\n" + FakeAgent("broken", "agent-error"), """
              - id: rename
                type: batch
                prompts: ["Rename hello to greet"]
                repositories: ["./repo-a"]
                script_command: "git grep --quiet 'function nothing-like-this' -- src/greet.ts"
            """);

        var result = await new BatchService(context).RunAsync(new BatchRunRequest { FilePath = batch });

        var graded = result.Ran.Single(i => i.AgentId == "grader-fails");
        Assert.Equal(BatchItemStatus.Failed, graded.Status);
        Assert.Equal(1, graded.GradingExitCode);
        var broken = result.Ran.Single(i => i.AgentId == "broken");
        Assert.Equal(BatchItemStatus.Error, broken.Status);
        Assert.Contains("overloaded", broken.Error);
        Assert.DoesNotContain(".worktrees", TestRepository.GitIn(temp.Combine("repo-a"), "worktree", "list", "--porcelain"));
    }

    [Fact]
    public async Task An_evaluation_case_starts_from_its_base_commit_and_is_graded_by_its_command()
    {
        var repo = temp.Combine("repo-a");
        var baseCommit = TestRepository.GitIn(repo, "rev-parse", "HEAD");
        File.WriteAllText(Path.Combine(repo, "README.md"), "later\n");
        TestRepository.GitIn(repo, "add", "--all");
        TestRepository.GitIn(repo, "commit", "--quiet", "-m", "a later commit the case must not see");
        var caseFolder = temp.Combine("cases", "rename-case");
        Directory.CreateDirectory(caseFolder);
        File.WriteAllText(Path.Combine(caseFolder, "case.yaml"), $"""
            repo: "{repo}"
            base: "{baseCommit}"
            prompt: "Rename hello to greet"
            grade: "git grep --quiet 'export function greet' -- src/greet.ts && test ! -f README.md"
            """);
        var batch = WriteBatch(FakeAgent("fake"), """
              - id: eval
                type: evaluation
                cases_dir: "./cases"
            """);

        var result = await new BatchService(context).RunAsync(new BatchRunRequest { FilePath = batch });

        var item = Assert.Single(result.Ran);
        Assert.Equal(BatchItemStatus.Passed, item.Status);
        Assert.Equal("rename-case", item.CaseId);
        var session = new SessionManager(context).Resolve(item.SessionId!);
        Assert.Equal(baseCommit, TestRepository.GitIn(repo, "rev-parse", session.BranchName + "^"));
    }
}
