using System.Management.Automation;
using AmpSessions.Core.Sessions;
using AmpSessions.Core.Templates;
using AmpSessions.Module.Completion;

namespace AmpSessions.Module.Commands;

/// <summary>Creates a session: a branch off the base and a worktree at &lt;repo&gt;/.worktrees/&lt;id&gt;.</summary>
[Cmdlet(VerbsCommon.New, Nouns.Session, SupportsShouldProcess = true)]
[OutputType(typeof(Session))]
[Alias("nams")]
public sealed class NewAmpSessionCommand : AmpCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary>What the agent should do; required unless -Template gives it.</summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(Completion.SlashPromptCompleter))]
    public string? Prompt { get; set; }

    /// <summary>Start from a saved template (New-AmpTemplate); the parameters given here win over it.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(TemplateNameCompleter))]
    public string? Template { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("RepoRoot")]
    public string? RepoPath { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Base")]
    [ArgumentCompleter(typeof(BranchCompleter))]
    public string? BaseBranch { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Script")]
    public string? ScriptCommand { get; set; }

    /// <summary>The shell that runs -ScriptCommand: sh, bash, pwsh or cmd; '' for the platform's (/bin/sh, cmd on Windows).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [AllowEmptyString]
    [Infrastructure.ValidateScriptShell]
    [ArgumentCompleter(typeof(ScriptShellCompleter))]
    public string? ScriptShell { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("ModelOverride")]
    public string? Model { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Mode")]
    public string? AgentMode { get; set; }

    [Parameter]
    [Alias("Branch")]
    public string? BranchName { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Notes { get; set; }

    /// <summary>The agent: a profile from the configuration, amp (the default), claude, or amp:, claude:, exec: followed by a command line.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ConfigNameCompleter))]
    public string? Agent { get; set; }

    /// <summary>Let the agent git push (the guard denies pushes otherwise).</summary>
    [Parameter]
    public SwitchParameter AllowPush { get; set; }

    /// <summary>Stop when the agent has used this many tokens (all kinds, summed).</summary>
    [Parameter]
    [ValidateRange(1, long.MaxValue)]
    public long? BudgetTokens { get; set; }

    /// <summary>Stop when the tokens cost this many US dollars (priced by the configuration's prices).</summary>
    [Parameter]
    [ValidateRange(0.0001, 1_000_000)]
    public decimal? BudgetCost { get; set; }

    /// <summary>Stop after this many iterations.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int? BudgetIterations { get; set; }

    /// <summary>Stop when the agent turns and test scripts have run this long in all (a number is seconds).</summary>
    [Parameter]
    [Infrastructure.SecondsToTimeSpan]
    [Infrastructure.ValidatePositiveTimeSpan]
    public TimeSpan? BudgetTime { get; set; }
    /// <summary>The environment the session runs in; default: the configured one.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ConfigNameCompleter))]
    public string? Environment { get; set; }

    /// <summary>The permission preset; default: the agent profile's, the environment's, or the configured one.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ConfigNameCompleter))]
    public string? Preset { get; set; }

    /// <summary>MCP servers from the configuration, by name.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ConfigNameCompleter))]
    public string[]? McpServer { get; set; }

    /// <summary>Run no setup command in the new worktree.</summary>
    [Parameter]
    public SwitchParameter NoSetup { get; set; }

    /// <summary>
    /// Best-of-N: make this many sessions of the task (one attempt group) and run their first iterations
    /// in parallel; the attempts are written, and the proposed one is named (Get-AmpAttempt compares them).
    /// </summary>
    [Parameter]
    [ValidateRange(2, Core.Attempts.AttemptService.MaxAttempts)]
    public int? Attempts { get; set; }

    /// <summary>Agents the attempts cycle through (without -Attempts: one attempt per agent).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? AttemptAgent { get; set; }

    /// <summary>Agent modes the attempts cycle through.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? AttemptMode { get; set; }

    /// <summary>With -Attempts: only create the attempts; compare them later with Get-AmpAttempt.</summary>
    [Parameter]
    public SwitchParameter NoRun { get; set; }

    private bool BestOfN => Attempts is not null || AttemptAgent is { Length: > 0 } || AttemptMode is { Length: > 0 };

    protected override void ProcessRecord()
    {
        try
        {
            var request = new NewSessionRequest
            {
                RepoPath = RepoPath is null ? "" : ResolvePath(RepoPath),
                BaseBranch = BaseBranch,
                Name = Name,
                Prompt = Prompt ?? "",
                ScriptCommand = ScriptCommand,
                ScriptShell = ScriptShell,
                ModelOverride = Model,
                AgentMode = AgentMode,
                BranchName = BranchName,
                Notes = Notes,
                Agent = Agent,
                AllowPush = AllowPush,
                Budget = new Core.Budgets.Budget { Tokens = BudgetTokens, CostUsd = BudgetCost, Iterations = BudgetIterations, Time = BudgetTime },
                Environment = Environment,
                Preset = Preset,
                McpServers = McpServer ?? [],
                SkipSetup = NoSetup,
            };
            if (Template is not null)
            {
                request = new TemplateService(Context).Apply(Template, request);
            }
            // No repository from the parameters or the template: the current location.
            request = request.RepoPath.Length == 0 ? request with { RepoPath = CurrentDirectory } : request;
            if (!ShouldProcess(request.RepoPath, $"Create {(BestOfN ? "the attempts of " : "")}session \"{Name}\" (a branch off {request.BaseBranch ?? "the current branch"} and a worktree under .worktrees)"))
            {
                return;
            }
            if (BestOfN)
            {
                var attempts = RunOnPipeline(async (events, ct) =>
                {
                    var service = new Core.Attempts.AttemptService(Context);
                    var comparison = await service.CreateAsync(new Core.Attempts.NewAttemptsRequest
                    {
                        Session = request,
                        Count = Attempts,
                        Agents = AttemptAgent ?? [],
                        Modes = AttemptMode ?? [],
                        Run = !NoRun,
                    }, finished => events.Verbose($"Attempt {finished.Iteration.SessionId}: iteration {finished.Iteration.Number} {finished.Iteration.Status}."), ct).ConfigureAwait(false);
                    if (!NoRun)
                    {
                        events.Information($"Attempt group {comparison.Group}: proposed {comparison.Reason}. Compare with Get-AmpAttempt -Id {comparison.Group}; keep one with Select-AmpAttempt.");
                    }
                    return service.Members(comparison.Group);
                });
                WriteObject(attempts, enumerateCollection: true);
                return;
            }
            var session = RunOnPipeline((events, ct) => Sessions.CreateAsync(request, ct));
            if (session.Status == SessionStatus.Error)
            {
                // Made, but its worktree's setup failed: the session says why and where the log is.
                WriteWarning($"Session {session.Id} was created, but {session.StatusMessage}.");
            }
            WriteObject(session);
        }
        catch (Exception ex) when (Infrastructure.ErrorRecords.IsPipelineItemFailure(ex))
        {
            WriteFailure(ex, Name);
        }
    }
}
