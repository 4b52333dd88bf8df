using AmpSessions.Core.Git;
using AmpSessions.Core.Iterations;
using AmpSessions.Core.Sessions;
using AmpSessions.Core.Timeline;

namespace AmpSessions.Core.Demo;

/// <summary>What the demo did, for display.</summary>
public sealed record DemoResult
{
    public required string RepositoryPath { get; init; }
    public required Session Session { get; init; }
    public required IterationRecord Iteration { get; init; }
    public required SessionDiff Diff { get; init; }
    public required IReadOnlyList<TimelineEntry> Timeline { get; init; }
    /// <summary>The squash-and-merge into main; null when the iteration or its tests failed.</summary>
    public Integration.MergeResult? Merge { get; init; }
    /// <summary>The cleanup after the merge; null when nothing was merged.</summary>
    public CleanupResult? Cleanup { get; init; }
}

/// <summary>
/// The demo: a sample repository and one whole session on it (create, iterate with the demo agent,
/// test, diff, timeline, squash and merge into main, cleanup), through exactly the code paths a real
/// session takes.
/// </summary>
public sealed class DemoRunner
{
    public const string TestScript = "git grep --quiet \"export function greet\" -- src/greet.ts";

    private readonly AmpContext context;

    public DemoRunner(AmpContext context) => this.context = context;

    /// <summary>Creates the sample repository (a new folder) and runs a session on it with the given agent.</summary>
    public async Task<DemoResult> RunAsync(string directory, string agent, Action<IterationEvent>? onEvent = null, CancellationToken cancellationToken = default)
    {
        var repository = await CreateSampleRepositoryAsync(directory, cancellationToken).ConfigureAwait(false);
        var sessions = new SessionManager(context);
        var session = await sessions.CreateAsync(new NewSessionRequest
        {
            RepoPath = repository,
            BaseBranch = "main",
            Name = "Rename hello to greet",
            Prompt = "In src/greet.ts rename the function hello to greet.",
            ScriptCommand = TestScript,
            Agent = agent,
        }, cancellationToken).ConfigureAwait(false);
        var iteration = await new IterationRunner(context).RunAsync(new IterateRequest { Session = session.Id }, onEvent, cancellationToken).ConfigureAwait(false);
        var diff = await sessions.DiffAsync(session.Id, cancellationToken: cancellationToken).ConfigureAwait(false);
        var timeline = await new TimelineBuilder(context).BuildAsync(session.Id, cancellationToken).ConfigureAwait(false);
        Integration.MergeResult? merge = null;
        CleanupResult? cleanup = null;
        if (iteration.Status == IterationStatus.Succeeded && iteration.ScriptPassed == true)
        {
            merge = await new Integration.IntegrationService(context).MergeAsync(session.Id,
                new Integration.MergeOptions { Squash = true, Message = "Rename hello to greet" }, cancellationToken).ConfigureAwait(false);
            cleanup = await sessions.CleanupAsync(session.Id, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        return new DemoResult
        {
            RepositoryPath = repository,
            Session = sessions.Resolve(session.Id),
            Iteration = iteration,
            Diff = diff,
            Timeline = timeline,
            Merge = merge,
            Cleanup = cleanup,
        };
    }

    /// <summary>A small git repository with one commit on main: README.md and src/greet.ts.</summary>
    public async Task<string> CreateSampleRepositoryAsync(string directory, CancellationToken cancellationToken)
    {
        var root = Path.GetFullPath(directory);
        if (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any())
        {
            throw new Errors.AmpSessionsException("AmpDemoFolderNotEmpty", Errors.ErrorKind.InvalidArgument,
                $"The demo folder '{root}' is not empty: choose a new folder with --dir.", root);
        }
        Directory.CreateDirectory(Path.Combine(root, "src"));
        await File.WriteAllTextAsync(Path.Combine(root, "README.md"), "# AmpSessions demo\n\nA tiny project the demo agent works on.\n", cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(root, "src", "greet.ts"),
            "export function hello(name: string): string {\n  return `Hello, ${name}`\n}\n", cancellationToken).ConfigureAwait(false);
        var git = new GitClient(root, context.Options.GitExecutable);
        await git.RunAsync(["init", "--quiet", "--initial-branch=main"], cancellationToken: cancellationToken).ConfigureAwait(false);
        await git.StageAllAsync(cancellationToken).ConfigureAwait(false);
        await git.CommitAsync("Initial commit of the demo project\n", cancellationToken: cancellationToken).ConfigureAwait(false);
        return root;
    }
}
