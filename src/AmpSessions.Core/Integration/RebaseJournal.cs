using System.Text.Json;
using AmpSessions.Core.Serialization;

namespace AmpSessions.Core.Integration;

/// <summary>
/// What AmpSessions knows about a rebase it started, beside git's own state in the worktree's git
/// directory (so <c>git worktree remove</c> deletes it with the worktree): the target branch, the
/// backup, the paths that conflicted, and a byte copy of the index from before the rebase so an
/// abort gives back the exact index file. Written before git starts, so a crash leaves it behind
/// for continue and abort. A rebase someone else started has none; git's state is enough then.
/// </summary>
internal sealed record RebaseJournal
{
    private const string FileName = "amp-sessions-rebase.json";
    private const string IndexCopyName = "amp-sessions-rebase.index";

    /// <summary>The branch the session is being rebased onto; it becomes the session's base when the rebase succeeds.</summary>
    public required string Target { get; init; }
    /// <summary>The commit the branch is being rebased onto.</summary>
    public required string OntoCommit { get; init; }
    public required string OldHead { get; init; }
    public string? BackupRef { get; init; }
    /// <summary>Every path that has conflicted during this rebase: continue checks them for conflict markers.</summary>
    public IReadOnlyList<string> ConflictedPaths { get; init; } = [];
    public required DateTimeOffset StartedAt { get; init; }

    public static string PathIn(string gitDir) => Path.Combine(gitDir, FileName);

    public static string IndexCopyPath(string gitDir) => Path.Combine(gitDir, IndexCopyName);

    public static RebaseJournal? Read(string gitDir)
    {
        var path = PathIn(gitDir);
        if (!File.Exists(path))
        {
            return null;
        }
        try
        {
            return Serialization.JsonOutput.Deserialize<RebaseJournal>(File.ReadAllText(path), JsonOutput.Options);
        }
        catch (JsonException)
        {
            // A torn write from a crash: fall back to git's own state, as for a rebase we did not start.
            return null;
        }
    }

    /// <summary>Writes the journal atomically (a whole file or the old one, never half of one).</summary>
    public void Write(string gitDir)
    {
        var path = PathIn(gitDir);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, Serialization.JsonOutput.Serialize(this, JsonOutput.Options));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Keeps a byte copy of the worktree's index before git rewrites it.</summary>
    public static void SaveIndex(string gitDir)
    {
        var index = Path.Combine(gitDir, "index");
        if (File.Exists(index))
        {
            File.Copy(index, IndexCopyPath(gitDir), overwrite: true);
        }
    }

    public static void Delete(string gitDir)
    {
        File.Delete(PathIn(gitDir));
        File.Delete(IndexCopyPath(gitDir));
    }
}

/// <summary>Git's own record of a rebase in progress in one worktree (rebase-merge/ or rebase-apply/ in its git directory).</summary>
internal sealed record GitRebaseState(string Directory, string? Onto, string? OrigHead, string? HeadName)
{
    /// <summary>The rebase in progress in the worktree whose git directory is given, or null.</summary>
    public static GitRebaseState? Find(string gitDir)
    {
        foreach (var name in new[] { "rebase-merge", "rebase-apply" })
        {
            var directory = Path.Combine(gitDir, name);
            if (System.IO.Directory.Exists(directory))
            {
                return new GitRebaseState(directory, ReadLine(Path.Combine(directory, "onto")), ReadLine(Path.Combine(directory, "orig-head")),
                    ReadLine(Path.Combine(directory, "head-name")));
            }
        }
        return null;
    }

    private static string? ReadLine(string path) => File.Exists(path) ? File.ReadAllText(path).Trim() : null;
}
