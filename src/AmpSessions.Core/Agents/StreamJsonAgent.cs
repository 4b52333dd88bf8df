using System.Diagnostics;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Processes;

namespace AmpSessions.Core.Agents;

/// <summary>
/// Runs one turn of any agent that streams Amp's JSON: builds the argument list for its dialect,
/// feeds the prompt on stdin, parses stdout line by line, and judges the turn by its result line
/// (Amp exits 0 on failed turns), recognising a login prompt, an unreachable server, approval
/// blocks, timeouts and cancellation.
/// </summary>
public sealed class StreamJsonAgent : IAgent
{
    private const string ApprovalMarker = "require user approval";
    private static readonly string[] LoginMarkers = ["No API key found", "Starting login flow", "Login failed", "paste your code here"];
    private static readonly string[] UnreachableMarkers = ["Couldn't connect to the Amp server", "Cannot reach Amp servers"];
    private const string ClaudeRootRefusal = "cannot be used with root/sudo privileges";
    private static readonly string[] ClaudeLoginMarkers = ["Not logged in", "Invalid API key", "Please run /login"];
    private static readonly string[] ClaudeUnreachableMarkers = ["API Error: Connection", "ECONNREFUSED", "ENOTFOUND", "Unable to connect to API"];
    // How long a stopped agent has to save its thread after the interrupt before its tree is killed: shorter than the two
    // seconds in which stopping a pipeline (Ctrl+C) or a job must be done, so that promise holds for an agent that ignores
    // the interrupt too (JobAndStopTests). At two seconds, such an agent made Stop() take 2.1 s.
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(1.5);

    public StreamJsonAgent(AgentSpec spec) => Spec = spec;

    public AgentSpec Spec { get; }

    /// <summary>How many protocol warnings a turn keeps (an agent printing 100 MB of noise would otherwise flood the store).</summary>
    public const int MaxProtocolWarnings = 100;

    public string Name => Spec.ToString();

    public async Task<AgentTurnResult> RunTurnAsync(AgentTurnRequest request, Action<AgentEvent>? onEvent, CancellationToken cancellationToken)
    {
        // The turn's private files (settings with permission rules, MCP servers with resolved secrets, the toolbox fan-in) live only as long as the turn.
        using var files = RunFiles.Create(request.RunFilesRoot);
        string? toolbox = null;
        if (Spec.Dialect == AgentDialect.Amp && request.ToolboxPaths.Count > 0)
        {
            toolbox = ToolboxResolver.Resolve(request.ToolboxPaths, files.Folder("toolbox")).Directory;
        }
        var environment = AgentCommandLine.Environment(Spec, request, toolbox);
        // Only the real Amp starts a browser login without a key; amp-compatible programs (the demo
        // agent, test doubles, wrappers) are judged by what they print.
        if (Spec.Dialect == AgentDialect.Amp && request.CheckCredentials && IsAmpItself(Spec.Program) && !AgentCommandLine.AmpCredentialsAvailable(environment))
        {
            // A program that is not there is "not found", whatever else is missing (-Agent amp:/no/such/amp).
            if (ExecutableLocator.Find(Spec.Program) is null)
            {
                throw NotFound();
            }
            return NotLoggedIn(Spec.Dialect, TimeSpan.Zero, null);
        }
        var secrets = new List<string>(SecretRedactor.SecretsFromEnvironment());
        secrets.AddRange(request.Environment.Where(e => SecretRedactor.IsSecretName(e.Key)).Select(e => e.Value));
        var mcp = McpConfiguration.Compose(request.McpServers, request.McpConfig, Spec.Dialect, name => AgentCommandLine.Variable(environment, name), secrets);
        var mcpFile = mcp is null || Spec.Dialect == AgentDialect.Plain ? null : files.Write("mcp.json", mcp);
        var settingsFile = AgentCommandLine.WriteSettingsFile(Spec, request, files);

        var state = new TurnState();
        var transcript = OpenTranscript(request.TranscriptPath);
        var stopwatch = Stopwatch.StartNew();
        try
        {
            var spec = new ProcessSpec(Spec.Program, AgentCommandLine.Arguments(Spec, request, settingsFile, mcpFile))
            {
                WorkingDirectory = request.WorkingDirectory,
                Environment = environment,
                StandardInput = request.Prompt,
                Timeout = request.Timeout,
                Secrets = secrets,
                // Everything the agent starts ends with the turn, detached processes included.
                Containment = ContainmentScope.ForSession(request.SessionId, "agent"),
                // A stopped agent gets a moment to save its thread before the tree is killed.
                GracePeriod = StopGrace,
            };
            ProcessResult process;
            try
            {
                var redact = SecretRedactor.For(secrets);
                process = await ProcessRunner.RunAsync(spec, line => OnLine(line, redact, state, onEvent, transcript, request.TranscriptPath), cancellationToken).ConfigureAwait(false);
            }
            catch (ExecutableNotFoundException)
            {
                throw NotFound();
            }
            stopwatch.Stop();
            return Judge(Spec.Dialect, process, state, stopwatch.Elapsed, secrets, environment, request.Timeout);
        }
        finally
        {
            Close(transcript, state);
        }
    }

