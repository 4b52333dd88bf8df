using System.Text;
using AmpSessions.Core.Agents;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Iterations;
using AmpSessions.Core.Processes;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Core.Batches;

/// <summary>
/// The product's item runner: each attempt is a real session (its own branch and worktree) on the
/// item's repository, driven by the same iteration engine as `iterate`: the agent's turn, the amp:
/// commit, then the item's script or grading command, up to the batch's iteration limit while the
/// grade fails. Afterwards the worktree is removed and the branch kept, so the work can be inspected.
/// </summary>
public sealed class SessionBatchItemRunner : IBatchItemRunner
{
    private readonly AmpContext context;

    public SessionBatchItemRunner(AmpContext context) => this.context = context;

    public async Task<BatchItemOutcome> RunAsync(BatchItem item, BatchItemContext itemContext, CancellationToken cancellationToken)
    {
        // One open repository per repository for all of the item's in-process reads (creation, turns, diff, cleanup),
        // where each of ~30 reads opened it afresh. Per item rather than per batch: each item's worktree is a repository
        // of its own, and a batch-wide cache would keep one for every worktree the batch ever made; the main checkouts'
        // handles go back to the batch's keeper (BatchRunner) and serve the next items.
        using var handles = Git.RepositoryHandles.Share();
        var sessions = new SessionManager(context);
        using var log = new StreamWriter(Storage.PrivateFiles.Create(itemContext.LogPath), new UTF8Encoding(false)) { AutoFlush = true };
        log.WriteLine($"# {item.Label}, attempt {itemContext.Attempt}");

        Session session;
        try
        {
            session = await sessions.CreateAsync(await RequestAsync(item, itemContext, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        }
        catch (AmpSessionsException ex)
        {
            log.WriteLine($"session could not be created: {ex.Message}");
            return new BatchItemOutcome { Status = BatchItemStatus.Error, Error = ex.Message };
        }
        log.WriteLine($"session {session.Id} on {session.BranchName} in {session.WorktreePath}");

        // The batch file's entry for this agent first; the session's configuration where it has none.
        var prices = itemContext.Definition.Prices.Only(itemContext.Agent.Id, itemContext.Agent.ModelOverride);
        var tokens = TokenUsage.Zero;
        var tools = new Dictionary<string, int>(StringComparer.Ordinal);
        IterationRecord? last = null;
        var iterations = 0;
        try
        {
            var runner = new IterationRunner(context);
            for (var round = 1; round <= Math.Max(1, itemContext.MaxIterations); round++)
            {
                last = await runner.RunAsync(new IterateRequest
                {
                    Session = session.Id,
                    Notes = round == 1 ? null : "The check failed after the last turn; fix the work so it passes.",
                    Timeout = itemContext.Timeout,
                    Prices = prices,
                    BudgetPool = itemContext.BudgetPool,
                }, cancellationToken: cancellationToken).ConfigureAwait(false);
                iterations++;
                tokens += last.Tokens;
                foreach (var (tool, count) in last.ToolCalls)
                {
                    tools[tool] = tools.GetValueOrDefault(tool) + count;
                }
                AppendTranscript(log, last);
                if (last.Status != IterationStatus.Succeeded || last.ScriptPassed != false)
                {
                    break;
                }
            }
            cancellationToken.ThrowIfCancellationRequested();
            var filesChanged = (await sessions.DiffAsync(session.Id, DiffScope.All, nameOnly: true, CancellationToken.None).ConfigureAwait(false)).Files.Count;
            var script = last?.ScriptRunId is { } runId ? context.Iterations.ListScriptRuns(session.Id).FirstOrDefault(r => r.Id == runId) : null;
            return new BatchItemOutcome
            {
                Status = last?.Status == IterationStatus.BudgetExceeded ? BatchItemStatus.BudgetExceeded
                    : last is null || last.Status != IterationStatus.Succeeded ? BatchItemStatus.Error
                    : last.ScriptPassed == false ? BatchItemStatus.Failed
                    : BatchItemStatus.Passed,
                Error = last?.Status == IterationStatus.Succeeded ? (last.ScriptPassed == false ? $"`{item.ScriptCommand}` failed" : null) : last?.Error,
                SessionId = session.Id,
                Iterations = iterations,
                Tokens = tokens,
                Model = itemContext.Agent.ModelOverride,
                Price = Budgets.SessionPricing.For(context, session).Price,
                ToolCalls = tools,
                FilesChanged = filesChanged,
                GradingExitCode = script?.ExitCode,
            };
        }
        catch (AmpSessionsException ex) when (!cancellationToken.IsCancellationRequested)
        {
            log.WriteLine($"error: {ex.Message}");
            return new BatchItemOutcome { Status = BatchItemStatus.Error, Error = ex.Message, SessionId = session.Id, Iterations = iterations, Tokens = tokens, ToolCalls = tools,
                Price = Budgets.SessionPricing.For(context, session).Price };
        }
        finally
        {
            // Even when stopped: the worktree goes, the branch (and a snapshot of anything uncommitted) stays.
            try
            {
                await sessions.CleanupAsync(session.Id, force: true, purge: false, keepBranch: true, CancellationToken.None).ConfigureAwait(false);
            }
            catch (AmpSessionsException ex)
            {
                log.WriteLine($"cleanup failed: {ex.Message} (repair the repository's sessions)");
            }
        }
    }

    private async Task<NewSessionRequest> RequestAsync(BatchItem item, BatchItemContext itemContext, CancellationToken cancellationToken)
    {
        var repo = new Git.GitClient(item.RepositoryPath, context.Options.GitExecutable);
        string? baseBranch = null, startPoint = null;
        if (item.Base is { Length: > 0 } wanted)
        {
            if (await repo.BranchExistsAsync(wanted, cancellationToken).ConfigureAwait(false))
            {
                baseBranch = wanted;
            }
            else
            {
                startPoint = wanted;
            }
        }
        var environment = new Dictionary<string, string>(itemContext.Runtime.Environment);
        if (itemContext.Runtime.ServerUrl is { Length: > 0 } server)
        {
            environment["AMP_URL"] = server;
        }
        // The batch file's environment is inline: its values travel with the session, its name only when the configuration knows it.
        var named = itemContext.Definition.Environment(itemContext.Agent.Environment);
        if (named?.SettingsFile is { } settings)
        {
            environment["AMP_SETTINGS_FILE"] = settings;
        }
        return new NewSessionRequest
        {
            RepoPath = item.RepositoryPath,
            BaseBranch = baseBranch,
            StartPoint = startPoint,
            Name = $"{item.AgentId} {item.TaskId} {item.CaseId ?? item.Repository} {item.Id}",
            Prompt = item.Prompt,
            ScriptCommand = item.ScriptCommand,
            ModelOverride = itemContext.Agent.ModelOverride,
            AgentMode = itemContext.Agent.AgentMode,
            ToolboxPaths = itemContext.Agent.ToolboxPaths,
            Skills = itemContext.Agent.Skills,
            McpServers = itemContext.Agent.McpServers,
            AllowedTools = itemContext.Agent.AllowedTools,
            Preset = itemContext.Agent.Preset ?? named?.Preset,
            Environment = named is null ? itemContext.Agent.Environment : null,
            Agent = AgentSpecFor(itemContext.Runtime),
            AgentEnvironment = environment,
            Timeout = itemContext.Timeout,
            BatchId = itemContext.BatchId,
            // A batch of hundreds of items must not raise hundreds of desktop notifications.
            NotificationsEnabled = false,
        };
    }

    /// <summary>
    /// The session's agent: the spec text the batch agent gave, else amp or claude as themselves, else
    /// the dialect with the program quoted (a local build's .js runs under node).
    /// </summary>
    internal static string AgentSpecFor(AgentRuntime runtime) => runtime.Spec ?? runtime.Resolved switch
    {
        { Dialect: AgentDialect.Amp, Command: ["amp"] } => "amp",
        { Dialect: AgentDialect.Claude, Command: ["claude"] } => "claude",
        var spec => AgentSpec.Format(spec.Dialect, spec.Command),
    };

    private static void AppendTranscript(StreamWriter log, IterationRecord iteration)
    {
        log.WriteLine($"## iteration {iteration.Number}: {iteration.Status}{(iteration.Error is null ? "" : " - " + iteration.Error)}" +
            $"{(iteration.CommitSha is null ? "" : $", commit {iteration.CommitSha[..7]}")}{(iteration.ScriptPassed is { } passed ? $", check {(passed ? "passed" : "failed")}" : "")}");
        if (iteration.TranscriptPath is { } path && File.Exists(path))
        {
            // Already redacted when it was written.
            foreach (var line in File.ReadLines(path))
            {
                log.WriteLine(line);
            }
        }
    }
}
