using System.Management.Automation;
using AmpSessions.Core.Sessions;
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

    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Prompt { get; set; } = "";

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

    protected override void ProcessRecord()
    {
        var repo = ResolvePath(RepoPath ?? CurrentDirectory);
        if (!ShouldProcess(repo, $"Create session \"{Name}\" (a branch off {BaseBranch ?? "the current branch"} and a worktree under .worktrees)"))
        {
            return;
        }
        try
        {
            WriteObject(RunOnPipeline((events, ct) => Sessions.CreateAsync(new NewSessionRequest
            {
                RepoPath = repo,
                BaseBranch = BaseBranch,
                Name = Name,
                Prompt = Prompt,
                ScriptCommand = ScriptCommand,
                ModelOverride = Model,
                AgentMode = AgentMode,
                BranchName = BranchName,
                Notes = Notes,
            }, ct)));
        }
        catch (Exception ex) when (Infrastructure.ErrorRecords.IsPipelineItemFailure(ex))
        {
            WriteFailure(ex, Name);
        }
    }
}
