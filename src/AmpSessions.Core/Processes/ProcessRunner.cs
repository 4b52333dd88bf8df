using System.Diagnostics;
using System.Text;

namespace AmpSessions.Core.Processes;

/// <summary>What a line handler wants after seeing a line.</summary>
public enum LineDecision
{
    Continue,
    /// <summary>Kill the process tree now (for example: a login prompt means the run can never finish).</summary>
    Stop,
}

/// <summary>
/// Runs processes from argument lists: stdin text, stdout and stderr streamed line by line (to the
/// caller, in order, one line at a time) and captured, time limits and cancellation that kill the
/// whole process tree.
/// </summary>
public static class ProcessRunner
{
    /// <summary>How long to keep reading output after the process is gone (a background grandchild may hold the pipe).</summary>
    private static readonly TimeSpan DrainGrace = TimeSpan.FromSeconds(2);

    public static Task<ProcessResult> RunAsync(ProcessSpec spec, Action<OutputLine>? onLine, CancellationToken cancellationToken = default) =>
        RunAsync(spec, onLine is null ? null : line => { onLine(line); return LineDecision.Continue; }, cancellationToken);

    public static async Task<ProcessResult> RunAsync(ProcessSpec spec, Func<OutputLine, LineDecision>? onLine = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var pathOverride = spec.Environment.TryGetValue("PATH", out var p) ? p : null;
        var executable = ExecutableLocator.Find(spec.FileName, pathOverride)
            ?? throw new ExecutableNotFoundException(spec.FileName);

        var startInfo = new ProcessStartInfo(executable)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            CreateNoWindow = true,
            StandardOutputEncoding = new UTF8Encoding(false),
            StandardErrorEncoding = new UTF8Encoding(false),
            StandardInputEncoding = new UTF8Encoding(false),
            WorkingDirectory = spec.WorkingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in spec.Arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in spec.Environment)
        {
            if (value is null)
            {
                startInfo.Environment.Remove(name);
            }
            else
            {
                startInfo.Environment[name] = value;
            }
        }
        if (spec.WorkingDirectory is not null && !Directory.Exists(spec.WorkingDirectory))
        {
            throw new Errors.AmpSessionsException("AmpWorkingDirectoryMissing", Errors.ErrorKind.NotFound,
                $"The folder '{spec.WorkingDirectory}' does not exist, so '{Path.GetFileName(spec.FileName)}' cannot run in it.", spec.WorkingDirectory);
        }

        using var process = new Process { StartInfo = startInfo };
        var stopwatch = Stopwatch.StartNew();
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new ExecutableNotFoundException(spec.FileName, ex.Message);
        }

        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var gate = new object();
        var stopRequested = false;
        using var killSignal = new CancellationTokenSource();

        void Deliver(OutputStream stream, string text)
        {
            lock (gate)
            {
                if (spec.CaptureOutput)
                {
                    (stream == OutputStream.StandardOutput ? stdout : stderr).Append(text).Append('\n');
                }
                if (onLine is not null && !stopRequested && onLine(new OutputLine(stream, text)) == LineDecision.Stop)
                {
                    stopRequested = true;
                    killSignal.Cancel();
                }
            }
        }

        using var readerCancel = new CancellationTokenSource();
        // With nobody listening for lines, capture the exact text (NUL-separated git output, a final
        // line without a newline); with a listener, deliver it line by line as it arrives.
        var stdoutTask = onLine is null
            ? CaptureAsync(process.StandardOutput, stdout, gate, spec.CaptureOutput, readerCancel.Token)
            : PumpAsync(process.StandardOutput, OutputStream.StandardOutput, Deliver, readerCancel.Token);
        var stderrTask = onLine is null
            ? CaptureAsync(process.StandardError, stderr, gate, spec.CaptureOutput, readerCancel.Token)
            : PumpAsync(process.StandardError, OutputStream.StandardError, Deliver, readerCancel.Token);
        var stdinTask = WriteInputAsync(process, spec.StandardInput);

        using var timeout = spec.Timeout is { } limit ? new CancellationTokenSource(limit) : new CancellationTokenSource();
        using var anyStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token, killSignal.Token);
        var killed = false;
        try
        {
            await process.WaitForExitAsync(anyStop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            KillTree(process);
            killed = true;
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }

        // Output that is still buffered arrives after exit; a grandchild that escaped the kill may
        // keep the pipe open, so stop waiting after a grace period.
        var drained = Task.WhenAll(stdoutTask, stderrTask, stdinTask);
        if (await Task.WhenAny(drained, Task.Delay(DrainGrace, CancellationToken.None)).ConfigureAwait(false) != drained)
        {
            readerCancel.Cancel();
            try { await drained.ConfigureAwait(false); } catch (OperationCanceledException) { }
        }
        stopwatch.Stop();

        var timedOut = killed && timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested && !stopRequested;
        var cancelled = killed && cancellationToken.IsCancellationRequested;
        return new ProcessResult
        {
            ExitCode = process.ExitCode,
            StandardOutput = stdout.ToString(),
            StandardError = stderr.ToString(),
            Duration = stopwatch.Elapsed,
            TimedOut = timedOut,
            Cancelled = cancelled,
            StoppedByHandler = killed && stopRequested,
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

    private static async Task PumpAsync(StreamReader reader, OutputStream stream, Action<OutputStream, string> deliver, CancellationToken cancellationToken)
    {
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            deliver(stream, line);
        }
    }

    private static async Task CaptureAsync(StreamReader reader, System.Text.StringBuilder target, object gate, bool keep, CancellationToken cancellationToken)
    {
        var buffer = new char[8192];
        int read;
        while ((read = await reader.ReadAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (keep)
            {
                lock (gate)
                {
                    target.Append(buffer, 0, read);
                }
            }
        }
    }

    private static async Task WriteInputAsync(Process process, string? text)
    {
        try
        {
            if (!string.IsNullOrEmpty(text))
            {
                await process.StandardInput.WriteAsync(text).ConfigureAwait(false);
                await process.StandardInput.FlushAsync().ConfigureAwait(false);
            }
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The process exited or closed stdin before reading everything: its exit code tells the story.
        }
        catch (ObjectDisposedException)
        {
        }
    }
}

/// <summary>Starts programs that outlive the command (an editor, a terminal window).</summary>
public static class DetachedProcess
{
    /// <summary>Starts the program and returns its process id without waiting; its output is discarded.</summary>
    public static int Start(ProcessSpec spec)
    {
        var pathOverride = spec.Environment.TryGetValue("PATH", out var p) ? p : null;
        var executable = ExecutableLocator.Find(spec.FileName, pathOverride) ?? throw new ExecutableNotFoundException(spec.FileName);
        var startInfo = new ProcessStartInfo(executable)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            CreateNoWindow = false,
            WorkingDirectory = spec.WorkingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in spec.Arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in spec.Environment)
        {
            if (value is null) startInfo.Environment.Remove(name);
            else startInfo.Environment[name] = value;
        }
        var process = Process.Start(startInfo) ?? throw new ExecutableNotFoundException(spec.FileName);
        // Our pipes, not the caller's terminal: a launcher that keeps writing must not hold the CLI's output open.
        process.OutputDataReceived += static (_, _) => { };
        process.ErrorDataReceived += static (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        return process.Id;
    }
}
