using System.CommandLine;
using AmpSessions.Core;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Cli.Commands;

/// <summary>Small helpers every command shares: opening the store and declaring common arguments.</summary>
internal static class CommandContext
{
    public static AmpContext OpenContext(ParseResult parseResult) => AmpContext.Open(parseResult.GetValue(CliApplication.DataDir));

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

    public static string Short(string? sha) => sha is { Length: >= 7 } ? sha[..7] : sha ?? "-";
}
