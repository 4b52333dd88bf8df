using System.Management.Automation;
using AmpSessions.Core.Templates;
using AmpSessions.Module.Completion;

namespace AmpSessions.Module.Commands;

/// <summary>Saves a template: a prompt with its repository, base, script, model and mode, for New-AmpSession -Template. A template of the same name is replaced.</summary>
[Cmdlet(VerbsCommon.New, Nouns.Template, SupportsShouldProcess = true)]
[OutputType(typeof(SessionTemplate))]
public sealed class NewAmpTemplateCommand : AmpCmdlet
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

    /// <summary>The environment its sessions run in.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ConfigNameCompleter))]
    public string? Environment { get; set; }

    /// <summary>The agent profile (or agent) its sessions use.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ConfigNameCompleter))]
    public string? Agent { get; set; }

    /// <summary>The permission preset its sessions use.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ConfigNameCompleter))]
    public string? Preset { get; set; }

    /// <summary>MCP servers its sessions use, by name.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ConfigNameCompleter))]
    public string[]? McpServer { get; set; }

    /// <summary>The setup command for its sessions' new worktrees, instead of the configured one.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Setup { get; set; }

    protected override void ProcessRecord()
    {
        if (!ShouldProcess($"template \"{Name}\"", "Save the template (replacing one of the same name)"))
        {
            return;
        }
        try
        {
            WriteObject(new TemplateService(Context).Save(Name, Prompt, string.IsNullOrWhiteSpace(RepoPath) ? null : ResolvePath(RepoPath), BaseBranch,
                ScriptCommand, Model, AgentMode, Environment, Agent, Preset, McpServer, Setup));
        }
        catch (Exception ex) when (Infrastructure.ErrorRecords.IsPipelineItemFailure(ex))
        {
            WriteFailure(ex, Name);
        }
    }
}
