using AmpSessions.Core.Git;
using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Git;

/// <summary>
/// The hand-read version 2 index (gitformat-index) against what git itself says about the same
/// index: the cache-tree's root is the tree git writes, gitlinks and .gitattributes entries are
/// found, a path too long for the name-length field is read past, other versions are refused.
/// </summary>
public sealed class GitIndexFileTests : IDisposable
{
    private readonly TempDirectory temp = new("amp-index");

    public void Dispose() => temp.Dispose();

    private static string Git(string directory, params string[] arguments) => TestRepository.GitIn(directory, arguments);

    private string Repository()
    {
        var root = temp.Combine("repo");
        Directory.CreateDirectory(Path.Combine(root, "nested", "deeper"));
        Git(root, "init", "-q", "--initial-branch=main");
        File.WriteAllText(Path.Combine(root, ".gitattributes"), "*.txt text\n");
        File.WriteAllText(Path.Combine(root, "nested", ".gitattributes"), "*.bin binary\n");
        File.WriteAllText(Path.Combine(root, "nested", "deeper", "file.txt"), "one\n");
        File.WriteAllText(Path.Combine(root, "top.txt"), "top\n");
        Git(root, "add", "-A");
        Git(root, "commit", "-qm", "first");
        return root;
    }

    private static string IndexOf(string root) => Path.Combine(root, ".git", "index");

    [Fact]
    public void The_cache_tree_root_is_the_tree_git_writes_and_is_gone_once_something_is_staged()
    {
        var root = Repository();

        var committed = GitIndexFile.Read(IndexOf(root));

        Assert.NotNull(committed);
        Assert.Equal(Git(root, "rev-parse", "HEAD^{tree}"), committed.Tree);
        Assert.Equal([".gitattributes", "nested/.gitattributes"], committed.AttributeFiles);
        Assert.False(committed.HasGitLink);
        Assert.Equal(Git(root, "ls-files").Split('\n'), committed.Paths);

        File.WriteAllText(Path.Combine(root, "nested", "deeper", "file.txt"), "two\n");
        Git(root, "add", "-A");
        Assert.Null(GitIndexFile.Read(IndexOf(root))!.Tree);

        // write-tree fills the cache-tree again, now with the staged tree.
        var staged = Git(root, "write-tree");
        Assert.NotEqual(Git(root, "rev-parse", "HEAD^{tree}"), staged);
        Assert.Equal(staged, GitIndexFile.Read(IndexOf(root))!.Tree);
    }

    [Fact]
    public void A_gitlink_is_seen_and_a_path_longer_than_the_name_length_field_is_read_past()
    {
        var root = Repository();
        var blob = Git(root, "hash-object", "top.txt");
        Git(root, "update-index", "--add", "--cacheinfo", $"100644,{blob},x/{new string('d', 5000)}");
        Git(root, "update-index", "--add", "--cacheinfo", $"100644,{blob},zz/.gitattributes");
        Git(root, "update-index", "--add", "--cacheinfo", $"160000,{Git(root, "rev-parse", "HEAD")},vendor/lib");

        var index = GitIndexFile.Read(IndexOf(root));

        Assert.NotNull(index);
        Assert.True(index.HasGitLink);
        Assert.Equal([".gitattributes", "nested/.gitattributes", "zz/.gitattributes"], index.AttributeFiles);
        Assert.Equal(Git(root, "write-tree"), GitIndexFile.Read(IndexOf(root))!.Tree);
    }

    [Fact]
    public void Another_index_version_a_truncated_index_and_no_index_are_refused()
    {
        var root = Repository();
        Git(root, "update-index", "--index-version", "4");
        Assert.Null(GitIndexFile.Read(IndexOf(root)));

        Git(root, "update-index", "--index-version", "2");
        Assert.NotNull(GitIndexFile.Read(IndexOf(root)));
        var bytes = File.ReadAllBytes(IndexOf(root));
        var truncated = temp.Combine("truncated-index");
        File.WriteAllBytes(truncated, bytes[..100]);
        Assert.Null(GitIndexFile.Read(truncated));
        Assert.Null(GitIndexFile.Read(temp.Combine("no-such-index")));
    }
}
