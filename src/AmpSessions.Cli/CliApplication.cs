using System.CommandLine;
using AmpSessions.Cli.Commands;
using AmpSessions.Core.Errors;

namespace AmpSessions.Cli;

/// <summary>The amp-sessions command tree, exit codes (0 ok, 1 failed, 2 usage, 130 cancelled) and one-line errors.</summary>
public static class CliApplication
{
    public const int Success = 0;
    public const int Failed = 1;
    public const int UsageError = 2;
    public const int Cancelled = 130;
    /// <summary>Everything ran, and the test script failed: a result, not an error (iterate and run alike).</summary>
    public const int TestsFailed = 3;

    /// <summary>The one mapping of a verdict to an exit code (see README, "Exit codes").</summary>
    public static int ExitCode(Core.Iterations.Verdict verdict) => verdict switch
    {
        Core.Iterations.Verdict.Passed => Success,
        Core.Iterations.Verdict.TestsFailed => TestsFailed,
        Core.Iterations.Verdict.Cancelled => Cancelled,
        _ => Failed,
    };

    /// <summary>--json: machine-readable output on stdout.</summary>
    public static readonly Option<bool> Json = new("--json") { Description = "Write machine-readable JSON (camelCase) to stdout.", Recursive = true };

    /// <summary>--data-dir: where the database and logs live.</summary>
    public static readonly Option<string?> DataDir = new("--data-dir")
    {
        Description = "The data directory (default: $AMP_SESSIONS_HOME, else the platform's app-data folder).",
        Recursive = true,
        HelpName = "path",
    };

    public static RootCommand Build()
    {
        var root = new RootCommand("amp-sessions: run Amp coding agents in isolated Git worktrees, one session per goal.");
        root.Options.Add(Json);
        root.Options.Add(DataDir);
        SessionCommands.AddTo(root);
        IterationCommands.AddTo(root);
        DemoCommands.AddTo(root);
        IntegrationCommands.AddTo(root);
        BatchCommands.AddTo(root);
        ConfigCommands.AddTo(root);
        EvalCommands.AddTo(root);
        BaselineCommands.AddTo(root);
        EventCommands.AddTo(root);
        QueueCommands.AddTo(root);
        AttemptCommands.AddTo(root);
        ContainmentCommands.AddTo(root);
        return root;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        // Spectre's console (CiRun.ConfigureConsole) is set up by the batch display, its only user: creating it
        // detects the terminal, which every other command would pay for nothing.
        var root = Build();
        var parseResult = root.Parse(args);
        if (parseResult.Errors.Count > 0)
        {
            foreach (var error in parseResult.Errors)
            {
                Console.Error.WriteLine($"amp-sessions: {error.Message}");
            }
            Console.Error.WriteLine($"Run `amp-sessions {CommandPath(parseResult)}--help` for usage.");
            return UsageError;
        }
        int exitCode;
        try
        {
            exitCode = await parseResult.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }).ConfigureAwait(false);
            // Events this command recorded reach the webhook before the process ends, if it answers soon; the rest go with a later command.
            await Core.Events.WebhookDelivery.DrainAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }
        finally
        {
            Commands.CommandContext.CloseStores();
        }
        if (Environment.GetEnvironmentVariable("AMP_SESSIONS_DEBUG") == "1")
        {
            WriteRepositoryOpens();
        }
        return exitCode;
    }

    /// <summary>Under AMP_SESSIONS_DEBUG=1: how often each repository was opened for in-process reads (a short read command opens each once).</summary>
    private static void WriteRepositoryOpens()
    {
        foreach (var (gitDir, counts) in Core.Git.RepositoryHandles.CountsByRepository())
        {
            Console.Error.WriteLine($"amp-sessions: debug: repository opened for in-process reads {counts.Opened} time{(counts.Opened == 1 ? "" : "s")}: {gitDir}");
        }
    }

    private static string CommandPath(ParseResult parseResult)
    {
        var names = new List<string>();
        for (var result = parseResult.CommandResult; result.Parent is System.CommandLine.Parsing.CommandResult parent; result = parent)
        {
            names.Insert(0, result.Command.Name);
        }
        return names.Count == 0 ? "" : string.Join(' ', names) + " ";
    }

    /// <summary>Runs one command body: errors become one stderr line (and a JSON error object with --json) and an exit code.</summary>
    public static async Task<int> GuardAsync(ParseResult parseResult, Func<Output, CancellationToken, Task<int>> body, CancellationToken cancellationToken)
    {
        var output = new Output(parseResult.GetValue(Json));
        try
        {
            return await body(output, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            output.Error("OperationCancelled", "cancelled.");
            return Cancelled;
        }
        catch (AmpSessionsException ex)
        {
            output.Error(ex.ErrorId, ex.Render(RemedyStyle.CommandLine));
            return ex.Kind == ErrorKind.InvalidArgument && ex.ErrorId.StartsWith("AmpUsage", StringComparison.Ordinal) ? UsageError : Failed;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            output.Error("AmpIoError", $"{ex.Message} (check the path and its permissions).");
            return Failed;
        }
        catch (Exception ex)
        {
            // A bug, not a user error: still one line, with the details behind AMP_SESSIONS_DEBUG=1.
            output.Error("AmpUnexpectedError", $"unexpected {ex.GetType().Name}: {ex.Message} (set AMP_SESSIONS_DEBUG=1 for details, and please report it).");
            if (Environment.GetEnvironmentVariable("AMP_SESSIONS_DEBUG") == "1")
            {
                Console.Error.WriteLine(ex);
            }
            return Failed;
        }
    }
}
