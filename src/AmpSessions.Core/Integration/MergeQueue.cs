using System.Text.Json.Serialization;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Events;
using AmpSessions.Core.Git;
using AmpSessions.Core.Notifications;
using AmpSessions.Core.Scripts;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Core.Integration;

/// <summary>What `queue` needs.</summary>
public sealed record MergeQueueRequest
{
    /// <summary>The sessions to land: ids, unique id prefixes or names.</summary>
    public required IReadOnlyList<string> Sessions { get; init; }

    /// <summary>The base branch they land on; null: the base they all share.</summary>
    public string? BaseBranch { get; init; }

    /// <summary>Squash each session into one commit as it lands.</summary>
    public bool Squash { get; init; }

    /// <summary>The time limit of each test script run (default: the session's, else 30 minutes).</summary>
    public TimeSpan? ScriptTimeout { get; init; }
}

/// <summary>A session the queue left out, and why.</summary>
public sealed record MergeQueueSkip(string Id, string Reason);

/// <summary>Two sessions (or a session and the base) that <c>git merge-tree</c> says conflict, and where.</summary>
public sealed record ConflictPrediction(string First, string Second, IReadOnlyList<string> Paths);

/// <summary>One session that landed.</summary>
public sealed record MergeQueueLanding
{
    public required string Id { get; init; }
    public required string NewBaseCommit { get; init; }
    /// <summary>Changed lines the session brought (what the order maximises).</summary>
    public required int ChangedLines { get; init; }
    public required string BackupRef { get; init; }
    /// <summary>The test script's verdict on the rebased branch; null when the session has no script.</summary>
    public bool? TestsPassed { get; init; }

    /// <summary>The merge that landed it (for the module, which writes it; --json has the landing's own fields).</summary>
    [JsonIgnore]
    public MergeResult? Merge { get; init; }
}

/// <summary>What a merge queue run did. <c>merged</c> and <c>skipped</c> are the names tools rely on.</summary>
public sealed record MergeQueueResult
{
    /// <summary>The ids that landed, in landing order.</summary>
    [JsonPropertyOrder(-2)]
    public required IReadOnlyList<string> Merged { get; init; }

    [JsonPropertyOrder(-1)]
    public required IReadOnlyList<MergeQueueSkip> Skipped { get; init; }

    public required string BaseBranch { get; init; }
    public required string OldBaseCommit { get; init; }
    public required string NewBaseCommit { get; init; }
    public required IReadOnlyList<MergeQueueLanding> Landings { get; init; }
    public required IReadOnlyList<ConflictPrediction> PredictedConflicts { get; init; }
}

/// <summary>
/// Lands several ready sessions on one base in one run. Conflicts are predicted pairwise (and with
/// the base) with <c>git merge-tree --write-tree</c>, which touches no checkout, index or ref; the
/// sessions that land are the conflict-free set with the most changed lines, biggest first. Each
/// is then rebased onto the base as it stands after the previous landings, its test script runs
/// on exactly that commit, and it lands by the same merge as `merge` (backup refs, fast-forward
/// only), so the history stays linear. A session that conflicts or fails its tests is left out
/// with the reason; its branch keeps what it had (and a backup).
/// </summary>
/// <remarks>
/// The issue asks to rebase the rest and re-run their tests after each merge; this rebases and
/// tests each session just before it lands instead: the same guarantee (every landed commit was
/// tested on the base it lands on) with one test run per session instead of one per session per landing.
/// </remarks>
public sealed class MergeQueue
{
    /// <summary>Up to this many candidates the best set is found exactly; beyond it, greedily by size.</summary>
    private const int ExactSearchLimit = 16;

    private readonly AmpContext context;
    private readonly INotifier? notifier;

    public MergeQueue(AmpContext context, INotifier? notifier = null)
    {
        this.context = context;
        this.notifier = notifier;
    }

    private sealed record Candidate(Session Session, string Tip, int ChangedLines);

