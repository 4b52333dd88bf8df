using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Text;
using CliWrap;

namespace AmpSessions.Core.Processes;

/// <summary>What a line handler wants after seeing a line.</summary>
public enum LineDecision
{
    Continue,
    /// <summary>Kill the process tree now (for example: a login prompt means the run can never finish).</summary>
    Stop,
}

/// <summary>
/// Runs processes from argument lists, with CliWrap underneath: stdin text, stdout and stderr
/// streamed line by line (to the caller, in order, one line at a time) and captured (whole only when
/// nobody reads the lines: a streamed process keeps a bounded tail for error messages), time limits
/// and cancellation that kill the whole process tree (after a grace period when the spec asks for
/// one), and, for a contained process (<see cref="ProcessSpec.Containment"/>), every process it
/// started gone when it ends.
/// </summary>
public static class ProcessRunner
{
    /// <summary>
    /// After the process is gone, how long reading waits for a next line (a background grandchild may
    /// hold the pipe open). Measured from the last line read, not from the exit: a slow reader still
    /// gets every line that was written before the exit.
    /// </summary>
    private static readonly TimeSpan DrainGrace = TimeSpan.FromSeconds(2);

    /// <summary>After the process is gone, how long reading may go on at most (an escaped writer that never stops).</summary>
    private static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(30);
    private static readonly UTF8Encoding Utf8 = new(false);

    public static Task<ProcessResult> RunAsync(ProcessSpec spec, Action<OutputLine>? onLine, CancellationToken cancellationToken = default) =>
        RunAsync(spec, onLine is null ? null : line => { onLine(line); return LineDecision.Continue; }, cancellationToken);

    public static async Task<ProcessResult> RunAsync(ProcessSpec spec, Func<OutputLine, LineDecision>? onLine = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var executable = Locate(spec);
        if (spec.WorkingDirectory is not null && !Directory.Exists(spec.WorkingDirectory))
        {
            throw new Errors.AmpSessionsException("AmpWorkingDirectoryMissing", Errors.ErrorKind.NotFound,
                $"The folder '{spec.WorkingDirectory}' does not exist, so '{Path.GetFileName(spec.FileName)}' cannot run in it.", spec.WorkingDirectory);
        }

        var output = new OutputCollector(spec.CaptureOutput, onLine);
        using var drain = new DrainWatch();
        var exit = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var containment = spec.Containment is { } scope ? ContainedRun.Create(scope) : null;
        using var forceful = new CancellationTokenSource();
        using var graceful = new CancellationTokenSource();
        using var timeout = spec.Timeout is { } limit ? new CancellationTokenSource(limit) : new CancellationTokenSource();
        using var anyStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token, output.StopRequested);
        // Stopping: a handler's stop kills at once; a time limit or a cancellation interrupts first when the spec allows a grace period.
        using var onStop = anyStop.Token.Register(() =>
        {
            if (spec.GracePeriod is { } grace && grace > TimeSpan.Zero && !output.StopRequested.IsCancellationRequested)
            {
                graceful.Cancel();
                forceful.CancelAfter(grace);
            }
            else
            {
                forceful.Cancel();
            }
        });
        using var onKill = forceful.Token.Register(() => containment?.KillAll());

        var command = Cli.Wrap(executable)
            .WithArguments(spec.Arguments)
            .WithWorkingDirectory(spec.WorkingDirectory ?? Environment.CurrentDirectory)
            .WithEnvironmentVariables(EnvironmentOf(spec, containment))
            .WithValidation(CommandResultValidation.None)
            .WithStandardInputPipe(string.IsNullOrEmpty(spec.StandardInput) ? PipeSource.Null : PipeSource.FromString(spec.StandardInput, Utf8))
            .WithStandardOutputPipe(output.Target(OutputStream.StandardOutput, exit.Task, drain))
            .WithStandardErrorPipe(output.Target(OutputStream.StandardError, exit.Task, drain));

        var stopwatch = Stopwatch.StartNew();
        var killed = false;
        try
        {
            try
            {
                await command.ExecuteAsync(null, process =>
                {
                    containment?.Adopt(process);
                    _ = ObserveExitAsync(process, exit, containment, drain);
                }, forceful.Token, graceful.Token).ConfigureAwait(false);
            }
            catch (System.ComponentModel.Win32Exception ex)
            {
                throw new ExecutableNotFoundException(spec.FileName, ex.Message);
            }
            catch (OperationCanceledException) when (forceful.IsCancellationRequested || graceful.IsCancellationRequested)
            {
                killed = true;
            }
            catch (TimeoutException) when (forceful.IsCancellationRequested)
            {
                // CliWrap gave up waiting for a killed process; nothing more can be done for it.
                killed = true;
            }
        }
        finally
        {
            // Whatever ran in the scope and is still there now outlived its process: it goes too.
            if (containment is not null)
            {
                await containment.EndAsync().ConfigureAwait(false);
            }
        }
        stopwatch.Stop();
        // A handler that threw (the transcript's disk is full, the console is gone) stopped the process
        // like a handler's stop; its error is the caller's to report.
        output.HandlerFailure?.Throw();

