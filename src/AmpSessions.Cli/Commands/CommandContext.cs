using System.CommandLine;
using AmpSessions.Core;
using AmpSessions.Core.Git;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Cli.Commands;

/// <summary>Small helpers every command shares: opening the store and declaring common arguments.</summary>
internal static class CommandContext
{
    private static readonly System.Collections.Concurrent.ConcurrentBag<AmpContext> opened = [];

    /// <summary>The store for this command, its connections shared until <see cref="CloseStores"/> (one process, one command).</summary>
    public static AmpContext OpenContext(ParseResult parseResult)
    {
        var context = AmpContext.Open(new AmpContextOptions { DataDirectory = parseResult.GetValue(CliApplication.DataDir), ShareStoreConnections = true });
        opened.Add(context);
        return context;
    }

    /// <summary>When the command is done: closes what the stores kept open (the last close checkpoints the WAL into the file).</summary>
    public static void CloseStores()
    {
        while (opened.TryTake(out var context))
        {
            context.Database.EndSharedConnections();
        }
    }

    public static SessionManager Sessions(ParseResult parseResult) => new(OpenContext(parseResult));

    public static Argument<string> SessionArgument() => new("session")
    {
        Description = "The session: its id, a unique prefix of the id, or its name.",
    };

    /// <summary>Adds a command whose body is guarded (errors to one stderr line, exit codes).</summary>
    public static Command Add(this Command parent, string name, string description, Func<ParseResult, Output, CancellationToken, Task<int>> body, params Symbol[] symbols)
    {
        var command = new Command(name, description);
        foreach (var symbol in symbols)
        {
            switch (symbol)
            {
                case Argument argument: command.Arguments.Add(argument); break;
                case Option option: command.Options.Add(option); break;
            }
        }
        command.SetAction((parseResult, cancellationToken) =>
            CliApplication.GuardAsync(parseResult, (output, ct) => body(parseResult, output, ct), cancellationToken));
        parent.Subcommands.Add(command);
        return command;
    }

    /// <summary>
    /// Adds a short read-only command (status, diff, timeline): its in-process git reads share one open repository per
    /// repository (a <see cref="RepositoryHandles"/> scope) for the command's life instead of opening it for every read.
    /// Not for commands that run agents, scripts or other long work (iterate, run, batch, merge, watch): they would keep
    /// repositories open meanwhile, and on Windows an open repository can keep its worktree from being removed.
    /// </summary>
    public static Command AddShortRead(this Command parent, string name, string description, Func<ParseResult, Output, CancellationToken, Task<int>> body, params Symbol[] symbols) =>
        parent.Add(name, description, async (parseResult, output, cancellationToken) =>
        {
            using var repositories = RepositoryHandles.Share();
            return await body(parseResult, output, cancellationToken).ConfigureAwait(false);
        }, symbols);

    public static string Short(string? sha) => sha is { Length: >= 7 } ? sha[..7] : sha ?? "-";
}
