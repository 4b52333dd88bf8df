using System.Security.Cryptography;
using AmpSessions.Core.Git;

namespace AmpSessions.Core.Containment;

/// <summary>
/// The state of the user's main checkout that an agent must not change: HEAD (branch and commit),
/// the base branch's tip, the remote-tracking refs, and every path `git status` lists (index and worktree against HEAD,
/// untracked files) with the content of the file as it is now. Taken with one `git status` or its in-process equal (and the
/// refs, read in process where libgit2 can); reading it changes nothing: status runs
/// with --no-optional-locks, so git does not even refresh the index.
/// </summary>
public sealed record MainCheckoutFingerprint
{
    public required string Root { get; init; }
    public string? HeadBranch { get; init; }
    public string? HeadCommit { get; init; }
    public required string BaseBranch { get; init; }
    public string? BaseTip { get; init; }

    /// <summary>Remote-tracking refs and their commits: a push updates them.</summary>
    public IReadOnlyDictionary<string, string> RemoteRefs { get; init; } = new Dictionary<string, string>();

    /// <summary>Path → its status record and content digest; a path absent here is clean (as in HEAD and the index).</summary>
    public required IReadOnlyDictionary<string, string> Entries { get; init; }

    public static async Task<MainCheckoutFingerprint?> CaptureAsync(string root, string baseBranch, string gitExecutable, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(root))
        {
            return null;
        }
        var git = new GitClient(root, gitExecutable);
        // In process where libgit2's status is git's (the parity tests check it record for record), else one git status.
        var output = git.StatusInProcess(includeUntracked: true);
        if (output is null)
        {
            var status = await git.RunAsync(["--no-optional-locks", "status", "--porcelain=v2", "-z", "--branch", "--untracked-files=all", "--ignore-submodules=none"],
                allowFailure: true, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (status.ExitCode != 0)
            {
                return null;
            }
            output = status.StandardOutput;
        }
        string? headCommit = null, headBranch = null;
        var entries = new Dictionary<string, string>(StringComparer.Ordinal);
        var records = output.Split('\0');
        for (var i = 0; i < records.Length; i++)
        {
            var record = records[i];
            if (record.StartsWith("# branch.oid ", StringComparison.Ordinal))
            {
                headCommit = record["# branch.oid ".Length..] is var oid && oid != "(initial)" ? oid : null;
            }
            else if (record.StartsWith("# branch.head ", StringComparison.Ordinal))
            {
                headBranch = record["# branch.head ".Length..] is var head && head != "(detached)" ? head : null;
            }
            else if (record.Length > 2 && record[0] is '1' or '2' or 'u' or '?')
            {
                // The path is the last field: after 8 fields (1), 9 (2, then the original path as its own record), 10 (u), 1 (?).
                var fields = record[0] switch { '1' => 8, '2' => 9, 'u' => 10, _ => 1 };
                var parts = record.Split(' ', fields + 1);
                if (parts.Length <= fields)
                {
                    continue;
                }
                var path = parts[fields];
                var state = string.Join(' ', parts.Take(fields));
                if (record[0] == '2' && i + 1 < records.Length)
                {
                    state += " from " + records[++i];
                }
                entries[path] = state + " " + Digest(Path.Combine(root, path));
            }
        }
        // The base's tip and the remote-tracking refs (a push from the agent moves one) in one call.
        var refTips = (await git.ListRefTipsAsync(["refs/heads/" + baseBranch, "refs/remotes/"], cancellationToken).ConfigureAwait(false))
            .ToDictionary(t => t.Ref, t => t.Target, StringComparer.Ordinal);
        return new MainCheckoutFingerprint
        {
            Root = root,
            HeadBranch = headBranch,
            HeadCommit = headCommit,
            BaseBranch = baseBranch,
            BaseTip = refTips.GetValueOrDefault("refs/heads/" + baseBranch),
            RemoteRefs = refTips.Where(r => r.Key.StartsWith("refs/remotes/", StringComparison.Ordinal)).ToDictionary(StringComparer.Ordinal),
            Entries = entries,
        };
    }

    /// <summary>
    /// What of the file is compared: its bytes' SHA-256; for .env files (never read unless named) and
    /// anything that is not a regular file, its size and modification time; "absent" when it is gone.
    /// </summary>
    private static string Digest(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                return Directory.Exists(path) ? "directory" : "absent";
            }
            if (info.Name.StartsWith(".env", StringComparison.OrdinalIgnoreCase) || info.LinkTarget is not null)
            {
                return $"size {info.Length} time {info.LastWriteTimeUtc.Ticks}";
            }
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return Convert.ToHexString(SHA256.HashData(stream));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "unreadable " + ex.GetType().Name;
        }
    }

    /// <summary>The paths whose state differs, plus HEAD and the base branch's ref by name when they moved; empty when nothing did.</summary>
    public IReadOnlyList<string> Differences(MainCheckoutFingerprint after, bool headExplained, bool baseExplained)
    {
        var touched = new List<string>();
        if ((HeadBranch != after.HeadBranch || HeadCommit != after.HeadCommit) && !headExplained)
        {
            touched.Add("HEAD");
        }
        if (BaseTip != after.BaseTip && !baseExplained && !(HeadBranch == BaseBranch && after.HeadBranch == BaseBranch && touched.Contains("HEAD")))
        {
            touched.Add("refs/heads/" + BaseBranch);
        }
        foreach (var remote in RemoteRefs.Keys.Union(after.RemoteRefs.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            if (RemoteRefs.GetValueOrDefault(remote) != after.RemoteRefs.GetValueOrDefault(remote))
            {
                touched.Add(remote);
            }
        }
        foreach (var path in Entries.Keys.Union(after.Entries.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            if (Entries.GetValueOrDefault(path) != after.Entries.GetValueOrDefault(path))
            {
                touched.Add(path);
            }
        }
        return touched;
    }
}
