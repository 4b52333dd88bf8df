using AmpSessions.Core.Agents;
using AmpSessions.Core.Batches;
using AmpSessions.Core.Processes;

namespace AmpSessions.Testing.Batches;

/// <summary>
/// A real, process-based item runner for tests only: it runs the item's agent command (the fake
/// agent in tests) in the item's repository folder with the prompt on stdin, reads its stream-json
/// output for the result, tokens and tool calls, then runs the script or grading command through
/// the shell. No session or worktree: that is the product's session-based runner. Cancellation
/// kills the process tree (ProcessRunner does) and surfaces as OperationCanceledException.
/// </summary>
public sealed class ProcessBatchItemRunner : IBatchItemRunner
{
    private int inFlight;
    private int maxInFlight;
    private int calls;

    /// <summary>The most attempts that were running at the same moment.</summary>
    public int MaxConcurrency => Volatile.Read(ref maxInFlight);

    /// <summary>How many attempts were started.</summary>
    public int Calls => Volatile.Read(ref calls);

    public async Task<BatchItemOutcome> RunAsync(BatchItem item, BatchItemContext context, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref calls);
        var now = Interlocked.Increment(ref inFlight);
        for (var seen = Volatile.Read(ref maxInFlight); now > seen; seen = Volatile.Read(ref maxInFlight))
        {
            if (Interlocked.CompareExchange(ref maxInFlight, now, seen) == seen)
            {
                break;
            }
        }
        try
        {
            return await RunAgentAndGradeAsync(item, context, cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref inFlight);
        }
    }

    private static async Task<BatchItemOutcome> RunAgentAndGradeAsync(BatchItem item, BatchItemContext context, CancellationToken cancellationToken)
    {
        var arguments = context.Runtime.Command.Skip(1).Concat(["-x", "--stream-json"]).ToList();
        if (context.Agent.AgentMode is { } mode)
        {
            arguments.AddRange(["-m", mode]);
        }
        var environment = context.Runtime.Environment.ToDictionary(e => e.Key, e => (string?)e.Value);
        using var log = new StreamWriter(context.LogPath);
        var tokens = TokenUsage.Zero;
        var tools = new Dictionary<string, int>(StringComparer.Ordinal);
        bool? isError = null;
        string? error = null;
        var agent = await ProcessRunner.RunAsync(new ProcessSpec(context.Runtime.Command[0], arguments)
        {
            WorkingDirectory = item.RepositoryPath,
            Environment = environment,
            StandardInput = item.Prompt,
            CaptureOutput = false,
        }, line =>
        {
            log.WriteLine(line.Stream == OutputStream.StandardOutput ? line.Text : "stderr: " + line.Text);
            if (line.Stream != OutputStream.StandardOutput)
            {
                return;
            }
            // The product's own parser: the same tolerance for unknown and malformed lines.
            foreach (var agentEvent in StreamJsonParser.ParseLine(line.Text))
            {
                switch (agentEvent)
                {
                    case AgentUsageEvent usage:
                        tokens = tokens.Add(usage.Usage);
                        break;
                    case AgentToolUseEvent tool:
                        tools[tool.Name] = tools.GetValueOrDefault(tool.Name) + 1;
                        break;
                    case AgentResultEvent result:
                        isError = result.IsError;
                        error = result.Error;
                        break;
                }
            }
        }, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();

        var outcome = new BatchItemOutcome { Status = BatchItemStatus.Error, Iterations = 1, Tokens = tokens, ToolCalls = tools };
        if (isError is null || agent.ExitCode != 0)
        {
            return outcome with { Error = $"the agent exited {agent.ExitCode} without a result" };
        }
        if (isError.Value)
        {
            return outcome with { Error = error ?? "the agent reported an error" };
        }
        if (item.ScriptCommand is null)
        {
            return outcome with { Status = BatchItemStatus.Passed };
        }
        var grade = await ProcessRunner.RunAsync(new ProcessSpec("/bin/sh", ["-c", item.ScriptCommand]) { WorkingDirectory = item.RepositoryPath },
            (Action<OutputLine>)(line => log.WriteLine("grade: " + line.Text)), cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        return outcome with { Status = grade.ExitCode == 0 ? BatchItemStatus.Passed : BatchItemStatus.Failed, GradingExitCode = grade.ExitCode };
    }
}
