namespace AmpSessions.Core.Errors;

/// <summary>
/// An operation a user can run to get past an error. Each front end names it its own way
/// (<see cref="RemedyStyle.CommandLine"/>: <c>amp-sessions set</c>; <see cref="RemedyStyle.PowerShell"/>:
/// <c>Set-AmpSession</c>); messages name the operation, never a front end's command.
/// </summary>
public enum Operation
{
    ListSessions,
    ShowSession,
    NewSession,
    SetSession,
    Iterate,
    ListIterations,
    Commit,
    Rebase,
    Cleanup,
    Repair,
    ListBackups,
    Restore,
    ListBatches,
    RunBatch,
    ResumeBatch,
    StopBatch,
    ValidateBatch,
    /// <summary>Check the configuration files, listing every problem.</summary>
    ValidateConfig,
    /// <summary>Acknowledge that an agent changed the main checkout, unblocking the session.</summary>
    Acknowledge,
    /// <summary>Compare (and with Keep, choose among) the attempts of a best-of-N group.</summary>
    CompareAttempts,
    /// <summary>What a session's agent turn will get: argv, environment, files (secrets masked).</summary>
    ShowRunEnvironment,
    /// <summary>The slash commands a repository has.</summary>
    ListSlashCommands,
    /// <summary>Every configuration key's effective value and the file it comes from.</summary>
    ListConfig,
    /// <summary>Record a session's test baseline on its base commit.</summary>
    RecordTestBaseline,
    /// <summary>Set one key of the user's (or the repository's) configuration file.</summary>
    SetConfig,
}

/// <summary>A parameter of an <see cref="Operation"/>, named once for both front ends (<c>--base</c> / <c>-BaseBranch</c>).</summary>
public enum Parameter
{
    Base,
    Branch,
    Name,
    Repo,
    Script,
    Agent,
    AllowTool,
    AllowAllTools,
    Message,
    Onto,
    Continue,
    Abort,
    NoRebase,
    PrScript,
    Force,
    Reattach,
    ArchiveMissing,
    Prune,
    Backup,
    Output,
    Editor,
    DataDirectory,
    Timeout,
    /// <summary>The file an operation reads (a batch file): positional on the command line.</summary>
    Path,
    /// <summary>The agent mode.</summary>
    Mode,
    Attempts,
    Keep,
    BudgetTokens,
    BudgetCost,
    BudgetIterations,
    BudgetTime,
    /// <summary>The environment a session or turn runs in.</summary>
    Environment,
    /// <summary>The permission preset.</summary>
    Preset,
    /// <summary>A configuration key (prices.amp.input): positional on the command line.</summary>
    ConfigKey,
    /// <summary>A configuration key's value: positional on the command line.</summary>
    ConfigValue,
}

/// <summary>A parameter with its value (null for a switch). A bare <see cref="Parameter"/> converts to a switch.</summary>
public readonly record struct Argument(Parameter Parameter, string? Value = null)
{
    public static implicit operator Argument(Parameter parameter) => new(parameter);
}

/// <summary>
/// One command line to suggest: an operation, the session or batch it acts on, and its arguments.
/// Put it in a remedy's interpolated text: <c>$"set one with {Invocation.Of(Operation.SetSession, id, new(Parameter.Script, "&lt;command&gt;"))}"</c>.
/// </summary>
public sealed record Invocation(Operation Operation, string? Target, IReadOnlyList<Argument> Arguments)
{
    public static Invocation Of(Operation operation, string? target = null, params Argument[] arguments) => new(operation, target, arguments);

    /// <summary>The command-line rendering, so an invocation formatted without a style still reads as a command.</summary>
    public override string ToString() => RemedyStyle.CommandLine.Render(this);
}
