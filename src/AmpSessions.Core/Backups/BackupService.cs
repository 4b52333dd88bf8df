using System.Globalization;
using AmpSessions.Core.Git;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Core.Backups;

/// <summary>One backup of a session: the branch tip before an operation, and the worktree when it was dirty.</summary>
public sealed record SessionBackup
{
    /// <summary>The short name: &lt;timestamp&gt;-&lt;operation&gt;.</summary>
    public required string Name { get; init; }
    public required string Ref { get; init; }
    public required string BranchCommit { get; init; }
    /// <summary>A stash-like commit of the working tree and index, when they had changes.</summary>
    public string? WorktreeSnapshot { get; init; }
    public required string Operation { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
}

/// <summary>
/// Backups under <c>refs/amp-sessions/&lt;id&gt;/backup/&lt;timestamp&gt;-&lt;operation&gt;</c> (the branch tip)
/// and <c>refs/amp-sessions/&lt;id&gt;/snapshot/...</c> (the dirty worktree), taken before anything that
/// could lose work. Making one changes no file, index or branch.
/// </summary>
public static class BackupService
{
    public static string RefPrefix(string sessionId) => $"refs/amp-sessions/{sessionId}/";
    private const string TimestampFormat = "yyyyMMdd-HHmmss-fff";

    /// <summary>
    /// Records the branch tip, or <paramref name="commit"/> when given (a commit the branch does not
    /// reach, such as the HEAD an agent left elsewhere), and a snapshot of a dirty worktree. Hold the repository lock.
    /// A caller that has just read the worktree's status under that lock passes it as <paramref name="worktreeStatus"/>.
    /// </summary>
    public static async Task<SessionBackup> CreateAsync(Session session, string operation, DateTimeOffset now, CancellationToken cancellationToken = default, string? commit = null,
        GitStatus? worktreeStatus = null)
    {
        var repo = new GitClient(session.RepoRoot);
        var tip = commit ?? await repo.ResolveCommitAsync("refs/heads/" + session.BranchName, cancellationToken).ConfigureAwait(false)
            ?? throw new Errors.AmpSessionsException("AmpBranchMissing", Errors.ErrorKind.NotFound,
                $"The session branch '{session.BranchName}' no longer exists, so there is nothing to back up", session.Id,
                remedy: $"run {Errors.Invocation.Of(Errors.Operation.Repair)}");
        var name = $"{now.UtcDateTime.ToString(TimestampFormat, CultureInfo.InvariantCulture)}-{operation}";
        var existing = await repo.ListRefsAsync(RefPrefix(session.Id) + "backup/", cancellationToken).ConfigureAwait(false);
        for (var n = 2; existing.Any(r => r.Ref.EndsWith("/" + name, StringComparison.Ordinal)); n++)
        {
            name = $"{now.UtcDateTime.ToString(TimestampFormat, CultureInfo.InvariantCulture)}-{operation}-{n}";
        }
        string? snapshot = null;
        if (Directory.Exists(session.WorktreePath))
        {
            var worktree = new GitClient(session.WorktreePath);
            var status = worktreeStatus ?? await worktree.GetStatusAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            if (!status.IsClean && !status.HasUnmerged && status.HeadCommit is { } head)
            {
                snapshot = await WorkingTreeSnapshot.CommitSnapshotAsync(worktree, head, $"amp-sessions snapshot of {session.Id} before {operation}", cancellationToken).ConfigureAwait(false);
                await repo.UpdateRefAsync(RefPrefix(session.Id) + "snapshot/" + name, snapshot, "", $"amp-sessions: snapshot before {operation}", cancellationToken).ConfigureAwait(false);
            }
        }
        var backupRef = RefPrefix(session.Id) + "backup/" + name;
        await repo.UpdateRefAsync(backupRef, tip, "", $"amp-sessions: backup before {operation}", cancellationToken).ConfigureAwait(false);
        return new SessionBackup { Name = name, Ref = backupRef, BranchCommit = tip, WorktreeSnapshot = snapshot, Operation = operation, CreatedAt = now };
    }

    /// <summary>The session's backups, oldest first.</summary>
    public static async Task<IReadOnlyList<SessionBackup>> ListAsync(Session session, CancellationToken cancellationToken = default)
    {
        var repo = new GitClient(session.RepoRoot);
        var refs = await repo.ListRefsAsync(RefPrefix(session.Id), cancellationToken).ConfigureAwait(false);
        var snapshots = refs.Where(r => r.Ref.StartsWith(RefPrefix(session.Id) + "snapshot/", StringComparison.Ordinal))
            .ToDictionary(r => r.Ref[(RefPrefix(session.Id) + "snapshot/").Length..], r => r.Commit);
        return refs.Where(r => r.Ref.StartsWith(RefPrefix(session.Id) + "backup/", StringComparison.Ordinal))
            .Select(r =>
            {
                var name = r.Ref[(RefPrefix(session.Id) + "backup/").Length..];
                return new SessionBackup
                {
                    Name = name,
                    Ref = r.Ref,
                    BranchCommit = r.Commit,
                    WorktreeSnapshot = snapshots.GetValueOrDefault(name),
                    Operation = OperationOf(name),
                    CreatedAt = TimeOf(name),
                };
            })
            .OrderBy(b => b.Name, StringComparer.Ordinal)
            .ToArray();
    }

    /// <summary>Deletes every ref the session has under refs/amp-sessions/&lt;id&gt;/. Hold the repository lock.</summary>
    public static async Task<int> PurgeAsync(Session session, CancellationToken cancellationToken = default)
    {
        var repo = new GitClient(session.RepoRoot);
        var refs = await repo.ListRefsAsync(RefPrefix(session.Id), cancellationToken).ConfigureAwait(false);
        foreach (var (refName, _) in refs)
        {
            await repo.DeleteRefAsync(refName, cancellationToken).ConfigureAwait(false);
        }
        return refs.Count;
    }

    private static string OperationOf(string name)
    {
        // yyyyMMdd-HHmmss-fff-<operation>[-n]
        var parts = name.Split('-');
        return parts.Length > 3 ? parts[3] : "";
    }

    private static DateTimeOffset TimeOf(string name) =>
        name.Length >= TimestampFormat.Length && DateTime.TryParseExact(name[..TimestampFormat.Length], TimestampFormat, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? new DateTimeOffset(time, TimeSpan.Zero)
            : DateTimeOffset.MinValue;
}