        var stoppedByHandler = killed && output.StopRequested.IsCancellationRequested;
        return new ProcessResult
        {
            ExitCode = exit.Task.IsCompletedSuccessfully ? exit.Task.Result : -1,
            StandardOutput = output.StandardOutput,
            StandardError = output.StandardError,
            Duration = stopwatch.Elapsed,
            TimedOut = killed && timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested && !stoppedByHandler,
            Cancelled = killed && cancellationToken.IsCancellationRequested,
            StoppedByHandler = stoppedByHandler,
        };
    }

    /// <summary>Kills a process and every descendant it started; a process already gone is fine.</summary>
    public static void KillTree(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // Exiting while we tried; nothing left to kill.
        }
    }

    internal static string Locate(ProcessSpec spec)
    {
        var pathOverride = spec.Environment.TryGetValue("PATH", out var p) ? p : null;
        return ExecutableLocator.Find(spec.FileName, pathOverride) ?? throw new ExecutableNotFoundException(spec.FileName);
    }

    private static Dictionary<string, string?> EnvironmentOf(ProcessSpec spec, ContainedRun? containment)
    {
        var environment = new Dictionary<string, string?>(spec.Environment);
        if (containment is not null)
        {
            environment[ProcessContainment.VariableName] = containment.Scope.Marker;
        }
        return environment;
    }

    /// <summary>
    /// When the process itself ends: its exit code, then (contained) the processes it left behind,
    /// then a last grace period for output still in the pipes before reading stops.
    /// </summary>
    private static async Task ObserveExitAsync(Process process, TaskCompletionSource<int> exit, ContainedRun? containment, DrainWatch drain)
    {
        try
        {
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            exit.TrySetResult(process.ExitCode);
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            exit.TrySetResult(-1);
        }
        if (containment is not null)
        {
            await containment.KillAllAsync().ConfigureAwait(false);
        }
        drain.ProcessExited();
    }

    /// <summary>
    /// Ends the reading of output a while after the process is gone: when no line came for
    /// <see cref="DrainGrace"/>, or <see cref="DrainLimit"/> after the exit whatever comes.
    /// </summary>
    private sealed class DrainWatch : IDisposable
    {
        private readonly CancellationTokenSource cutoff = new();
        private readonly Stopwatch sinceExit = new();
        private volatile bool exited;

        public CancellationToken Token => cutoff.Token;

        public void ProcessExited()
        {
            sinceExit.Start();
            exited = true;
            Arm();
        }

        /// <summary>Output is still coming: the wait for the next line starts again.</summary>
        public void Progress()
        {
            if (exited)
            {
                Arm();
            }
        }

        private void Arm()
        {
            var left = DrainLimit - sinceExit.Elapsed;
            try
            {
                // Re-arming moves the deadline of a cut-off that has not happened yet.
                cutoff.CancelAfter(left < DrainGrace ? (left > TimeSpan.Zero ? left : TimeSpan.Zero) : DrainGrace);
            }
            catch (ObjectDisposedException)
            {
                // The run is over already.
            }
        }

        public void Dispose() => cutoff.Dispose();
    }

    /// <summary>
    /// Collects both streams: lines delivered to the caller in arrival order, and either the exact
    /// text (nobody reads the lines and the spec captures) or a bounded tail of each stream.
    /// </summary>
    private sealed class OutputCollector(bool capture, Func<OutputLine, LineDecision>? onLine)
    {
        /// <summary>How much of each stream a streamed process keeps for error messages (the lines went to the handler).</summary>
        internal const int TailCharacters = 16 * 1024;

        private readonly bool whole = capture && onLine is null;
        private readonly StringBuilder stdout = new();
        private readonly StringBuilder stderr = new();
        private readonly OutputTail stdoutTail = new(TailCharacters);
        private readonly OutputTail stderrTail = new(TailCharacters);
        private readonly object gate = new();
        private readonly CancellationTokenSource stop = new();

        public CancellationToken StopRequested => stop.Token;

        /// <summary>The first exception the line handler threw; the process was stopped because of it.</summary>
        public ExceptionDispatchInfo? HandlerFailure { get; private set; }

        public string StandardOutput { get { lock (gate) return whole ? stdout.ToString() : stdoutTail.ToString(); } }

        public string StandardError { get { lock (gate) return whole ? stderr.ToString() : stderrTail.ToString(); } }

        public PipeTarget Target(OutputStream stream, Task exited, DrainWatch drain) =>
            PipeTarget.Create(async (source, _) =>
            {
                // CliWrap's token is ignored on purpose: after a kill, the output already written is
                // still read to its end; only the drain cut-off (the process gone for a while) stops reading.
                try
                {
                    using var reader = new StreamReader(source, Utf8, detectEncodingFromByteOrderMarks: true, bufferSize: 8192, leaveOpen: true);
                    if (whole)
                    {
                        await CaptureAsync(reader, stream, drain).ConfigureAwait(false);
                    }
                    else
                    {
                        while (await reader.ReadLineAsync(drain.Token).ConfigureAwait(false) is { } line)
                        {
                            Deliver(stream, line);
                            drain.Progress();
                        }
                    }
                }
                catch (OperationCanceledException) when (drain.Token.IsCancellationRequested)
                {
                    // A grandchild that escaped holds the pipe: stop waiting for it.
                }
                catch (IOException)
                {
                    // The pipe broke as the process died: what was read is what there is.
                }
                // The exit code is read before CliWrap lets go of the process.
                await exited.ConfigureAwait(false);
            });

        private async Task CaptureAsync(StreamReader reader, OutputStream stream, DrainWatch drain)
        {
            var buffer = new char[8192];
            int read;
            while ((read = await reader.ReadAsync(buffer.AsMemory(), drain.Token).ConfigureAwait(false)) > 0)
            {
                lock (gate)
                {
                    (stream == OutputStream.StandardOutput ? stdout : stderr).Append(buffer, 0, read);
                }
                drain.Progress();
            }
        }

        private void Deliver(OutputStream stream, string text)
        {
            lock (gate)
            {
                (stream == OutputStream.StandardOutput ? stdoutTail : stderrTail).Add(text);
                if (onLine is null || stop.IsCancellationRequested)
                {
                    return;
                }
                try
                {
                    if (onLine(new OutputLine(stream, text)) == LineDecision.Stop)
                    {
                        stop.Cancel();
                    }
                }
                catch (Exception ex)
                {
                    // Reading goes on (so the process never blocks on a full pipe) while it is killed.
                    HandlerFailure = ExceptionDispatchInfo.Capture(ex);
                    stop.Cancel();
                }
            }
        }
    }

    /// <summary>The last lines of a stream, at most a number of characters (the last line cut to fit), in order.</summary>
    private sealed class OutputTail(int maxCharacters)
    {
        private readonly Queue<string> lines = new();
        private int characters;

        public void Add(string line)
        {
            if (line.Length > maxCharacters)
            {
                line = line[^maxCharacters..];
            }
            lines.Enqueue(line);
            characters += line.Length + 1;
            while (characters > maxCharacters && lines.Count > 1)
            {
                characters -= lines.Dequeue().Length + 1;
            }
        }

        public override string ToString()
        {
            var text = new StringBuilder(characters);
            foreach (var line in lines)
            {
                text.Append(line).Append('\n');
            }
            return text.ToString();
        }
    }
}

/// <summary>Starts programs that outlive the command (an editor, a terminal window).</summary>
public static class DetachedProcess
{
    /// <summary>Starts the program and returns its process id without waiting; its output is discarded.</summary>
    public static int Start(ProcessSpec spec)
    {
        var executable = ProcessRunner.Locate(spec);
        // Our pipes, not the caller's terminal: a launcher that keeps writing must not hold the CLI's output open.
        var command = Cli.Wrap(executable)
            .WithArguments(spec.Arguments)
            .WithWorkingDirectory(spec.WorkingDirectory ?? Environment.CurrentDirectory)
            .WithEnvironmentVariables(spec.Environment)
            .WithValidation(CommandResultValidation.None)
            .WithStandardInputPipe(PipeSource.Null)
            .WithStandardOutputPipe(PipeTarget.Null)
            .WithStandardErrorPipe(PipeTarget.Null);
        try
        {
            var task = command.ExecuteAsync(startInfo => startInfo.CreateNoWindow = false);
            // Nobody waits for it; its end (or failure) is its own business.
            _ = ((Task)task).ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
            return task.ProcessId;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new ExecutableNotFoundException(spec.FileName, ex.Message);
        }
    }
}
