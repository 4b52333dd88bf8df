using System.Management.Automation;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Module.Commands;

/// <summary>Shows a session's changes (default: everything since it left the base, uncommitted and untracked included).</summary>
[Cmdlet(VerbsData.Compare, Nouns.Session, DefaultParameterSetName = IdParameterSet)]
[OutputType(typeof(SessionDiff))]
public sealed class CompareAmpSessionCommand : AmpSessionCmdlet
{
    /// <summary>Only what is staged (the index against HEAD).</summary>
    [Parameter]
    public SwitchParameter Staged { get; set; }

    /// <summary>Only what is not staged (the working tree, untracked files included, against the index).</summary>
    [Parameter]
    public SwitchParameter Unstaged { get; set; }

    /// <summary>Only the names and kinds of changed files, no hunks.</summary>
    [Parameter]
    public SwitchParameter NameOnly { get; set; }

    protected override void ProcessRecord() =>
        ForEachSession((session, events, ct) => Sessions.DiffAsync(session.Id, DiffScopes.FromSwitches(Staged, Unstaged), NameOnly, ct));
}
