using System.Security.Cryptography;

namespace AmpSessions.Testing;

/// <summary>
/// Everything a person could lose in one worktree, captured for before/after comparisons: the
/// branch tip, the index (entries and the file's bytes), every file's content and git's status.
/// Captured without letting git rewrite the index (no optional locks).
/// </summary>
public sealed record WorktreeState(string BranchTip, string IndexEntries, string IndexFileHash, IReadOnlyDictionary<string, string> Files, string Status)
{
    /// <summary>Captures the worktree; <paramref name="branch"/> null records HEAD (a detached checkout).</summary>
    public static WorktreeState Capture(string worktree, string? branch)
    {
        var gitDir = TestRepository.GitIn(worktree, "rev-parse", "--path-format=absolute", "--git-dir");
        var indexHash = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(Path.Combine(gitDir, "index"))));
        return new WorktreeState(
            TestRepository.GitIn(worktree, "rev-parse", branch is null ? "HEAD" : "refs/heads/" + branch),
            TestRepository.GitIn(worktree, "--no-optional-locks", "ls-files", "--stage"),
            indexHash,
            FileHashes(worktree),
            TestRepository.GitIn(worktree, "--no-optional-locks", "status", "--porcelain=v1", "--untracked-files=all"));
    }

    /// <summary>Content hashes of every file under the folder except git's own (.git) and session worktrees (.worktrees/).</summary>
    public static IReadOnlyDictionary<string, string> FileHashes(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(folder, path).Replace('\\', '/'))
            .Where(relative => relative != ".git" && !relative.StartsWith(".git/", StringComparison.Ordinal) && !relative.StartsWith(".worktrees/", StringComparison.Ordinal))
            .OrderBy(relative => relative, StringComparer.Ordinal)
            .ToDictionary(relative => relative, relative => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(Path.Combine(folder, relative)))));

    /// <summary>Asserts everything is the same, the index file's bytes included; field by field, so a failure says which part differs.</summary>
    public void AssertSameAs(WorktreeState expected)
    {
        AssertSameContentAs(expected);
        if (IndexFileHash != expected.IndexFileHash) throw new InvalidOperationException("the index file's bytes differ");
    }

    /// <summary>Asserts the same branch tip, index entries, files and status (the index file may have been rewritten with new file stamps).</summary>
    public void AssertSameContentAs(WorktreeState expected)
    {
        if (BranchTip != expected.BranchTip) throw new InvalidOperationException($"branch tip {BranchTip} != {expected.BranchTip}");
        if (IndexEntries != expected.IndexEntries) throw new InvalidOperationException($"index entries differ:\n{IndexEntries}\n---\n{expected.IndexEntries}");
        if (!Files.OrderBy(f => f.Key).SequenceEqual(expected.Files.OrderBy(f => f.Key)))
        {
            throw new InvalidOperationException($"files differ: [{string.Join(", ", Files.Keys)}] vs [{string.Join(", ", expected.Files.Keys)}]");
        }
        if (Status != expected.Status) throw new InvalidOperationException($"status differs:\n{Status}\n---\n{expected.Status}");
    }
}
