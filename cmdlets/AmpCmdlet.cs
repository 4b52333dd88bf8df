using System.Management.Automation;
using AmpSessions.Core;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Git;
using AmpSessions.Core.Jobs;
using AmpSessions.Core.Sessions;
using AmpSessions.Module.Infrastructure;

namespace AmpSessions.Module;

/// <summary>
/// The base of every AmpSessions cmdlet: the data directory and store, opened once per pipeline, and
/// one set of open repositories for the pipeline's in-process git reads (closed when it ends or stops);
/// a cancellation token that Ctrl+C (StopProcessing) cancels; core errors mapped to ErrorRecords;
/// and core calls run off the pipeline thread with their events written back on it.
/// </summary>
public abstract class AmpCmdlet : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource cancellation = new();
    private AmpContext? context;
    private IDisposable? sharedConnection;
    private RepositoryHandleScope? repositories;
    private SessionManager? sessions;
    private readonly ProgressActivityIds progressActivityIds = new();

    /// <summary>How long a stopped pipeline waits for the core to end what it started.</summary>
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(10);

    /// <summary>The data directory (database, logs); default $env:AMP_SESSIONS_HOME, else the platform's app-data folder.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? DataPath { get; set; }

    /// <summary>The store and settings this pipeline works with.</summary>
    protected AmpContext Context => context ?? throw new InvalidOperationException("The AmpSessions context is opened in BeginProcessing.");

    protected SessionManager Sessions => sessions ??= new SessionManager(Context);

    /// <summary>Cancelled when the user presses Ctrl+C or the pipeline stops.</summary>
    protected CancellationToken CancellationToken => cancellation.Token;

    protected override void BeginProcessing()
    {
        var dataPath = DataPath is null ? null : ResolvePath(DataPath);
        try
        {
            context = AmpContext.Open(dataPath);
            // One database connection for the whole pipeline, not one per query of each record.
            sharedConnection = context.Database.ShareConnection();
            // One open repository per repository for the whole pipeline, not one per read of each record.
            repositories = RepositoryHandles.Open();
        }
        catch (AmpSessionsException ex)
        {
            ThrowTerminatingError(ErrorRecords.From(ex, dataPath));
        }
    }

    protected override void EndProcessing() => ReleasePipelineResources();

    protected override void StopProcessing() => cancellation.Cancel();

    private void ReleasePipelineResources()
    {
        sharedConnection?.Dispose();
        sharedConnection = null;
        // A read still running (a stopped pipeline) closes its repository when it returns.
        repositories?.Dispose();
    }

    /// <summary>A path the user typed, resolved against PowerShell's current location (not the process's).</summary>
    protected string ResolvePath(string path) => GetUnresolvedProviderPathFromPSPath(path);

    /// <summary>PowerShell's current file-system location.</summary>
    protected string CurrentDirectory => SessionState.Path.CurrentFileSystemLocation.ProviderPath;

    /// <summary>
    /// Runs a core call (here until its first wait, then on the thread pool) while this, the pipeline
    /// thread, writes its events as progress, verbose, information, warning, output and error records,
    /// then returns its result.
    /// Core exceptions surface as they are; a stopped pipeline surfaces as PipelineStoppedException.
    /// </summary>
    protected T RunOnPipeline<T>(Func<RunEventWriter, CancellationToken, Task<T>> call)
    {
        var run = new BackgroundRun<T>(MyInvocation.MyCommand.Name, call, CancellationToken);
        // The call, and everything it awaits or starts, reads git through this pipeline's repositories.
        using (repositories?.Enter())
        {
            run.StartHere();
        }
        var events = run.Events;
        try
        {
            while (events.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                while (events.TryRead(out var item))
                {
                    WriteEvent(item);
                }
            }
        }
        catch (PipelineStoppedException)
        {
            // Ctrl+C: writing refuses at once, but the core is still stopping the agent's process tree
            // and recording the iteration as Cancelled. The pipeline ends only once that is done, so
            // nothing the command started outlives it.
            run.Completion.ContinueWith(_ => { }, TaskScheduler.Default).Wait(StopWait);
            throw;
        }
        try
        {
            return run.Completion.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
    }

    /// <summary>Writes one failed pipeline item as a non-terminating error.</summary>
    protected void WriteFailure(Exception error, object? input) => WriteError(ErrorRecords.From(error, input));

    private void WriteEvent(RunEvent item)
    {
        switch (item.Kind)
        {
            case RunEventKind.Progress:
                WriteProgress(progressActivityIds.Record(item.Progress!));
                break;
            case RunEventKind.Verbose:
                WriteVerbose(item.Message);
                break;
            case RunEventKind.Information:
                WriteInformation(RunEventRecords.Information(item, MyInvocation.MyCommand.Name));
                break;
            case RunEventKind.Warning:
                WriteWarning(item.Message);
                break;
            case RunEventKind.Output:
                WriteObject(item.Output, enumerateCollection: true);
                break;
            case RunEventKind.Error:
                WriteError(ErrorRecords.From(item.Error!, null));
                break;
        }
    }

    public void Dispose()
    {
        // A pipeline that stopped or failed never reaches EndProcessing.
        ReleasePipelineResources();
        cancellation.Dispose();
        GC.SuppressFinalize(this);
    }
}
