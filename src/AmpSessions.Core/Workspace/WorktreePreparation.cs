using AmpSessions.Core.Configuration;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Core.Workspace;

/// <summary>
/// Makes a new worktree ready to work in, right after git made it: the ignored files
/// `.worktreeinclude` names are copied from the main checkout, the session gets its block of ports,
/// and the configured setup command runs. A failed setup is a clear session state (Error, with the
/// log named), not a failed `new`; anything else that fails gives the ports back and lets `new`
/// undo the rest. The main checkout is only read.
/// </summary>
public static class WorktreePreparation
{
    public static async Task<Session> PrepareAsync(AmpContext context, Session session, NewSessionRequest request, CancellationToken cancellationToken)
    {
        var configuration = new ConfigurationService(context).Load(session.RepoRoot);
        var registry = PortRegistry.Folder(context.Options.EnvironmentVariables);
        try
        {
            var files = await WorktreeInclude.FilesAsync(session.RepoRoot, context.Options.GitExecutable, cancellationToken).ConfigureAwait(false);
            var copied = WorktreeInclude.Copy(session.RepoRoot, session.WorktreePath, files);
            if (configuration.Ports > 0)
            {
                var ports = await PortRegistry.ClaimAsync(registry, session, context.Data.Root, configuration.Ports, configuration.PortRange, cancellationToken).ConfigureAwait(false);
                // Recorded with the next write of the row (the setup's status below, or `new`'s Idle): a process that dies
                // before then leaves a claim whose worktree `new`'s undo or repair removes, which makes the claim stale.
                session = session with { Ports = ports };
            }
            var command = request.SkipSetup ? null : request.Setup ?? configuration.SetupCommand;
            if (string.IsNullOrWhiteSpace(command))
            {
                return session with { Status = SessionStatus.Idle, StatusMessage = null, UpdatedAt = context.Now };
            }
            // `new` holds the session lock until the session is ready: repair sees this Initializing session alive, however long the setup takes.
            session = session with { StatusMessage = $"setting up: {command}", UpdatedAt = context.Now };
            context.Sessions.Update(session);
            var setup = await SetupScript.RunAsync(context, session, command, configuration.SetupTimeout, copied, cancellationToken).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            return setup.Passed
                ? session with { Status = SessionStatus.Idle, StatusMessage = null, UpdatedAt = context.Now }
                : session with
                {
                    Status = SessionStatus.Error,
                    StatusMessage = $"setup `{command}` {setup.Describe()} (log: {setup.LogPath}); fix the cause and run it in the worktree, or clean up the session",
                    UpdatedAt = context.Now,
                };
        }
        catch
        {
            await PortRegistry.ReleaseAsync(registry, session, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Gives a session's ports back (cleanup): the block is free for the next session.</summary>
    public static Task ReleaseAsync(AmpContext context, Session session) =>
        PortRegistry.ReleaseAsync(PortRegistry.Folder(context.Options.EnvironmentVariables), session);
}
