using System.Globalization;
using AmpSessions.Core.Agents;
using AmpSessions.Core.Jobs;

namespace AmpSessions.Core.Iterations;

public sealed partial class IterationRunner
{
    /// <summary>
    /// Runs an iteration and reports it through a run's event writer, for front ends that show a run
    /// as streams (PowerShell's progress, verbose, information and warning records, on the pipeline
    /// or in a job): progress for the phase and the tokens so far, verbose lines for what the agent
    /// says and does and for the test output, information for the commit and the test verdict, and
    /// a warning when the turn or the tests did not succeed. The progress activity is completed
    /// however the run ends.
    /// </summary>
    public async Task<IterationRecord> RunWithEventsAsync(IterateRequest request, RunEventWriter events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(events);
        var reporter = new IterationEventReporter(events, request.Session);
        events.Progress(reporter.Activity, "Preparing the iteration");
        try
        {
            var iteration = await RunAsync(request, reporter.Report, cancellationToken).ConfigureAwait(false);
            reporter.Finished(iteration);
            return iteration;
        }
        finally
        {
            events.CompleteProgress(reporter.Activity);
        }
    }

    /// <summary>One iteration's events as run events. The agent's stdout and stderr are read on two threads, so reports are serialized.</summary>
    private sealed class IterationEventReporter(RunEventWriter events, string sessionReference)
    {
        private const int CurrentOperationLength = 120;
        private readonly object sync = new();
        private int number;
        private string agent = "the agent";
        private TokenUsage tokens;
        private int skippedLines;

        public string Activity { get; } = $"Iteration of session {sessionReference}";

        public void Report(IterationEvent e)
        {
            lock (sync)
            {
                switch (e)
                {
                    case IterationStartedEvent started:
                        (number, agent) = (started.Number, started.Agent);
                        events.Progress(Activity, Working());
                        events.Verbose($"Iteration {started.Number} of session {started.SessionId} started with {started.Agent}.");
                        break;
                    case IterationAgentEvent { Event: var agentEvent }:
                        ReportAgent(agentEvent);
                        break;
                    case IterationCommittedEvent committed:
                        events.Information($"Committed {Short(committed.Commit)} {committed.Subject} ({Count(committed.FileCount, "file")}).");
                        break;
                    case IterationScriptStartedEvent script:
                        events.Progress(Activity, $"Iteration {number}: running the test script", currentOperation: script.Command);
                        events.Verbose($"Test script: {script.Command}");
                        break;
                    case IterationScriptOutputEvent output:
                        events.Verbose("| " + output.Line.Text);
                        break;
                }
            }
        }

        private void ReportAgent(AgentEvent agentEvent)
        {
            switch (agentEvent)
            {
                case AgentInitEvent init:
                    events.Verbose($"Agent thread {init.ThreadId ?? "(new)"}, mode {init.AgentMode ?? "default"}, {Count(init.Tools.Count, "tool")}.");
                    break;
                case AgentTextEvent text:
                    events.Verbose("Agent: " + OneLine(text.Text));
                    events.Progress(Activity, Working(), currentOperation: Truncate(OneLine(text.Text)));
                    break;
                case AgentToolUseEvent tool:
                    events.Verbose("Tool: " + tool.Name);
                    events.Progress(Activity, Working(), currentOperation: "tool " + tool.Name);
                    break;
                case AgentToolResultEvent { IsError: true } failed:
                    events.Verbose("Tool error: " + Truncate(OneLine(failed.Content)));
                    break;
                case AgentUsageEvent usage:
                    tokens += usage.Usage;
                    events.Progress(Activity, Working());
                    break;
                case AgentResultEvent result:
                    events.Verbose(result.IsError ? $"Agent finished with an error: {result.Error ?? result.Subtype}" : "Agent finished.");
                    break;
                case AgentProtocolWarningEvent warning:
                    // One warning says what kind of noise it is; an agent may write thousands of such lines,
                    // so the rest are verbose and Finished counts them.
                    if (++skippedLines == 1)
                    {
                        events.Warning($"The agent wrote a line that is not stream-json ({warning.Reason}); it was skipped.");
                    }
                    else
                    {
                        events.Verbose("Not stream-json, skipped: " + Truncate(OneLine(warning.Line)));
                    }
                    break;
                case AgentStderrEvent stderr:
                    events.Verbose("Agent stderr: " + stderr.Line);
                    break;
            }
        }

        public void Finished(IterationRecord iteration)
        {
            if (skippedLines > 1)
            {
                events.Warning($"The agent wrote {skippedLines.ToString("N0", CultureInfo.InvariantCulture)} lines that are not stream-json in all (warned about the first only; -Verbose shows them); "
                    + (iteration.TranscriptPath is { } transcript ? $"the transcript {transcript} has every line." : "they were skipped."));
            }
            if (iteration.Status != IterationStatus.Succeeded)
            {
                events.Warning($"Iteration {iteration.Number} of session {iteration.SessionId} ended {iteration.Status}{(iteration.Error is null ? "" : ": " + iteration.Error.TrimEnd().TrimEnd('.'))}.");
            }
            if (iteration.ScriptPassed is { } passed)
            {
                var verdict = $"The test script {(passed ? "passed" : "failed")} after iteration {iteration.Number} of session {iteration.SessionId}.";
                if (passed)
                {
                    events.Information(verdict);
                }
                else
                {
                    events.Warning(verdict);
                }
            }
        }

        private string Working() => tokens.Total == 0
            ? $"Iteration {number}: {agent} is working"
            : $"Iteration {number}: {agent} is working ({tokens.Total.ToString("N0", CultureInfo.InvariantCulture)} tokens)";

        private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();

        private static string Truncate(string text) => text.Length <= CurrentOperationLength ? text : text[..(CurrentOperationLength - 1)] + "…";

        private static string Count(int count, string noun) => $"{count} {noun}{(count == 1 ? "" : "s")}";

        private static string Short(string sha) => sha.Length > 7 ? sha[..7] : sha;
    }
}
