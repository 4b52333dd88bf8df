using AmpSessions.Core.Integration;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Integration;

public sealed class ExportTests : IntegrationTestBase
{
    /// <summary>A fresh clone of the repository at its base, where a patch is applied the way a reviewer would.</summary>
    private string CloneOfBase()
    {
        var clone = Path.Combine(Repo.Scratch("clones"), Guid.NewGuid().ToString("N")[..8]);
        TestRepository.GitIn(Repo.Scratch("clones"), "clone", "--quiet", "--branch", "main", Repo.Root, clone);
        return clone;
    }

    [Fact]
    public async Task The_squashed_patch_applies_with_git_am_on_the_base_as_one_commit_with_the_whole_change()
    {
        var session = await SessionWithWorkAsync();
        var before = Everything(session);
        var output = Path.Combine(Repo.Scratch("out"), "change.patch");

        var result = await Integration.ExportPatchAsync(session.Id, output);

        Assert.Equal(output, result.OutputPath);
        Assert.True(result.Squashed);
        Assert.Equal(1, result.PatchCount);
        Assert.Equal(3, result.CommitCount);
        Assert.Equal(["docs/greet.md", "src/greet.test.ts", "src/greet.ts"], result.Files.Select(f => f.Path).Order().ToArray());
        Assert.Equal(before, Everything(session));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(output)!, "*.tmp"));

        var clone = CloneOfBase();
        TestRepository.GitIn(clone, "am", "--quiet", output);

        Assert.Equal("1", TestRepository.GitIn(clone, "rev-list", "--count", "origin/main..HEAD"));
        Assert.Equal(TreeOf(session.BranchName), TestRepository.GitIn(clone, "rev-parse", "HEAD^{tree}"));
        Assert.Equal("Rename greet", TestRepository.GitIn(clone, "log", "-1", "--format=%s"));
    }

    [Fact]
    public async Task The_all_commits_patch_applies_as_one_commit_per_session_commit()
    {
        var session = await SessionWithWorkAsync();
        var folder = Repo.Scratch("out");

        var result = await Integration.ExportPatchAsync(session.Id, folder, squashed: false);

        Assert.Equal(Path.Combine(folder, IntegrationService.DefaultPatchFileName(session)), result.OutputPath);
        Assert.Equal(3, result.PatchCount);
        var clone = CloneOfBase();
        TestRepository.GitIn(clone, "am", "--quiet", result.OutputPath);
        Assert.Equal("amp: rename hello to greet\namp: add a test\nDocument greet", TestRepository.GitIn(clone, "log", "--reverse", "--format=%s", "origin/main..HEAD"));
        Assert.Equal(TreeOf(session.BranchName), TestRepository.GitIn(clone, "rev-parse", "HEAD^{tree}"));
    }

    [Fact]
    public async Task The_patch_is_against_the_merge_base_so_it_applies_on_the_base_it_came_from_after_the_base_moved()
    {
        var session = await SessionWithWorkAsync();
        var clone = CloneOfBase();
        BaseCommit("CHANGELOG.md", "moved\n", "Move the base");

        var result = await Integration.ExportPatchAsync(session.Id, Path.Combine(Repo.Scratch("out"), "p.patch"));

        Assert.Equal(session.BaseCommit, result.MergeBase);
        TestRepository.GitIn(clone, "am", "--quiet", result.OutputPath);
        Assert.Equal(TreeOf(session.BranchName), TestRepository.GitIn(clone, "rev-parse", "HEAD^{tree}"));
    }

    [Fact]
    public async Task Export_of_a_session_without_commits_is_refused_and_writes_nothing()
    {
        var session = await NewSessionAsync();
        Write(session, "uncommitted.txt", "only in the worktree\n");
        var folder = Repo.Scratch("out");

        await AssertRefusedAsync(session, "AmpNothingToExport", () => Integration.ExportPatchAsync(session.Id, Path.Combine(folder, "x.patch")));
        Assert.Empty(Directory.GetFileSystemEntries(folder));
    }

    [Fact]
    public async Task Export_into_a_folder_that_does_not_exist_is_refused()
    {
        var session = await SessionWithWorkAsync();
        var missing = Path.Combine(Repo.Scratch("out"), "no", "such", "x.patch");

        await AssertRefusedAsync(session, "AmpOutputFolderMissing", () => Integration.ExportPatchAsync(session.Id, missing));
    }

    [Fact]
    public async Task Export_counts_uncommitted_changes_it_leaves_out()
    {
        var session = await SessionWithWorkAsync();
        Write(session, "later.txt", "not yet committed\n");

        var result = await Integration.ExportPatchAsync(session.Id, Path.Combine(Repo.Scratch("out"), "p.patch"));

        Assert.Equal(1, result.UncommittedChangeCount);
        Assert.DoesNotContain("later.txt", File.ReadAllText(result.OutputPath));
    }
}
