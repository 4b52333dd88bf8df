using System.Management.Automation;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Module.Commands;

/// <summary>Reconciles sessions with Git's worktrees and writes what it found (and did) about each mismatch.</summary>
[Cmdlet(VerbsDiagnostic.Repair, Nouns.Session, SupportsShouldProcess = true)]
[OutputType(typeof(RepairFinding))]
public sealed class RepairAmpSessionCommand : AmpCmdlet
{
    private readonly HashSet<string> repaired = new(StringComparer.Ordinal);

    /// <summary>Only these repositories; by default every repository that has sessions.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("RepoRoot")]
    public string[]? RepoPath { get; set; }

    /// <summary>Re-create missing worktrees from their branches.</summary>
    [Parameter]
    public SwitchParameter Reattach { get; set; }

    /// <summary>Archive sessions whose worktree is missing (their branches are kept).</summary>
    [Parameter]
    public SwitchParameter ArchiveMissing { get; set; }

    /// <summary>Remove clean worktrees under .worktrees/ that no session owns.</summary>
    [Parameter]
    public SwitchParameter Prune { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var repo in RepoPath?.Select(ResolvePath) ?? [null])
        {
            // Sessions piped in share repositories: each is repaired once per pipeline.
            if (!repaired.Add(repo ?? "") || !ShouldProcess(repo ?? "every repository with sessions", "Repair sessions and worktrees"))
            {
                continue;
            }
            try
            {
                var report = RunOnPipeline((events, ct) => Sessions.RepairAsync(new RepairRequest
                {
                    RepoPath = repo,
                    Reattach = Reattach,
                    ArchiveMissing = ArchiveMissing,
                    Prune = Prune,
                }, ct));
                WriteObject(report.Findings, enumerateCollection: true);
            }
            catch (Exception ex) when (Infrastructure.ErrorRecords.IsPipelineItemFailure(ex))
            {
                WriteFailure(ex, repo);
            }
        }
    }
}
