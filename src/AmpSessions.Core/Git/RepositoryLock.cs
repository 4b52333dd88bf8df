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
    private readonly FileStream stream;
    private bool released;

    private RepositoryLock(FileStream stream, string path)
    {
        this.stream = stream;
        Path = path;
    }

    public string Path { get; }

    /// <summary>Takes the lock for the repository whose common git directory is given, waiting up to <paramref name="wait"/>.</summary>
    public static async Task<RepositoryLock> AcquireAsync(string gitCommonDir, string operation, TimeSpan? wait = null, CancellationToken cancellationToken = default)
    {
        var path = System.IO.Path.Combine(gitCommonDir, FileName);
        var deadline = DateTime.UtcNow + (wait ?? DefaultWait);
        var delay = TimeSpan.FromMilliseconds(10);
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
                return new RepositoryLock(stream, path);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 200));
            }
            catch (IOException ex)
            {
                throw new AmpSessionsException("AmpRepositoryLockTimeout", ErrorKind.ResourceBusy,
                    $"Another AmpSessions process has held the repository lock '{path}' for too long; wait for it to finish and try again.", path, ex);
            }
            catch (UnauthorizedAccessException ex)
            {
                throw new AmpSessionsException("AmpRepositoryLockDenied", ErrorKind.PermissionDenied,
                    $"Cannot write the lock file '{path}': check the permissions of the repository's .git folder.", path, ex);
            }
        }
    }

    /// <summary>Releases the lock; releasing twice is harmless (a using block and an early release may both call it).</summary>
    public void Dispose()
    {
        if (released)
        {
            return;
        }
        released = true;
        stream.SetLength(0);
        stream.Dispose();
    }
}
