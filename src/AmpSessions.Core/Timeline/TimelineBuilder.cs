using System.Globalization;
using AmpSessions.Core.Iterations;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Core.Timeline;

/// <summary>
/// A session's history: every commit on its branch since it left the base (subject, hash, files,
/// and the iteration it came from with its tokens, duration and test result), plus iterations that
/// made no commit.
/// </summary>
public sealed class TimelineBuilder
{
    private readonly AmpContext context;

    public TimelineBuilder(AmpContext context) => this.context = context;

    public async Task<IReadOnlyList<TimelineEntry>> BuildAsync(string sessionReference, CancellationToken cancellationToken = default)
    {
        var manager = new SessionManager(context);
        var session = manager.Resolve(sessionReference);
        var iterations = new Evaluation.TestBaselines(context).Iterations(session.Id);
        // Sorted by when each thing started: git keeps commit times to the second only, so a commit an
        // iteration made sorts by that iteration's start, never before an earlier iteration of the same second.
        var entries = new List<(DateTimeOffset SortTime, TimelineEntry Entry)>();
        var git = new Git.GitClient(session.RepoRoot, context.Options.GitExecutable);
        var branchTip = Directory.Exists(session.RepoRoot)
            ? await git.ResolveCommitAsync("refs/heads/" + session.BranchName, cancellationToken).ConfigureAwait(false)
            : null;
        var used = new HashSet<long>();
        if (branchTip is not null)
        {
            var baseTip = await git.ResolveCommitAsync("refs/heads/" + session.BaseBranch, cancellationToken).ConfigureAwait(false);
            var from = baseTip is not null ? await git.MergeBaseAsync(baseTip, branchTip, cancellationToken).ConfigureAwait(false) ?? session.BaseCommit : session.BaseCommit;
            var log = await git.ReadAsync(["log", "--reverse", "--format=%H%x00%aI%x00%an%x00%s%x00%(trailers:key=Amp-Iteration,valueonly,separator=%x2C)%x1e", $"{from}..{branchTip}"],
                cancellationToken).ConfigureAwait(false);
            foreach (var record in log.Split('\x1e', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var fields = record.Split('\0');
                var sha = fields[0];
                var iteration = iterations.FirstOrDefault(i => i.CommitSha == sha)
                    ?? (int.TryParse(fields.ElementAtOrDefault(4)?.Split(',')[0].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var number)
                        ? iterations.FirstOrDefault(i => i.Number == number && !used.Contains(i.Id))
                        : null);
                if (iteration is not null)
                {
                    used.Add(iteration.Id);
                }
                var files = await git.ReadAsync(["diff-tree", "--no-commit-id", "--name-only", "-r", "-z", sha], cancellationToken).ConfigureAwait(false);
                var time = DateTimeOffset.Parse(fields[1], CultureInfo.InvariantCulture);
                entries.Add((iteration?.StartedAt ?? time, new TimelineEntry
                {
                    Kind = TimelineEntryKind.Commit,
                    Time = time,
                    Commit = sha,
                    Author = fields[2],
                    Subject = fields[3],
                    Files = files.Split('\0', StringSplitOptions.RemoveEmptyEntries),
                    IterationNumber = iteration?.Number,
                    IterationStatus = iteration?.Status,
                    Tokens = iteration?.Tokens ?? default,
                    Duration = iteration?.Duration,
                    TestResult = TestOf(iteration),
                    TestChanges = iteration?.TestChanges,
                    GuardDecisions = iteration?.GuardDecisions ?? [],
                    MainCheckoutTouched = iteration?.MainCheckoutTouched,
                }));
            }
        }
        foreach (var iteration in iterations.Where(i => !used.Contains(i.Id)))
        {
            entries.Add((iteration.StartedAt, new TimelineEntry
            {
                Kind = TimelineEntryKind.Iteration,
                Time = iteration.StartedAt,
                Subject = iteration.Summary is { } summary ? $"iteration {iteration.Number}: {summary} (no commit)" : $"iteration {iteration.Number}: {iteration.Status}{(iteration.Error is null ? "" : " - " + iteration.Error)}",
                Files = iteration.ChangedFiles,
                IterationNumber = iteration.Number,
                IterationStatus = iteration.Status,
                Tokens = iteration.Tokens,
                Duration = iteration.Duration,
                TestResult = TestOf(iteration),
                TestChanges = iteration.TestChanges,
                GuardDecisions = iteration.GuardDecisions,
                MainCheckoutTouched = iteration.MainCheckoutTouched,
            }));
        }
        return entries.OrderBy(e => e.SortTime).ThenBy(e => e.Entry.IterationNumber ?? int.MaxValue).Select(e => e.Entry).ToArray();
    }

    private static TestResult TestOf(IterationRecord? iteration) => iteration?.ScriptPassed switch
    {
        true => TestResult.Passed,
        false => TestResult.Failed,
        null => TestResult.NotRun,
    };
}