    /// <summary>Closes the transcript; after a write already failed, what is left in its buffer is given up (the error is said once).</summary>
    private static void Close(StreamWriter? transcript, TurnState state)
    {
        try
        {
            transcript?.Dispose();
        }
        catch (IOException) when (state.TranscriptFailure is not null)
        {
            // The disk is still full: the turn's error already says so.
        }
    }

    private static bool IsAmpItself(string program) =>
        Path.GetFileNameWithoutExtension(program).Equals("amp", StringComparison.OrdinalIgnoreCase);

    private sealed class TurnState
    {
        public string? ThreadId;
        public TokenUsage Tokens;
        public readonly Dictionary<string, int> ToolCalls = new(StringComparer.Ordinal);
        public string? LastText;
        public AgentResultEvent? Result;
        public bool LoginDetected;
        public readonly List<string> Warnings = [];
        public long DroppedWarnings;
        // Stderr is not kept whole (an agent may print gigabytes): the lines the verdict looks for, as they pass.
        public string? FirstStderrLine;
        public string? UnreachableLine;
        public bool ClaudeRefusedRoot;
        // A write to the transcript failed (a full disk): the agent is stopped at once rather than left blocked on a pipe nobody reads.
        public string? TranscriptFailure;
    }

    private static LineDecision OnLine(OutputLine line, Func<string, string> redact, TurnState state, Action<AgentEvent>? onEvent, StreamWriter? transcript, string? transcriptPath)
    {
        // Redacted once, as it arrives, so no event, final message, commit summary or log carries a secret the agent printed.
        var text = redact(line.Text);
        if (transcript is not null)
        {
            try
            {
                transcript.WriteLine(line.Stream == OutputStream.StandardOutput
                    ? text
                    : Serialization.JsonOutput.Serialize(new AgentStderrLine("amp-sessions/stderr", text), indented: false));
                transcript.Flush();
            }
            catch (IOException ex)
            {
                state.TranscriptFailure = $"The agent was stopped because its output could not be written to the transcript '{transcriptPath}': {ex.Message.TrimEnd('.', ' ')}. Free space on that disk, then iterate again.";
                return LineDecision.Stop;
            }
        }
        // Amp prints its login flow as plain text (on stdout in current builds, stderr in older ones) and then waits for a
        // browser forever. A JSON line is the agent's own words, which may well mention a login failure.
        if (!text.TrimStart().StartsWith('{') && LoginMarkers.Any(marker => text.Contains(marker, StringComparison.Ordinal)))
        {
            state.LoginDetected = true;
            return LineDecision.Stop;
        }
        if (line.Stream == OutputStream.StandardError)
        {
            if (text.Trim().Length > 0)
            {
                state.FirstStderrLine ??= text.Trim();
            }
            state.UnreachableLine ??= UnreachableMarkers.Any(marker => text.Contains(marker, StringComparison.Ordinal)) ? text : null;
            state.ClaudeRefusedRoot |= text.Contains(ClaudeRootRefusal, StringComparison.Ordinal);
            onEvent?.Invoke(new AgentStderrEvent(text));
            return LineDecision.Continue;
        }
        foreach (var agentEvent in StreamJsonParser.ParseLine(text))
        {
            switch (agentEvent)
            {
                case AgentInitEvent init:
                    state.ThreadId ??= init.ThreadId;
                    break;
                case AgentTextEvent textEvent:
                    state.LastText = textEvent.Text;
                    break;
                case AgentToolUseEvent toolUse:
                    state.ToolCalls[toolUse.Name] = state.ToolCalls.GetValueOrDefault(toolUse.Name) + 1;
                    break;
                case AgentUsageEvent usage:
                    state.Tokens += usage.Usage;
                    break;
                case AgentResultEvent result:
                    state.Result = result;
                    state.ThreadId = result.ThreadId ?? state.ThreadId;
                    break;
                case AgentProtocolWarningEvent warning:
                    // Kept in the store and printed by `iterations --json`: bounded, with a count of the
                    // rest (the transcript file has every line).
                    if (state.Warnings.Count < MaxProtocolWarnings)
                    {
                        state.Warnings.Add(warning.Reason + ": " + Truncate(warning.Line, 200));
                    }
                    else
                    {
                        state.DroppedWarnings++;
                    }
                    break;
            }
            onEvent?.Invoke(agentEvent);
        }
        return LineDecision.Continue;
    }

