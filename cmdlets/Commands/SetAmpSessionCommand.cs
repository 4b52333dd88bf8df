using System.Management.Automation;
using AmpSessions.Core.Sessions;
using AmpSessions.Module.Infrastructure;

namespace AmpSessions.Module.Commands;

/// <summary>Changes a session's settings (name, prompt, test script, model, agent, permissions, time limit, notes); an empty string clears a setting.</summary>
[Cmdlet(VerbsCommon.Set, Nouns.Session, SupportsShouldProcess = true, DefaultParameterSetName = IdParameterSet)]
[OutputType(typeof(Session))]
public sealed class SetAmpSessionCommand : AmpSessionCmdlet
{
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    [Parameter]
    [Alias("Script")]
    [AllowEmptyString]
    public string? ScriptCommand { get; set; }

    /// <summary>The shell that runs -ScriptCommand: sh, bash, pwsh or cmd; '' for the platform's (/bin/sh, cmd on Windows); '' clears it.</summary>
    [Parameter]
    [AllowEmptyString]
    [Infrastructure.ValidateScriptShell]
    [ArgumentCompleter(typeof(Completion.ScriptShellCompleter))]
    public string? ScriptShell { get; set; }

    [Parameter]
    [Alias("ModelOverride")]
    [AllowEmptyString]
    public string? Model { get; set; }

    [Parameter]
    [Alias("Mode")]
    [AllowEmptyString]
    public string? AgentMode { get; set; }

    [Parameter]
    [AllowEmptyString]
    public string? Notes { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Prompt { get; set; }

    [Parameter]
    [AllowEmptyString]
    public string? Agent { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? AllowTool { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? DisallowTool { get; set; }

    [Parameter]
    public bool? AllowAllTools { get; set; }

    /// <summary>$true: the guard lets the agent git push; $false: it denies pushes.</summary>
    [Parameter]
    public bool? AllowPush { get; set; }

    /// <summary>The time limit of one turn: seconds (600) or a TimeSpan (00:10:00), as Invoke-AmpIteration -Timeout; 0 clears it.</summary>
    [Parameter]
    [Alias("TimeoutSeconds")]
    [SecondsToTimeSpan]
    [ValidateNonNegativeTimeSpan]
    public TimeSpan? Timeout { get; set; }

    [Parameter]
    public bool? NotificationsEnabled { get; set; }

    [Parameter]
    public SwitchParameter NewThread { get; set; }

    /// <summary>The environment the session runs in; an empty string restores the configured default.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(Completion.ConfigNameCompleter))]
    public string? Environment { get; set; }

    /// <summary>The permission preset; an empty string restores the configured default.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(Completion.ConfigNameCompleter))]
    public string? Preset { get; set; }

    /// <summary>MCP servers by name, replacing the session's; an empty array removes them.</summary>
    [Parameter]
    [AllowEmptyCollection]
    [ArgumentCompleter(typeof(Completion.ConfigNameCompleter))]
    public string[]? McpServer { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Stop when the agent has used this many tokens (all kinds, summed); 0 removes the limit.</summary>
    [Parameter]
    [ValidateRange(0, long.MaxValue)]
    public long? BudgetTokens { get; set; }

    /// <summary>Stop when the tokens cost this many US dollars (priced by the configuration's prices); 0 removes the limit.</summary>
    [Parameter]
    [ValidateRange(0, 1_000_000)]
    public decimal? BudgetCost { get; set; }

    /// <summary>Stop after this many iterations; 0 removes the limit.</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int? BudgetIterations { get; set; }

    /// <summary>Stop when the agent turns and test scripts have run this long in all (a number is seconds); 0 removes the limit.</summary>
    [Parameter]
    [Infrastructure.SecondsToTimeSpan]
    public TimeSpan? BudgetTime { get; set; }

    protected override void ProcessRecord() =>
        ForEachSession((session, events, ct) => Sessions.UpdateAsync(session.Id, new SessionUpdate
        {
            Name = Name,
            Prompt = Prompt,
            ScriptCommand = ScriptCommand,
            ScriptShell = ScriptShell,
            ModelOverride = Model,
            AgentMode = AgentMode,
            Agent = Agent,
            Notes = Notes,
            AllowTools = AllowTool ?? [],
            DisallowTools = DisallowTool ?? [],
            AllowAllTools = AllowAllTools,
            AllowPush = AllowPush,
            Timeout = Timeout,
            NotificationsEnabled = NotificationsEnabled,
            NewThread = NewThread,
            BudgetTokens = BudgetTokens,
            BudgetCost = BudgetCost,
            BudgetIterations = BudgetIterations,
            BudgetTime = BudgetTime,
            Environment = Environment,
            Preset = Preset,
            McpServers = McpServer,
        }, ct), "Change settings", writeResult: PassThru);
}
