using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using AmpSessions.Core.Errors;

namespace AmpSessions.Core.Git;

/// <summary>
/// A lock per repository, held across processes, around changes to shared Git state (branches, the
/// worktree registry, refs). Git's own lock files fail at once when two processes race; this one
/// waits. It is an OS file lock on <c>&lt;git-common-dir&gt;/amp-sessions.lock</c>, so a process
/// that dies releases it; the empty file itself stays and holds nothing.
/// </summary>
public sealed class RepositoryLock : IDisposable
{
    public const string FileName = "amp-sessions.lock";
    private static readonly TimeSpan DefaultWait = TimeSpan.FromMinutes(2);

    // Callers in this process (a batch runs 16 items at once) queue here and are woken the moment the
    // holder releases; only the file lock, between processes, is polled. Polling alone left the lock idle
    // for up to the backoff (200 ms) after each release.
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> InProcessQueues = new(StringComparer.Ordinal);

    /// <summary>
    /// How long each acquisition waited, in milliseconds (metric <c>amp_sessions.repository_lock.wait</c>
    /// of the meter <c>AmpSessions</c>): what bench/ reads to tell lock contention from other costs.
    /// </summary>
    private static readonly Histogram<double> WaitHistogram = Telemetry.Meter.CreateHistogram<double>("amp_sessions.repository_lock.wait", "ms",
        "Time spent waiting for the repository lock");

    private readonly FileStream stream;
    private readonly SemaphoreSlim queue;
    private bool released;

    private RepositoryLock(FileStream stream, string path, SemaphoreSlim queue)
    {
        this.stream = stream;
        this.queue = queue;
        Path = path;
    }

    public string Path { get; }

    /// <summary>Takes the lock for the repository whose common git directory is given, waiting up to <paramref name="wait"/>.</summary>
    public static async Task<RepositoryLock> AcquireAsync(string gitCommonDir, string operation, TimeSpan? wait = null, CancellationToken cancellationToken = default)
    {
        var path = System.IO.Path.Combine(gitCommonDir, FileName);
        var started = Stopwatch.GetTimestamp();
        var deadline = DateTime.UtcNow + (wait ?? DefaultWait);
        var queue = InProcessQueues.GetOrAdd(path, _ => new SemaphoreSlim(1, 1));
        if (!await queue.WaitAsync(wait ?? DefaultWait, cancellationToken).ConfigureAwait(false))
        {
            throw Timeout(path, null);
        }
        var delay = TimeSpan.FromMilliseconds(10);
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                try
                {
                    // FileShare.None is an exclusive OS lock (flock on Unix, a share mode on Windows).
                    var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
                    stream.SetLength(0);
                    var note = System.Text.Encoding.UTF8.GetBytes($"{Environment.ProcessId} {operation}\n");
                    stream.Write(note);
                    stream.Flush();
                    WaitHistogram.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    return new RepositoryLock(stream, path, queue);
                }
                catch (IOException) when (DateTime.UtcNow < deadline)
                {
                    // Another process holds it.
                    await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                    delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 200));
                }
                catch (IOException ex)
                {
                    throw Timeout(path, ex);
                }
                catch (UnauthorizedAccessException ex)
                {
                    throw new AmpSessionsException("AmpRepositoryLockDenied", ErrorKind.PermissionDenied,
                        $"Cannot write the lock file '{path}': check the permissions of the repository's .git folder.", path, ex);
                }
            }
        }
        catch
        {
            queue.Release();
            throw;
        }
    }

    private static AmpSessionsException Timeout(string path, Exception? inner) =>
        new("AmpRepositoryLockTimeout", ErrorKind.ResourceBusy,
            $"Another AmpSessions process has held the repository lock '{path}' for too long; wait for it to finish and try again.", path, inner);

    /// <summary>Releases the lock; releasing twice is harmless (a using block and an early release may both call it).</summary>
    public void Dispose()
    {
        if (released)
        {
            return;
        }
        released = true;
        try
        {
            stream.SetLength(0);
            stream.Dispose();
        }
        finally
        {
            queue.Release();
        }
    }
}