    private static AgentTurnResult Judge(AgentDialect dialect, ProcessResult process, TurnState state, TimeSpan duration, IReadOnlyCollection<string> secrets, IReadOnlyDictionary<string, string?> environment, TimeSpan? limit)
    {
        AgentTurnResult With(AgentOutcome outcome, string? error, IReadOnlyList<string>? blocked = null) => new()
        {
            Outcome = outcome,
            Error = error is null ? null : SecretRedactor.Redact(error, secrets),
            FinalMessage = state.Result?.Result ?? state.LastText,
            ThreadId = state.ThreadId,
            Tokens = state.Tokens,
            ToolCalls = state.ToolCalls,
            Duration = duration,
            ExitCode = process.StoppedByHandler || process.TimedOut || process.Cancelled ? null : process.ExitCode,
            BlockedTools = blocked ?? [],
            ProtocolWarnings = state.DroppedWarnings == 0 ? state.Warnings
                : [.. state.Warnings, $"{state.DroppedWarnings} more lines that were not stream-json are not kept here (the transcript has them)"],
            NumTurns = state.Result?.NumTurns,
        };

        if (state.TranscriptFailure is { } failure)
        {
            return With(AgentOutcome.Crashed, failure);
        }
        if (state.LoginDetected)
        {
            return NotLoggedIn(dialect, duration, state.ThreadId);
        }
        if (process.Cancelled)
        {
            return With(AgentOutcome.Cancelled, "Cancelled: the agent was stopped and the worktree left as it is.");
        }
        if (process.TimedOut)
        {
            return With(AgentOutcome.TimedOut, $"The agent did not finish within {Describe(limit ?? duration)} and was stopped; raise the session's timeout if the task needs longer.");
        }
        if (state.Result is { } result)
        {
            if (!result.IsError)
            {
                return With(AgentOutcome.Succeeded, null);
            }
            var error = result.Error ?? result.Result ?? result.Subtype ?? "the agent reported an error";
            if (error.Contains(ApprovalMarker, StringComparison.OrdinalIgnoreCase))
            {
                var blocked = BlockedTools(error);
                return With(AgentOutcome.AwaitingInput,
                    $"The agent needs approval for {string.Join(", ", blocked)}, which it cannot ask for in execute mode; allow {(blocked.Count == 1 ? "it" : "them")} in the session's settings (allowed tools), then iterate again.",
                    blocked);
            }
            if (error.Contains("User cancelled", StringComparison.OrdinalIgnoreCase))
            {
                return With(AgentOutcome.Cancelled, "Cancelled: the agent was interrupted and the worktree left as it is.");
            }
            // Claude Code without credentials, or without its API, still ends with a result line (an error one, exit 1).
            if (dialect == AgentDialect.Claude && ClaudeLoginMarkers.Any(marker => error.Contains(marker, StringComparison.OrdinalIgnoreCase)))
            {
                return NotLoggedIn(dialect, duration, state.ThreadId);
            }
            if (dialect == AgentDialect.Claude && ClaudeUnreachableMarkers.Any(marker => error.Contains(marker, StringComparison.OrdinalIgnoreCase)))
            {
                var api = environment.TryGetValue("ANTHROPIC_BASE_URL", out var configuredApi) ? configuredApi : Environment.GetEnvironmentVariable("ANTHROPIC_BASE_URL");
                return With(AgentOutcome.ServerUnreachable,
                    $"Claude Code could not reach its API{(string.IsNullOrEmpty(api) ? "" : $" at {api}")}: check the network connection and ANTHROPIC_BASE_URL, then iterate again. ({FirstLine(error)})");
            }
            return With(AgentOutcome.Failed, "The agent failed: " + error);
        }
        if (dialect == AgentDialect.Claude && state.ClaudeRefusedRoot)
        {
            return With(AgentOutcome.Failed,
                "Claude Code refuses to run with every tool allowed (--dangerously-skip-permissions, the full-auto preset) as root: run amp-sessions as a normal user, choose another preset, or, on a sandbox machine, set IS_SANDBOX=1 in the agent's environment.");
        }
        if (state.UnreachableLine is not null)
        {
            var server = environment.TryGetValue("AMP_URL", out var configured) ? configured : Environment.GetEnvironmentVariable("AMP_URL");
            return With(AgentOutcome.ServerUnreachable,
                $"Amp could not reach its server{(string.IsNullOrEmpty(server) ? "" : $" at {server}")} ({state.FirstStderrLine})");
        }
        var tail = process.StandardErrorTail(5);
        return With(AgentOutcome.Crashed,
            $"The agent ended without a result (exit {process.ExitCode}){(tail.Length == 0 ? "" : ": " + tail.ReplaceLineEndings(" | "))}");
    }

