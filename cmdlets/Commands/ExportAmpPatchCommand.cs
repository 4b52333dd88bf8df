using System.Management.Automation;
using AmpSessions.Core.Integration;

namespace AmpSessions.Module.Commands;

/// <summary>Writes a session's committed change as a patch file that `git am` applies on the base; no ref, index or file of the repository changes.</summary>
[Cmdlet(VerbsData.Export, Nouns.Patch, SupportsShouldProcess = true, DefaultParameterSetName = IdParameterSet)]
[OutputType(typeof(ExportResult))]
public sealed class ExportAmpPatchCommand : AmpSessionCmdlet
{
    /// <summary>The patch file, or a folder for it; relative to the current location, which is also the default folder.</summary>
    [Parameter]
    [Alias("Path")]
    [ValidateNotNullOrEmpty]
    public string? OutputPath { get; set; }

    /// <summary>One patch per session commit instead of one patch of the whole change.</summary>
    [Parameter]
    public SwitchParameter AllCommits { get; set; }

    protected override void ProcessRecord()
    {
        // Relative to PowerShell's location, not the process's; with no path the core names the file in that folder.
        var target = ResolvePath(OutputPath ?? CurrentDirectory);
        ForEachSession((session, events, ct) => new IntegrationService(Context).ExportPatchAsync(session.Id, target, squashed: !AllCommits, ct),
            $"Write {(AllCommits ? "one patch per commit" : "the change as one patch")} to {target}");
    }
}
