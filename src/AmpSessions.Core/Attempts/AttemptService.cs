using System.Globalization;
using AmpSessions.Core.Backups;
using AmpSessions.Core.Display;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Events;
using AmpSessions.Core.Git;
using AmpSessions.Core.Integration;
using AmpSessions.Core.Iterations;
using AmpSessions.Core.Notifications;
using AmpSessions.Core.Processes;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Core.Attempts;

/// <summary>
/// Best-of-N: the same task as N sessions (an attempt group), their first iterations run in
/// parallel, then compared by test result, regressions against the base, diff size, tokens, cost
/// and time; one is proposed; keeping one archives the others with a backup of each.
/// </summary>
public sealed class AttemptService
{
    public const int MaxAttempts = 10;

    private readonly AmpContext context;
    private readonly INotifier? notifier;
    private readonly Batches.PriceTable prices;
    private readonly SessionManager sessions;

    /// <summary><paramref name="prices"/> prices the attempts' tokens; without one, costs are unknown (null).</summary>
    public AttemptService(AmpContext context, INotifier? notifier = null, Batches.PriceTable? prices = null)
    {
        this.context = context;
        this.notifier = notifier;
        this.prices = prices ?? Batches.PriceTable.Empty;
        sessions = new SessionManager(context);
    }

    /// <summary>Creates the attempts (all or none), runs their first iterations at once unless told not to, and compares them.</summary>
    public async Task<AttemptComparison> CreateAsync(NewAttemptsRequest request, Action<AttemptIterationFinished>? onFinished = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var count = request.Count ?? Math.Max(request.Agents.Count, request.Modes.Count);
        if (count is < 2 or > MaxAttempts)
        {
            throw new AmpSessionsException("AmpAttemptsCountInvalid", ErrorKind.InvalidArgument,
                $"{(count < 2 ? "Best-of-N needs at least 2 attempts" : $"At most {MaxAttempts} attempts run at once")}, not {count}", count,
                remedy: $"give {Parameter.Attempts} 2 to {MaxAttempts} (or two or more agents or modes)");
        }
        var group = NewGroupId();
        var created = new List<Session>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var attempt = request.Session with
                {
                    Name = $"{request.Session.Name} #{i + 1}",
                    Agent = request.Agents.Count > 0 ? request.Agents[i % request.Agents.Count] : request.Session.Agent,
                    AgentMode = request.Modes.Count > 0 ? request.Modes[i % request.Modes.Count] : request.Session.AgentMode,
                    AttemptGroup = group,
                };
                created.Add(await sessions.CreateAsync(attempt, cancellationToken).ConfigureAwait(false));
            }
        }
        catch
        {
            // All or none: a failure half-way removes the attempts already made.
            foreach (var made in created)
            {
                await sessions.CleanupAsync(made.Id, force: true, purge: true, keepBranch: false, CancellationToken.None).ConfigureAwait(false);
                context.Sessions.Delete(made.Id);
            }
            throw;
        }
        if (request.Run)
        {
            var runner = new IterationRunner(context, notifier);
            await Task.WhenAll(created.Select(async session =>
            {
                try
                {
                    var iteration = await runner.RunAsync(new IterateRequest { Session = session.Id }, cancellationToken: cancellationToken).ConfigureAwait(false);
                    onFinished?.Invoke(new AttemptIterationFinished(group, iteration));
                }
                catch (AmpSessionsException)
                {
                    // Recorded on the session (Error and its message); the comparison shows it.
                }
            })).ConfigureAwait(false);
        }
        var comparison = await CompareAsync(group, cancellationToken).ConfigureAwait(false);
        context.Events.Publish(AmpEventTypes.AttemptsCompared, $"Attempt group {group}: proposed {comparison.Reason}", comparison.ProposedId,
            data: EventLog.Data(("group", group), ("proposed", comparison.ProposedId), ("attempts", comparison.Attempts.Select(s => s.SessionId))));
        return comparison;
    }

    /// <summary>The sessions of a group: given by group id or by the id (or name) of one of its sessions.</summary>
    public IReadOnlyList<Session> Members(string reference)
    {
        var text = reference?.Trim() ?? "";
        var members = text.Length == 0 ? [] : context.Sessions.ListByAttemptGroup(text);
        if (members.Count == 0)
        {
            Session? session = null;
            try
            {
                session = sessions.Resolve(text);
            }
            catch (SessionNotFoundException)
            {
            }
            if (session?.AttemptGroup is { } group)
            {
                members = context.Sessions.ListByAttemptGroup(group);
            }
        }
        return members.Count > 0
            ? members
            : throw new AmpSessionsException("AmpAttemptGroupNotFound", ErrorKind.NotFound, $"No attempt group matches '{text}'", text,
                remedy: $"give the group id that creating the attempts printed, or the id of one of its sessions");
    }

    /// <summary>Compares the group's attempts and proposes one.</summary>
    public async Task<AttemptComparison> CompareAsync(string reference, CancellationToken cancellationToken = default)
    {
        var members = Members(reference);
        var group = members[0].AttemptGroup!;
        var repo = new GitClient(members[0].RepoRoot, context.Options.GitExecutable);
        var summaries = new List<AttemptSummary>();
        foreach (var session in members.OrderBy(s => s.CreatedAt).ThenBy(s => s.Name, StringComparer.Ordinal))
        {
            summaries.Add(await SummarizeAsync(session, repo, cancellationToken).ConfigureAwait(false));
        }
        bool? baseline = null;
        if (summaries.Any(s => s.TestsPassed == false) && members[0].ScriptCommand is { } script)
        {
            baseline = await RunOnBaseAsync(members[0], script, cancellationToken).ConfigureAwait(false);
            if (baseline == true)
            {
                summaries = summaries.Select(s => s with { Regression = s.TestsPassed == false }).ToList();
            }
        }
        var (proposed, reason) = Propose(summaries);
        summaries = summaries.Select(s => s with { Proposed = s.SessionId == proposed }).ToList();
        var kept = members.Count(s => s.Status != SessionStatus.Archived) == 1 && members.Count > 1
            ? members.Single(s => s.Status != SessionStatus.Archived).Id
            : null;
        var comparison = new AttemptComparison
        {
            Group = group,
            Prompt = members[0].Prompt,
            BaselinePassed = baseline,
            Attempts = summaries,
            ProposedId = proposed,
            Reason = reason,
            KeptId = kept,
        };
        return comparison;
    }

    /// <summary>
    /// Keeps one attempt (by default the proposed one) and archives the others: each gets a backup
    /// ref first, then its worktree is removed; its branch and backups stay.
    /// </summary>
    public async Task<AttemptComparison> KeepAsync(string reference, string? keep, CancellationToken cancellationToken = default)
    {
        var comparison = await CompareAsync(reference, cancellationToken).ConfigureAwait(false);
        var members = Members(comparison.Group);
        Session kept;
        if (keep is null)
        {
            kept = members.Single(s => s.Id == (comparison.ProposedId ?? throw new AmpSessionsException("AmpAttemptNoProposal", ErrorKind.InvalidOperation,
                $"No attempt of group {comparison.Group} is usable ({comparison.Reason})", comparison.Group, remedy: $"say which to keep with {Parameter.Keep}")));
        }
        else
        {
            var chosen = sessions.Resolve(keep);
            kept = members.FirstOrDefault(s => s.Id == chosen.Id) ?? throw new AmpSessionsException("AmpAttemptNotInGroup", ErrorKind.InvalidArgument,
                $"Session {chosen.Id} is not an attempt of group {comparison.Group}", keep, remedy: $"keep one of {string.Join(", ", members.Select(m => m.Id))}");
        }
        var busy = members.FirstOrDefault(s => s.Id != kept.Id && s.Status is SessionStatus.Running or SessionStatus.Evaluating or SessionStatus.Initializing);
        if (busy is not null)
        {
            throw new AmpSessionsException("AmpSessionBusy", ErrorKind.ResourceBusy, $"Attempt {busy.Id} is {busy.Status}", busy.Id,
                remedy: $"wait for it to finish (or stop it), then keep one");
        }
        foreach (var other in members.Where(s => s.Id != kept.Id && s.Status != SessionStatus.Archived))
        {
            if (await new GitClient(other.RepoRoot, context.Options.GitExecutable).ResolveCommitAsync("refs/heads/" + other.BranchName, cancellationToken).ConfigureAwait(false) is not null)
            {
                var commonDir = await new GitClient(other.RepoRoot, context.Options.GitExecutable).GetCommonDirAsync(cancellationToken).ConfigureAwait(false);
                using (await RepositoryLock.AcquireAsync(commonDir, "archive attempt " + other.Id, cancellationToken: cancellationToken).ConfigureAwait(false))
                {
                    await BackupService.CreateAsync(other, "attempt", context.Now, cancellationToken).ConfigureAwait(false);
                }
            }
            await sessions.CleanupAsync(other.Id, force: true, purge: false, keepBranch: true, cancellationToken).ConfigureAwait(false);
        }
        context.Events.Publish(AmpEventTypes.AttemptSelected, $"Attempt group {comparison.Group}: kept {kept.Id}, archived the others with backups.", kept.Id,
            data: EventLog.Data(("group", comparison.Group), ("kept", kept.Id), ("archived", members.Where(s => s.Id != kept.Id).Select(s => s.Id))));
        return await CompareAsync(comparison.Group, cancellationToken).ConfigureAwait(false) with { KeptId = kept.Id };
    }

    private async Task<AttemptSummary> SummarizeAsync(Session session, GitClient repo, CancellationToken cancellationToken)
    {
        var iterations = context.Iterations.List(session.Id);
        var last = iterations.LastOrDefault();
        var scriptRun = context.Iterations.ListScriptRuns(session.Id).LastOrDefault();
        var size = new WorkSize(0, 0, 0);
        var tip = await repo.ResolveCommitAsync("refs/heads/" + session.BranchName, cancellationToken).ConfigureAwait(false);
        if (tip is not null && await repo.MergeBaseAsync(session.BaseCommit, tip, cancellationToken).ConfigureAwait(false) is { } fork)
        {
            size = await WorkSize.MeasureAsync(repo, fork, tip, cancellationToken).ConfigureAwait(false);
        }
        var tokens = iterations.Aggregate(Agents.TokenUsage.Zero, (sum, i) => sum + i.Tokens);
        return new AttemptSummary
        {
            SessionId = session.Id,
            Name = session.Name,
            Agent = session.Agent,
            Mode = session.AgentMode,
            Status = session.Status,
            Iterations = iterations.Count,
            TestsPassed = scriptRun is null ? null : scriptRun.Passed,
            FilesChanged = size.Files,
            ChangedLines = size.ChangedLines,
            Tokens = tokens.Total,
            CostUsd = Budgets.SessionPricing.For(context, session, prices).Cost(iterations),
            Duration = iterations.Aggregate(TimeSpan.Zero, (sum, i) => sum + (i.Duration ?? TimeSpan.Zero)),
            Succeeded = last?.Status == IterationStatus.Succeeded,
        };
    }

    /// <summary>
    /// The usable attempt (its last turn succeeded and it changed something) that is best by: tests
    /// passed, then no regression, then the smallest diff, then fewest tokens, lowest cost, shortest time.
    /// </summary>
    internal static (string? Id, string Reason) Propose(IReadOnlyList<AttemptSummary> attempts)
    {
        var usable = attempts.Where(a => a.Succeeded && a.ChangedLines > 0 && a.Status is not (SessionStatus.Archived or SessionStatus.Blocked)).ToList();
        if (usable.Count == 0)
        {
            return (null, "no attempt is usable: none finished its turn with a change (see each attempt's status)");
        }
        var best = usable
            .OrderBy(a => a.TestsPassed switch { true => 0, null => 1, false => 2 })
            .ThenBy(a => a.Regression)
            .ThenBy(a => a.ChangedLines)
            .ThenBy(a => a.Tokens)
            .ThenBy(a => a.CostUsd ?? decimal.MaxValue)
            .ThenBy(a => a.Duration)
            .First();
        var tests = best.TestsPassed switch { true => "its tests pass", null => "no attempt's tests ran", false => "no attempt passes its tests" };
        var rivals = usable.Where(a => a != best && a.TestsPassed == best.TestsPassed).ToList();
        if (rivals.Count == 0)
        {
            return (best.SessionId, $"{best.SessionId}: {tests}{(usable.Count > 1 ? " and no other attempt's do" : "")}");
        }
        var deciding = DecidingMeasures(best, rivals);
        var why = deciding.Count == 0
            ? $"{best.SessionId}: {tests}, equal to {string.Join(", ", rivals.Select(r => r.SessionId))} on every measure (the first is proposed)"
            : $"{best.SessionId}: {tests} with {string.Join(", then ", deciding)}";
        return (best.SessionId, why);
    }

    /// <summary>
    /// The measures, in the order <see cref="Propose"/> ranks by, that set the proposed attempt apart from
    /// at least one rival still tied with it on every measure before: the reason names what decided,
    /// not the whole ranking (a tie on change size decided by time must not read "the fewest tokens").
    /// </summary>
    private static List<string> DecidingMeasures(AttemptSummary best, List<AttemptSummary> rivals)
    {
        var measures = new (Func<AttemptSummary, IComparable> Key, string Phrase)[]
        {
            (a => a.Regression, "no regression"),
            (a => a.ChangedLines, $"the smallest change ({Count(best.ChangedLines, "line")} in {Count(best.FilesChanged, "file")})"),
            (a => a.Tokens, $"the fewest tokens ({DisplayFormat.Count(best.Tokens)})"),
            (a => a.CostUsd ?? decimal.MaxValue, $"the lowest cost ({(best.CostUsd is { } cost ? cost.ToString("$0.00##", CultureInfo.InvariantCulture) : "none")})"),
            (a => a.Duration, $"the shortest time ({DisplayFormat.Duration(best.Duration)})"),
        };
        var tied = rivals;
        var deciding = new List<string>();
        foreach (var (key, phrase) in measures)
        {
            var bestValue = key(best);
            var stillTied = tied.Where(r => key(r).CompareTo(bestValue) == 0).ToList();
            if (stillTied.Count < tied.Count)
            {
                deciding.Add(phrase);
            }
            tied = stillTied;
            if (tied.Count == 0)
            {
                break;
            }
        }
        return deciding;
    }

    private static string Count(int count, string noun) => $"{count} {noun}{(count == 1 ? "" : "s")}";

    /// <summary>The test script on the group's base commit, in a temporary detached worktree that is removed afterwards.</summary>
    private async Task<bool?> RunOnBaseAsync(Session session, string script, CancellationToken cancellationToken)
    {
        var repo = new GitClient(session.RepoRoot, context.Options.GitExecutable);
        var path = Path.Combine(session.RepoRoot, SessionManager.WorktreesFolder, "baseline-" + session.AttemptGroup);
        var add = await repo.RunAsync(["worktree", "add", "--detach", "--quiet", path, session.BaseCommit], allowFailure: true, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (add.ExitCode != 0)
        {
            return null;
        }
        try
        {
            var run = await ProcessRunner.RunAsync(PlatformShell.Command(script) with { WorkingDirectory = path, Timeout = session.Timeout ?? Scripts.ScriptRunner.DefaultTimeout },
                (Func<OutputLine, LineDecision>?)null, cancellationToken).ConfigureAwait(false);
            return run.TimedOut || run.Cancelled ? null : run.ExitCode == 0;
        }
        finally
        {
            await repo.RunAsync(["worktree", "remove", "--force", path], allowFailure: true, cancellationToken: CancellationToken.None).ConfigureAwait(false);
        }
    }

    private string NewGroupId()
    {
        var generate = context.Options.SessionIdGenerator ?? SessionNaming.NewId;
        for (var i = 0; i < 10; i++)
        {
            var id = "g" + generate()[1..];
            if (context.Sessions.ListByAttemptGroup(id).Count == 0)
            {
                return id;
            }
        }
        throw new AmpSessionsException("AmpAttemptGroupIdExhausted", ErrorKind.InvalidOperation, "Could not find a free attempt group id after 10 tries: try again.");
    }
}
