using System.Management.Automation;
using AmpSessions.Core.Templates;
using AmpSessions.Module.Completion;

namespace AmpSessions.Module.Commands;

/// <summary>Gets saved templates: all of them (by name), or by name or wildcard.</summary>
[Cmdlet(VerbsCommon.Get, Nouns.Template)]
[OutputType(typeof(SessionTemplate))]
public sealed class GetAmpTemplateCommand : AmpCmdlet
{
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(TemplateNameCompleter))]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        var templates = new TemplateService(Context);
        foreach (var name in Name ?? ["*"])
        {
            try
            {
                // A pattern filters quietly; a plain name is one template and an error when there is none.
                WriteObject(WildcardPattern.ContainsWildcardCharacters(name)
                    ? templates.List().Where(t => WildcardPattern.Get(name, WildcardOptions.IgnoreCase).IsMatch(t.Name)).ToArray()
                    : [templates.Get(name)], enumerateCollection: true);
            }
            catch (Exception ex) when (Infrastructure.ErrorRecords.IsPipelineItemFailure(ex))
            {
                WriteFailure(ex, name);
            }
        }
    }
}