    private ExecutableNotFoundException NotFound() => new(Spec.Program, Spec.Dialect switch
    {
        AgentDialect.Amp => (FormattableString)$"install the Amp CLI (npm install -g @ampcode/amp) and put it on PATH, or choose another agent with {Parameter.Agent}",
        AgentDialect.Claude => $"install Claude Code and put it on PATH, or choose another agent with {Parameter.Agent}",
        _ => $"check the agent command configured for the session ({Parameter.Agent})",
    });

    private static AgentTurnResult NotLoggedIn(AgentDialect dialect, TimeSpan duration, string? threadId) => new()
    {
        Outcome = AgentOutcome.NotLoggedIn,
        // What happened only: what to do is the failed iteration's remedy (IterationFailedException), said once.
        Error = dialect == AgentDialect.Claude ? "Claude Code is not logged in" : "Amp is not logged in",
        ThreadId = threadId,
        Duration = duration,
    };

    /// <summary>"...not supported in stream JSON mode: Bash, edit_file" → [Bash, edit_file].</summary>
    internal static IReadOnlyList<string> BlockedTools(string error)
    {
        var colon = error.LastIndexOf(':');
        return colon < 0
            ? []
            : error[(colon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    private static StreamWriter? OpenTranscript(string? path)
    {
        if (path is null)
        {
            return null;
        }
        Storage.PrivateFiles.Folder(Path.GetDirectoryName(path)!);
        return Storage.PrivateFiles.CreateText(path);
    }

    private static string Describe(TimeSpan duration) =>
        duration.TotalMinutes >= 1 ? Unit(duration.TotalMinutes, "minute") : Unit(duration.TotalSeconds, "second");

    private static string Unit(double value, string noun)
    {
        var text = value.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture);
        return $"{text} {noun}{(text == "1" ? "" : "s")}";
    }

    private static string FirstLine(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max] + "…";
}

/// <summary>A stderr line of the agent as the transcript keeps it (stdout lines are the agent's own JSON).</summary>
internal sealed record AgentStderrLine(string Type, string Line);