    public async Task<MergeQueueResult> RunAsync(MergeQueueRequest request, Action<string>? onNote = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var manager = new SessionManager(context);
        if (request.Sessions.Count == 0)
        {
            throw new AmpSessionsException("AmpUsageQueueEmpty", ErrorKind.InvalidArgument, "No sessions given", remedy: $"name the sessions to land");
        }
        // Every reference must name a session before anything happens.
        var sessions = request.Sessions.Select(manager.Resolve).DistinctBy(s => s.Id).ToList();
        var repos = sessions.Select(s => s.RepoRoot).Distinct(StringComparer.Ordinal).ToList();
        if (repos.Count > 1)
        {
            throw new AmpSessionsException("AmpQueueRepositoriesDiffer", ErrorKind.InvalidArgument,
                $"The sessions belong to {repos.Count} repositories ({string.Join(", ", repos)})", repos, remedy: $"queue the sessions of one repository at a time");
        }
        var baseBranch = request.BaseBranch?.Trim() is { Length: > 0 } given ? given : CommonBase(sessions);
        var repo = new GitClient(repos[0], context.Options.GitExecutable);
        var oldBase = await repo.ResolveCommitAsync("refs/heads/" + baseBranch, cancellationToken).ConfigureAwait(false)
            ?? throw new AmpSessionsException("AmpBaseBranchNotFound", ErrorKind.NotFound, $"The base branch '{baseBranch}' does not exist in '{repos[0]}'", baseBranch,
                remedy: $"pass {Parameter.Base} a branch that does");

        var skipped = new List<MergeQueueSkip>();
        var candidates = new List<Candidate>();
        foreach (var session in sessions)
        {
            var (candidate, reason) = await CheckReadyAsync(session, baseBranch, repo, oldBase, cancellationToken).ConfigureAwait(false);
            if (candidate is null)
            {
                skipped.Add(new MergeQueueSkip(session.Id, reason!));
            }
            else
            {
                candidates.Add(candidate);
            }
        }

        // Predictions: each session against the base as it is, then each pair.
        var predictions = new List<ConflictPrediction>();
        foreach (var candidate in candidates.ToList())
        {
            if (await PredictAsync(repo, oldBase, candidate.Tip, cancellationToken).ConfigureAwait(false) is { Count: > 0 } paths)
            {
                predictions.Add(new ConflictPrediction(baseBranch, candidate.Session.Id, paths));
                skipped.Add(new MergeQueueSkip(candidate.Session.Id, $"conflicts with {baseBranch} in {Describe(paths)}: rebase it and resolve them first"));
                candidates.Remove(candidate);
            }
        }
        var conflicts = new Dictionary<(int, int), IReadOnlyList<string>>();
        for (var i = 0; i < candidates.Count; i++)
        {
            for (var j = i + 1; j < candidates.Count; j++)
            {
                if (await PredictAsync(repo, candidates[i].Tip, candidates[j].Tip, cancellationToken).ConfigureAwait(false) is { Count: > 0 } paths)
                {
                    conflicts[(i, j)] = paths;
                    predictions.Add(new ConflictPrediction(candidates[i].Session.Id, candidates[j].Session.Id, paths));
                }
            }
        }
        var chosen = Choose(candidates, conflicts);
        for (var i = 0; i < candidates.Count; i++)
        {
            if (chosen.Contains(i))
            {
                continue;
            }
            var (other, paths) = conflicts.Where(c => (c.Key.Item1 == i && chosen.Contains(c.Key.Item2)) || (c.Key.Item2 == i && chosen.Contains(c.Key.Item1)))
                .Select(c => (candidates[c.Key.Item1 == i ? c.Key.Item2 : c.Key.Item1], c.Value)).First();
            skipped.Add(new MergeQueueSkip(candidates[i].Session.Id,
                $"would conflict with {other.Session.Id} in {Describe(paths)}; {other.Session.Id} lands more work ({other.ChangedLines} changed lines against {candidates[i].ChangedLines})"));
        }
        var order = chosen.Select(i => candidates[i]).OrderByDescending(c => c.ChangedLines).ThenBy(c => c.Session.CreatedAt).ToList();
        onNote?.Invoke($"Landing order on {baseBranch}: {(order.Count == 0 ? "none" : string.Join(", ", order.Select(c => c.Session.Id)))}");

        var integration = new IntegrationService(context, notifier);
        var landings = new List<MergeQueueLanding>();
        foreach (var candidate in order)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                if (await LandAsync(integration, candidate, baseBranch, request, landings, skipped, onNote, cancellationToken).ConfigureAwait(false) is { } landing)
                {
                    landings.Add(landing);
                }
            }
            catch (AmpSessionsException ex) when (!cancellationToken.IsCancellationRequested)
            {
                // One session's failure (a hook, a file in the way) leaves it out; the others still land.
                skipped.Add(new MergeQueueSkip(candidate.Session.Id, ex.Message));
                onNote?.Invoke($"{candidate.Session.Id}: {ex.Message}");
            }
        }

        var newBase = await repo.ResolveCommitAsync("refs/heads/" + baseBranch, cancellationToken).ConfigureAwait(false) ?? oldBase;
        var ordered = skipped.OrderBy(s => sessions.FindIndex(x => x.Id == s.Id)).ToList();
        var result = new MergeQueueResult
        {
            Merged = landings.Select(l => l.Id).ToList(),
            Skipped = ordered,
            BaseBranch = baseBranch,
            OldBaseCommit = oldBase,
            NewBaseCommit = newBase,
            Landings = landings,
            PredictedConflicts = predictions,
        };
        context.Events.Publish(AmpEventTypes.QueueFinished,
            $"Merge queue on {baseBranch}: {result.Merged.Count} landed ({string.Join(", ", result.Merged)}), {result.Skipped.Count} left out.",
            data: EventLog.Data(("baseBranch", baseBranch), ("merged", result.Merged), ("skipped", result.Skipped.Select(s => s.Id)), ("newBaseCommit", newBase)));
        return result;
    }

    /// <summary>Rebases one session onto the base as it stands, runs its tests there and lands it; null when it is left out (added to <paramref name="skipped"/>).</summary>
    private async Task<MergeQueueLanding?> LandAsync(IntegrationService integration, Candidate candidate, string baseBranch, MergeQueueRequest request,
        IReadOnlyList<MergeQueueLanding> landings, List<MergeQueueSkip> skipped, Action<string>? onNote, CancellationToken cancellationToken)
    {
        var id = candidate.Session.Id;
        var landed = landings.Count == 0 ? "" : $" after {string.Join(", ", landings.Select(l => l.Id))} landed";
        var rebase = await integration.RebaseAsync(id, baseBranch == candidate.Session.BaseBranch ? null : baseBranch, cancellationToken).ConfigureAwait(false);
        if (rebase.Outcome == RebaseOutcome.Conflicted)
        {
            await integration.AbortRebaseAsync(id, cancellationToken).ConfigureAwait(false);
            skipped.Add(new MergeQueueSkip(id, $"conflicts with {baseBranch}{landed} in {Describe(rebase.ConflictedPaths)}; its branch is as it was"));
            onNote?.Invoke($"{id}: conflicts{landed}, left out");
            return null;
        }
        bool? passed = null;
        if (!string.IsNullOrWhiteSpace(candidate.Session.ScriptCommand))
        {
            onNote?.Invoke($"{id}: running `{candidate.Session.ScriptCommand}` on {Short(rebase.NewHead)}");
            var run = await new ScriptRunner(context, notifier ?? new DesktopNotifier()).RunAsync(id, null, request.ScriptTimeout, cancellationToken).ConfigureAwait(false);
            passed = run.Passed;
            if (!run.Passed)
            {
                skipped.Add(new MergeQueueSkip(id, $"tests failed after rebasing onto {baseBranch} at {Short(rebase.OntoCommit)}{landed} (`{run.Command}` {run.Status.ToString().ToLowerInvariant()}{(run.ExitCode is { } code ? $", exit {code}" : "")}); log: {run.OutputPath}"));
                onNote?.Invoke($"{id}: tests failed, left out");
                return null;
            }
        }
        var merge = await integration.MergeAsync(id, new MergeOptions { Squash = request.Squash, NoRebase = !request.Squash }, cancellationToken).ConfigureAwait(false);
        onNote?.Invoke($"{id}: landed at {Short(merge.NewBaseCommit)}");
        return new MergeQueueLanding { Id = id, NewBaseCommit = merge.NewBaseCommit, ChangedLines = candidate.ChangedLines, BackupRef = merge.BackupRef, TestsPassed = passed, Merge = merge };
    }

    private static string CommonBase(IReadOnlyList<Session> sessions)
    {
        var bases = sessions.Select(s => s.BaseBranch).Distinct(StringComparer.Ordinal).ToList();
        return bases.Count == 1
            ? bases[0]
            : throw new AmpSessionsException("AmpQueueBasesDiffer", ErrorKind.InvalidArgument,
                $"The sessions are based on different branches ({string.Join(", ", bases)})", bases, remedy: $"pass {Parameter.Base} to say which one they land on");
    }

    /// <summary>A session that can land, or why not.</summary>
    private async Task<(Candidate? Candidate, string? Reason)> CheckReadyAsync(Session session, string baseBranch, GitClient repo, string baseTip, CancellationToken cancellationToken)
    {
        var reason = session.Status switch
        {
            SessionStatus.Blocked => "blocked: its agent changed the main checkout; check that, then acknowledge it",
            SessionStatus.Running or SessionStatus.Evaluating or SessionStatus.Initializing => $"busy ({session.Status})",
            SessionStatus.AwaitingInput => "waiting for a person (a tool needs approval)",
            SessionStatus.Conflicted => "has a rebase stopped on conflicts",
            SessionStatus.Merged => "already merged",
            SessionStatus.Archived => "archived",
            _ => null,
        };
        if (reason is not null)
        {
            return (null, reason);
        }
        var tip = await repo.ResolveCommitAsync("refs/heads/" + session.BranchName, cancellationToken).ConfigureAwait(false);
        if (tip is null)
        {
            return (null, $"its branch {session.BranchName} is gone");
        }
        if (await repo.IsAncestorAsync(tip, baseTip, cancellationToken).ConfigureAwait(false))
        {
            return (null, $"nothing to merge: {baseBranch} already has its commits");
        }
        if (Directory.Exists(session.WorktreePath))
        {
            var status = await new GitClient(session.WorktreePath, context.Options.GitExecutable).GetStatusAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            if (status.Changes.Any())
            {
                return (null, $"has {status.Changes.Count()} uncommitted change(s): commit or discard them first");
            }
        }
        if (session.BaseBranch != baseBranch && await repo.MergeBaseAsync(baseTip, tip, cancellationToken).ConfigureAwait(false) is null)
        {
            return (null, $"shares no history with {baseBranch}");
        }
        var fork = await repo.MergeBaseAsync(baseTip, tip, cancellationToken).ConfigureAwait(false) ?? session.BaseCommit;
        var size = await WorkSize.MeasureAsync(repo, fork, tip, cancellationToken).ConfigureAwait(false);
        return (new Candidate(session, tip, size.ChangedLines), null);
    }

    /// <summary>The paths a merge of the two commits would conflict in (empty: none), from <c>git merge-tree --write-tree</c>.</summary>
    internal static async Task<IReadOnlyList<string>> PredictAsync(GitClient repo, string first, string second, CancellationToken cancellationToken)
    {
        var result = await repo.RunAsync(["merge-tree", "--write-tree", "--name-only", "--no-messages", "-z", first, second], allowFailure: true, cancellationToken: cancellationToken).ConfigureAwait(false);
        switch (result.ExitCode)
        {
            case 0:
                return [];
            case 1:
                // "<tree>\0<path>\0<path>\0...": the conflicted paths follow the tree.
                return result.StandardOutput.Split('\0', StringSplitOptions.RemoveEmptyEntries).Skip(1).Distinct(StringComparer.Ordinal).ToArray();
            default:
                throw new AmpSessionsException("AmpMergeTreeFailed", ErrorKind.ExternalTool,
                    $"git merge-tree could not compare {Short(first)} and {Short(second)} (exit {result.ExitCode}: {result.StandardErrorTail(2).ReplaceLineEndings(" ")})", first,
                    remedy: $"the merge queue needs git 2.38 or later: upgrade git");
        }
    }

    /// <summary>The indexes of the conflict-free set with the most changed lines (then the most sessions).</summary>
    private static HashSet<int> Choose(IReadOnlyList<Candidate> candidates, IReadOnlyDictionary<(int, int), IReadOnlyList<string>> conflicts)
    {
        bool Clash(int a, int b) => conflicts.ContainsKey((Math.Min(a, b), Math.Max(a, b)));
        var n = candidates.Count;
        if (n <= ExactSearchLimit)
        {
            var best = 0L;
            (long Lines, int Count) bestScore = (-1, -1);
            for (var mask = 0L; mask < 1L << n; mask++)
            {
                var ok = true;
                long lines = 0;
                for (var i = 0; i < n && ok; i++)
                {
                    if ((mask & (1L << i)) == 0)
                    {
                        continue;
                    }
                    lines += candidates[i].ChangedLines;
                    for (var j = i + 1; j < n; j++)
                    {
                        if ((mask & (1L << j)) != 0 && Clash(i, j))
                        {
                            ok = false;
                            break;
                        }
                    }
                }
                var score = (lines, System.Numerics.BitOperations.PopCount((ulong)mask));
                if (ok && score.CompareTo(bestScore) > 0)
                {
                    (best, bestScore) = (mask, score);
                }
            }
            return Enumerable.Range(0, n).Where(i => (best & (1L << i)) != 0).ToHashSet();
        }
        var chosen = new HashSet<int>();
        foreach (var i in Enumerable.Range(0, n).OrderByDescending(i => candidates[i].ChangedLines))
        {
            if (chosen.All(j => !Clash(i, j)))
            {
                chosen.Add(i);
            }
        }
        return chosen;
    }

    private static string Describe(IReadOnlyCollection<string> paths) =>
        string.Join(", ", paths.Take(5)) + (paths.Count > 5 ? $" and {paths.Count - 5} more" : "");

    private static string Short(string sha) => sha.Length > 7 ? sha[..7] : sha;
}
