using System.Management.Automation;
using AmpSessions.Core.Templates;
using AmpSessions.Module.Completion;

namespace AmpSessions.Module.Commands;

/// <summary>Removes saved templates; sessions made from them are not affected.</summary>
[Cmdlet(VerbsCommon.Remove, Nouns.Template, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(SessionTemplate))]
public sealed class RemoveAmpTemplateCommand : AmpCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(TemplateNameCompleter))]
    public string[] Name { get; set; } = [];

    /// <summary>Write each removed template.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var templates = new TemplateService(Context);
        foreach (var name in Name)
        {
            if (!ShouldProcess($"template \"{name}\"", "Remove the template"))
            {
                continue;
            }
            try
            {
                var removed = templates.Remove(name);
                if (PassThru)
                {
                    WriteObject(removed);
                }
            }
            catch (Exception ex) when (Infrastructure.ErrorRecords.IsPipelineItemFailure(ex))
            {
                WriteFailure(ex, name);
            }
        }
    }
}
