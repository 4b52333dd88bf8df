using AmpSessions.Core.Batches;
using AmpSessions.Core.Git;
using AmpSessions.Core.Sessions;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Batches;

/// <summary>
/// A batch at concurrency 16 on two repositories (issue 11 item 5, issue 10 item 20): sixteen
/// sessions created, iterated, committed and cleaned up all at once on two repositories must each
/// end with their own branch and commit, their row Archived, no worktree, lock or record left, and the
/// users' checkouts untouched. Correctness only: the speed is measured in bench/.
/// </summary>
public sealed class BatchAtScaleTests : IDisposable
{
    private const int PromptsPerRepository = 8;

    // An item reads its repository in process some 30 times (creation, the turn's checks, diff, cleanup); with one open
    // repository per item they reuse it.
    private const int MaxOpensPerItem = 4;
    private readonly TempDirectory temp = new("amp-batch-scale");
    private readonly AmpContext context;
    private readonly string[] repositories;

    public BatchAtScaleTests()
    {
        context = AmpContext.Open(temp.Combine("data"));
        repositories = ["repo-a", "repo-b"];
        foreach (var name in repositories)
        {
            TestRepository.CreateGreetRepository(temp.Combine(name));
        }
    }

    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task Sixteen_items_all_at_once_on_two_repositories_each_keep_their_own_commit_and_leave_nothing_behind()
    {
        var prompts = string.Join(", ", Enumerable.Range(1, PromptsPerRepository).Select(i => $"\"Rename hello to greet ({i})\""));
        var file = temp.Combine("batch.yaml");
        File.WriteAllText(file, $$"""
            version: 3
            metadata:
              name: "at scale"
            execution:
              concurrency: 16
              timeout_sec: 300
            agents:
              - id: fake
                command: ["{{TestPaths.FakeAgent}}"]
                env: { FAKE_AMP_SCENARIO: "success-edit" }
            tasks:
              - id: rename
                type: batch
                prompts: [{{prompts}}]
                repositories: ["./repo-a", "./repo-b"]
            """);
        var headsBefore = repositories.Select(r => TestRepository.GitIn(temp.Combine(r), "rev-parse", "HEAD")).ToArray();

        var result = await new BatchService(context).RunAsync(new BatchRunRequest { FilePath = file });

        Assert.Equal(BatchStatus.Completed, result.Status);
        Assert.Equal(2 * PromptsPerRepository, result.Total);
        Assert.All(result.Ran, item => Assert.Equal(BatchItemStatus.Passed, item.Status));
        Assert.Equal(result.Total, File.ReadLines(result.JournalPath).Count(line => line.Contains("\"status\":\"Passed\"", StringComparison.Ordinal)));
        Assert.All(new BatchService(context).Store.Items(result.BatchId), item => Assert.Equal(BatchItemStatus.Passed, item.Status));

        var manager = new SessionManager(context);
        var sessions = result.Ran.Select(item => manager.Resolve(item.SessionId!)).ToArray();
        Assert.Equal(result.Total, sessions.Select(s => s.Id).Distinct().Count());
        Assert.Equal(result.Total, sessions.Select(s => s.BranchName).Distinct().Count());
        foreach (var session in sessions)
        {
            Assert.Equal(SessionStatus.Archived, session.Status);
            Assert.False(Directory.Exists(session.WorktreePath));
            Assert.False(SessionLock.IsHeld(context, session.Id));
            Assert.Null(SessionLock.ReadHolder(context, session.Id));
            // Its own commit, one on top of the base, with the agent's edit.
            Assert.Equal("1", TestRepository.GitIn(session.RepoRoot, "rev-list", "--count", $"main..{session.BranchName}"));
            Assert.Contains("export function greet", TestRepository.GitIn(session.RepoRoot, "show", $"{session.BranchName}:src/greet.ts"));
            Assert.Single(context.Iterations.List(session.Id));
        }
        for (var i = 0; i < repositories.Length; i++)
        {
            var root = temp.Combine(repositories[i]);
            Assert.Equal(headsBefore[i], TestRepository.GitIn(root, "rev-parse", "HEAD"));
            Assert.Equal("", TestRepository.GitIn(root, "status", "--porcelain"));
            Assert.DoesNotContain(".worktrees/", TestRepository.GitIn(root, "worktree", "list", "--porcelain"));
            Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(root, SessionManager.WorktreesFolder)));
            Assert.Equal(PromptsPerRepository, sessions.Count(s => s.RepoRoot == root));
            var handles = RepositoryHandles.CountsFor(root);
            Assert.Equal(0, handles.Open);
            Assert.True(handles.Opened <= PromptsPerRepository * MaxOpensPerItem, $"{root} was opened {handles.Opened} times for {PromptsPerRepository} items");
        }
    }
}
