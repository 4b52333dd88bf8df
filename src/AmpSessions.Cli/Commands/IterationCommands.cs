using System.Globalization;
using AmpSessions.Core.Display;
using AmpSessions.Core.Errors;
using System.CommandLine;
using AmpSessions.Core.Agents;
using AmpSessions.Core.Iterations;
using AmpSessions.Core.Scripts;
using AmpSessions.Core.Sessions;
using AmpSessions.Core.Timeline;
using static AmpSessions.Cli.Commands.CommandContext;

namespace AmpSessions.Cli.Commands;

/// <summary>Moving a session forward: iterate, run (the test script), iterations, timeline.</summary>
internal static class IterationCommands
{
    public static void AddTo(RootCommand root)
    {
        AddIterate(root);
        AddRun(root);
        AddIterations(root);
        AddTimeline(root);
        AddWatch(root);
    }

    private static void AddWatch(RootCommand root)
    {
        var session = SessionArgument();
        var untilSettled = new Option<bool>("--until-idle") { Description = "Stop when the session is no longer running (default: until Ctrl+C)." };
        root.Add("watch", "Follow a session live, whichever process drives it: status, iterations and what the agent does.", async (p, output, ct) =>
        {
            await foreach (var e in new Core.Sessions.SessionWatcher(OpenContext(p)).WatchAsync(p.GetValue(session)!, p.GetValue(untilSettled), cancellationToken: ct))
            {
                if (output.IsJson)
                {
                    // One object per line, so a program can read the stream as it comes.
                    Console.Out.WriteLine(Core.Serialization.JsonOutput.Serialize(e, Output.CompactJsonOptions));
                    continue;
                }
                var time = e.Time.ToLocalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture);
                var line = e switch
                {
                    Core.Sessions.SessionStatusChangedEvent s => $"{time} status {s.Status}{(s.Message is null ? "" : ": " + s.Message)}",
                    Core.Sessions.IterationChangedEvent i => $"{time} iteration {i.Iteration.Number} {i.Iteration.Status}{(i.Iteration.CommitSha is null ? "" : " commit " + Short(i.Iteration.CommitSha))}",
                    Core.Sessions.AgentActivityEvent { Event: AgentTextEvent t } a => $"{time}   [{a.IterationNumber}] agent: {t.Text.ReplaceLineEndings(" ")}",
                    Core.Sessions.AgentActivityEvent { Event: AgentToolUseEvent u } a => $"{time}   [{a.IterationNumber}] tool: {u.Name}",
                    Core.Sessions.AgentActivityEvent { Event: AgentResultEvent r } a => $"{time}   [{a.IterationNumber}] result: {(r.IsError ? "error " + r.Error : "success")}",
                    _ => null,
                };
                if (line is not null)
                {
                    output.Line(line);
                }
            }
            return CliApplication.Success;
        }, session, untilSettled);
    }

    private static void AddIterate(RootCommand root)
    {
        var session = SessionArgument();
        var notes = new Option<string?>("--notes") { Description = "Notes for this turn, added to the session context." };
        var prompt = new Option<string?>("--prompt") { Description = "A follow-up request instead of the session's prompt." };
        var noCommit = new Option<bool>("--no-commit") { Description = "Leave the agent's changes uncommitted." };
        var noScript = new Option<bool>("--no-script") { Description = "Do not run the session's test script after the turn." };
        var timeout = TimeoutOption("The time limit of this turn (default: the session's, else 30 minutes).");
        var environment = SessionCommands.EnvironmentOption("The environment for this turn instead of the session's.");
        var preset = SessionCommands.PresetOption("The permission preset for this turn instead of the session's.");
        var mode = new Option<string?>("--mode") { Description = "The agent mode for this turn instead of the session's.", HelpName = "mode" };
        root.Add("iterate", "Run one agent turn in the session's worktree, commit what changed as `amp: <summary>`, then run the test script.", async (p, output, ct) =>
        {
            var live = new LiveView(output);
            var context = OpenContext(p);
            var iteration = await new IterationRunner(context).RunAsync(new IterateRequest
            {
                Session = p.GetValue(session)!,
                Notes = p.GetValue(notes),
                Prompt = p.GetValue(prompt),
                NoCommit = p.GetValue(noCommit),
                SkipScript = p.GetValue(noScript),
                Timeout = p.GetValue(timeout),
                Overrides = new Core.Configuration.RunOverrides { Environment = p.GetValue(environment), Preset = p.GetValue(preset), Mode = p.GetValue(mode) },
            }, live.Show, ct);
            live.Finish(iteration);
            output.Result(iteration, i => RenderIteration(i, output));
            // The turn may have gone well, but the session now waits for a person.
            if (iteration.MainCheckoutTouched is not null)
            {
                return CliApplication.Failed;
            }
            var verdict = Verdicts.Of(iteration);
            CiRun.Annotate(iteration, verdict, output);
            if (verdict == Verdict.Failed)
            {
                // The same error the module writes, in the CLI's words: what went wrong and what to do.
                output.Note($"amp-sessions: {new IterationFailedException(iteration).Render(RemedyStyle.CommandLine)}");
            }
            return CliApplication.ExitCode(verdict);
        }, session, notes, prompt, noCommit, noScript, timeout, environment, preset, mode);
    }

    private static void AddRun(RootCommand root)
    {
        var session = SessionArgument();
        var timeout = TimeoutOption("The time limit of the script (default: the session's, else 30 minutes).");
        root.Add("run", "Run the session's test script in its worktree, streaming its output; exit 0 passes.", async (p, output, ct) =>
        {
            var run = await new ScriptRunner(OpenContext(p)).RunAsync(p.GetValue(session)!,
                line => (output.IsJson ? Console.Error : Console.Out).WriteLine(Core.Serialization.DisplayText.OneLine(line.Text)), p.GetValue(timeout), ct);
            output.Result(run, r => output.Line($"Script `{r.Command}` {r.Status.ToString().ToLowerInvariant()}{(r.ExitCode is { } code ? $" (exit {code})" : "")} in {Seconds(r.Duration)}; log: {r.OutputPath}"));
            var verdict = Verdicts.Of(run);
            if (verdict == Verdict.Failed)
            {
                output.Note($"amp-sessions: {new ScriptRunFailedException(run).Render(RemedyStyle.CommandLine)}");
            }
            return CliApplication.ExitCode(verdict);
        }, session, timeout);
    }

    private static void AddIterations(RootCommand root)
    {
        var session = SessionArgument();
        root.Add("iterations", "List a session's iterations with status, tokens, tools and test results.", (p, output, ct) =>
        {
            var manager = Sessions(p);
            var id = manager.Resolve(p.GetValue(session)!).Id;
            var iterations = new Core.Evaluation.TestBaselines(manager.Context).Iterations(id);
            output.Result(iterations, list =>
            {
                if (list.Count == 0)
                {
                    output.Line("No iterations yet.");
                    return;
                }
                output.Table(["#", "STATUS", "COMMIT", "TOKENS", "TOOLS", "TEST", "DURATION", "SUMMARY"],
                    list.Select(i => (IReadOnlyList<string>)[i.Number.ToString(CultureInfo.InvariantCulture), i.Status.ToString(), Short(i.CommitSha), DisplayFormat.Tokens(i.Tokens),
                        DisplayFormat.ToolCalls(i.ToolCalls), Test(i.ScriptPassed) + Regressions(i.TestChanges), Seconds(i.Duration), DisplayFormat.OneLine(i.Summary ?? i.Error)]));
                AgainstBaseline(list.Select(i => i.TestChanges), output);
            });
            return Task.FromResult(CliApplication.Success);
        }, session);
    }

    private static void AddTimeline(RootCommand root)
    {
        var session = SessionArgument();
        root.AddShortRead("timeline", "Show a session's history: each commit with its iteration, tokens, duration and test result.", async (p, output, ct) =>
        {
            var entries = await new TimelineBuilder(OpenContext(p)).BuildAsync(p.GetValue(session)!, ct);
            output.Result(entries, list =>
            {
                if (list.Count == 0)
                {
                    output.Line("Nothing yet: no commits or iterations.");
                    return;
                }
                output.Table(["TIME", "COMMIT", "ITER", "TOKENS", "TEST", "DURATION", "GUARD", "SUBJECT", "FILES"],
                    list.Select(e => (IReadOnlyList<string>)[DisplayFormat.Time(e.Time), e.ShortHash ?? "-",
                        e.IterationNumber?.ToString(CultureInfo.InvariantCulture) ?? "-", e.IterationNumber is null ? "-" : DisplayFormat.Tokens(e.Tokens),
                        (e.TestResult switch { TestResult.Passed => "pass", TestResult.Failed => "FAIL", _ => "-" }) + Regressions(e.TestChanges), Seconds(e.Duration), Containment(e), e.Subject,
                        string.Join(" ", e.Files)]));
                AgainstBaseline(list.Select(e => e.TestChanges), output);
            });
            return CliApplication.Success;
        }, session);
    }

    /// <summary>A test cell's mark when the run broke tests that passed on the base commit (the session's test baseline).</summary>
    private static string Regressions(Core.Evaluation.BaselineComparison? changes) =>
        changes is { HasRegressions: true } c ? $", {c.NewlyFailing} REGRESSION{(c.NewlyFailing == 1 ? "" : "S")}" : "";

    /// <summary>Under a table of iterations or timeline entries: each test run against the baseline, regressions first.</summary>
    private static void AgainstBaseline(IEnumerable<Core.Evaluation.BaselineComparison?> runs, Output output)
    {
        var classified = runs.OfType<Core.Evaluation.BaselineComparison>().DistinctBy(c => c.IterationNumber).ToList();
        if (classified.Count == 0)
        {
            return;
        }
        output.Line();
        output.Line("Against the test baseline (the base commit's outcomes):");
        foreach (var c in classified)
        {
            output.Line($"  #{c.IterationNumber.ToString(CultureInfo.InvariantCulture)}: {c.Summary}");
        }
    }

    /// <summary>The timeline's GUARD column: decisions and denials, and a main-checkout change.</summary>
    private static string Containment(TimelineEntry e) =>
        (e.GuardDecisions.Count == 0 ? "-" : e.GuardDenials == 0 ? $"{e.GuardDecisions.Count} ok" : $"{e.GuardDenials} denied")
        + (e.MainCheckoutTouched is null ? "" : ", main touched");

    internal static void RenderIteration(IterationRecord i, Output output)
    {
        output.Line($"Iteration {i.Number} of session {i.SessionId}: {i.Status}{(i.Error is null ? "" : " - " + i.Error)}");
        if (i.Environment is not null)
        {
            output.Line($"  runs in: {i.Environment}{(i.Preset is null ? "" : $", preset {i.Preset}")}");
        }
        if (i.CommitSha is not null)
        {
            output.Line($"  commit:  {Short(i.CommitSha)} amp: {i.Summary} ({i.FilesChanged} file{(i.FilesChanged == 1 ? "" : "s")})");
        }
        else if (i.Status == IterationStatus.Succeeded)
        {
            output.Line("  commit:  none (nothing changed, or --no-commit)");
        }
        output.Line($"  tokens:  {DisplayFormat.TokenDetail(i.Tokens)}");
        if (i.ToolCalls.Count > 0)
        {
            output.Line($"  tools:   {DisplayFormat.ToolCalls(i.ToolCalls)}");
        }
        foreach (var warning in i.Warnings)
        {
            output.Line($"  warning: {warning}");
        }
        if (i.ProtocolWarnings.Count > 0)
        {
            // The record keeps up to a hundred, each with the line: the first says what kind of noise it was.
            var first = DisplayFormat.OneLine(i.ProtocolWarnings[0]);
            output.Line($"  protocol warnings: {(first.Length > 160 ? first[..159] + "…" : first)}"
                + (i.ProtocolWarnings.Count > 1 ? $" (and {i.ProtocolWarnings.Count - 1} more: `amp-sessions iterations {i.SessionId} --json` lists them)" : ""));
        }
        output.Line($"  tests:   {Test(i.ScriptPassed)}   duration: {Seconds(i.Duration)}");
        if (i.TestChanges is { } changes)
        {
            output.Line($"  against the baseline: {changes.Summary}");
        }
        if (i.GuardDecisions.Count > 0)
        {
            var denied = i.GuardDecisions.Where(d => d.Verdict == Core.Containment.GuardVerdict.Deny).ToList();
            output.Line($"  guard:   {i.GuardDecisions.Count} decision{(i.GuardDecisions.Count == 1 ? "" : "s")}, {denied.Count} denied");
            foreach (var decision in denied)
            {
                output.Line($"    denied {decision.Tool} {decision.Subject}: {decision.Reason}");
            }
        }
        if (i.MainCheckoutTouched is { } touched)
        {
            output.Line($"  MAIN CHECKOUT CHANGED: {string.Join(", ", touched)}{(i.MainCheckoutAcknowledgedAt is null ? $" (session Blocked: check it, then amp-sessions ack {i.SessionId})" : " (acknowledged)")}");
        }
        if (i.TranscriptPath is not null)
        {
            output.Line($"  transcript: {i.TranscriptPath}");
        }
    }

    internal static Option<TimeSpan?> TimeoutOption(string description) => new("--timeout")
    {
        Description = description + " Examples: 90s, 10m, 1h.",
        HelpName = "duration",
        CustomParser = result => Durations.Parse(result.Tokens.Single().Value, result),
    };

    private static string Test(bool? passed) => passed switch { true => "passed", false => "FAILED", null => "-" };

    internal static string Seconds(TimeSpan? duration) => DisplayFormat.Duration(duration);

    /// <summary>
    /// Live progress of an iteration: what the agent says and does, its errors, and the test output.
    /// What a user does not need as it happens (lines outside the protocol, the agent's stderr) is
    /// counted, not printed: an agent may write megabytes of it. <see cref="Finish"/> says how much
    /// was left out and where the transcript, which keeps every line, is.
    /// </summary>
    private sealed class LiveView(Output output)
    {
        private readonly TextWriter writer = output.IsJson ? Console.Error : Console.Out;
        private readonly Dictionary<string, string> toolNames = new(StringComparer.Ordinal);
        private int notProtocol;
        private int standardError;

        public void Show(IterationEvent e)
        {
            if (Line(e) is { } line)
            {
                // What the agent and the test say is untrusted: one line each, no control characters.
                writer.WriteLine(Core.Serialization.DisplayText.OneLine(line));
            }
        }

        /// <summary>After the turn: one line for what was not shown, if anything was left out.</summary>
        public void Finish(IterationRecord iteration)
        {
            if (notProtocol + standardError == 0)
            {
                return;
            }
            var parts = new List<string>();
            if (notProtocol > 0)
            {
                parts.Add($"{Count(notProtocol)} outside the stream-json protocol");
            }
            if (standardError > 0)
            {
                parts.Add($"{Count(standardError)} on stderr");
            }
            var where = iteration.TranscriptPath is { } path ? $"the transcript {path} has them all" : "they were not kept";
            writer.WriteLine(Core.Serialization.DisplayText.OneLine(
                $"  ({Count(notProtocol + standardError)} more line{(notProtocol + standardError == 1 ? "" : "s")} from the agent not shown: {string.Join(", ", parts)}; {where})"));
        }

        private static string Count(int n) => n.ToString("N0", CultureInfo.InvariantCulture);

        private string? Line(IterationEvent e)
        {
            switch (e)
            {
                case IterationStartedEvent started:
                    return $"▶ iteration {started.Number} of {started.SessionId} with {started.Agent}";
                case IterationAgentEvent { Event: AgentTextEvent text }:
                    return $"  agent: {text.Text.ReplaceLineEndings(" ")}";
                case IterationAgentEvent { Event: AgentToolUseEvent tool }:
                    toolNames[tool.Id] = tool.Name;
                    return $"  tool:  {tool.Name}";
                case IterationAgentEvent { Event: AgentToolResultEvent { IsError: true } failed }:
                    return $"  tool error: {(toolNames.TryGetValue(failed.ToolUseId, out var name) ? name + ": " : "")}{DisplayFormat.OneLine(failed.Content)}";
                case IterationAgentEvent { Event: AgentResultEvent { IsError: true } result }:
                    return $"  error: {result.Error ?? result.Subtype ?? "the agent reported an error"}";
                case IterationAgentEvent { Event: AgentProtocolWarningEvent }:
                    notProtocol++;
                    return null;
                case IterationAgentEvent { Event: AgentStderrEvent }:
                    standardError++;
                    return null;
                case IterationCommittedEvent committed:
                    return $"  commit: {Short(committed.Commit)} {committed.Subject}";
                case IterationScriptStartedEvent script:
                    return $"  test:  {script.Command}";
                case IterationScriptOutputEvent line:
                    return $"  | {line.Line.Text}";
                default:
                    return null;
            }
        }
    }
}

