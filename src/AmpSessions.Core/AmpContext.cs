using AmpSessions.Core.Storage;

namespace AmpSessions.Core;

/// <summary>Options for opening the product's state; tests and front ends override what they need.</summary>
public sealed record AmpContextOptions
{
    /// <summary>The data directory; null uses AMP_SESSIONS_HOME or the platform default.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>How long a database write waits for other processes.</summary>
    public TimeSpan? DatabaseBusyTimeout { get; init; }

    /// <summary>
    /// Shares the store's connections from the schema check on, until <see cref="Database.EndSharedConnections"/>: for a
    /// process that runs one command (the CLI). Otherwise the connection that checked the schema closes, and as the last
    /// one it checkpoints the WAL and deletes it and the shared-memory file, which the command's first query creates
    /// again. A front end that lives on between commands (PowerShell) shares per pipeline instead.
    /// </summary>
    public bool ShareStoreConnections { get; init; }

    /// <summary>The clock; tests fix it.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>Makes new session ids; tests fix it to provoke collisions.</summary>
    public Func<string>? SessionIdGenerator { get; init; }

    /// <summary>The git executable.</summary>
    public string GitExecutable { get; init; } = "git";

    /// <summary>The guard's delegate program; null: found as GuardLauncher describes.</summary>
    public string? GuardProgram { get; init; }

    /// <summary>Reads this process's environment (CI, AMP_SESSIONS_AGENT, the variables MCP secrets reference); tests fix it.</summary>
    public Func<string, string?> EnvironmentVariables { get; init; } = Environment.GetEnvironmentVariable;
}

/// <summary>
/// The resolved data directory and store, opened once per command (or once per PowerShell
/// pipeline) and shared by every core operation.
/// </summary>
public sealed class AmpContext
{
    private AmpContext(DataDirectory data, Database database, AmpContextOptions options)
    {
        Data = data;
        Database = database;
        Options = options;
        Events = new Events.EventLog(database, data.Root, options.Clock);
        Sessions = new SessionStore(database, Events);
        Iterations = new IterationStore(database);
        Templates = new TemplateStore(database);
    }

    public DataDirectory Data { get; }
    public Database Database { get; }
    public AmpContextOptions Options { get; }
    public SessionStore Sessions { get; }
    /// <summary>The data directory's event log: what happened, for `events --follow`, engine events and the webhook.</summary>
    public Events.EventLog Events { get; }
    public IterationStore Iterations { get; }
    public TemplateStore Templates { get; }
    public TimeProvider Clock => Options.Clock;

    public static AmpContext Open(AmpContextOptions? options = null)
    {
        options ??= new AmpContextOptions();
        var data = DataDirectory.Open(options.DataDirectory);
        var database = Database.Open(data.DatabasePath, options.DatabaseBusyTimeout, options.ShareStoreConnections);
        return new AmpContext(data, database, options);
    }

    public static AmpContext Open(string? dataDirectory) => Open(new AmpContextOptions { DataDirectory = dataDirectory });

    public DateTimeOffset Now => Clock.GetUtcNow();
}
