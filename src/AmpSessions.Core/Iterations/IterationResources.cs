using AmpSessions.Core.Git;

namespace AmpSessions.Core.Iterations;

/// <summary>
/// What one iteration keeps open from its first read to its last record: database connections reused by its
/// store reads and writes, and one repository handle per repository for its in-process git reads. Without
/// them each of an iteration's ~12 store calls opened a connection (the file, the pragmas, a new WAL and
/// shared-memory file) and closed it (a checkpoint with two fsyncs, both files deleted), and its ~30 git
/// reads opened the repository afresh (its configuration files, the worktree's links): most of an
/// iteration's own CPU outside the agent. A batch item or a PowerShell pipeline that already holds
/// repository handles keeps its own; connection sharing is counted, so nesting under theirs is fine.
/// The store's settings are untouched (WAL, synchronous=NORMAL, every write its own committed transaction);
/// the checkpoint happens when the last shared connection closes, at the end of the iteration.
/// </summary>
internal sealed class IterationResources : IDisposable
{
    private readonly IDisposable connections;
    private readonly RepositoryHandleScope? handles;

    private IterationResources(IDisposable connections, RepositoryHandleScope? handles)
    {
        this.connections = connections;
        this.handles = handles;
    }

    /// <summary>Held by the calling async flow (the ambient handle scope flows into what it awaits) until disposed.</summary>
    public static IterationResources Hold(AmpContext context) =>
        new(context.Database.ShareConnection(), RepositoryHandles.Current is null ? RepositoryHandles.Share() : null);

    public void Dispose()
    {
        handles?.Dispose();
        connections.Dispose();
    }
}