/// <summary>Durations typed by people: 90s, 10m, 1h30m, or a plain number of seconds.</summary>
internal static class Durations
{
    public static TimeSpan? Parse(string text, System.CommandLine.Parsing.ArgumentResult result)
    {
        // Added up in seconds as a double: TimeSpan arithmetic would overflow (99999999999h) with an exception.
        var seconds = 0.0;
        var number = "";
        foreach (var c in text.Trim().ToLowerInvariant())
        {
            if (char.IsDigit(c) || c == '.')
            {
                number += c;
                continue;
            }
            if (number.Length == 0 || !double.TryParse(number, System.Globalization.CultureInfo.InvariantCulture, out var value) || c is not ('s' or 'm' or 'h'))
            {
                result.AddError($"'{text}' is not a duration: use for example 90s, 10m or 1h.");
                return null;
            }
            seconds += value * (c switch { 's' => 1, 'm' => 60, _ => 3600 });
            number = "";
        }
        if (number.Length > 0)
        {
            if (!double.TryParse(number, System.Globalization.CultureInfo.InvariantCulture, out var plain))
            {
                result.AddError($"'{text}' is not a duration: use for example 90s, 10m or 1h.");
                return null;
            }
            seconds += plain;
        }
        var limit = double.IsFinite(seconds) && seconds <= TimeLimits.Maximum.TotalSeconds ? TimeSpan.FromSeconds(Math.Max(seconds, 0)) : TimeSpan.MaxValue;
        if (TimeLimits.Problem(limit) is { } problem)
        {
            result.AddError($"'{text}' {problem}: give a time limit from 1 second to {TimeLimits.Maximum.TotalDays:0} days, for example 90s, 10m or 2h.");
            return null;
        }
        return limit;
    }
}
