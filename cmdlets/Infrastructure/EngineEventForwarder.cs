using System.Management.Automation.Runspaces;
using AmpSessions.Core.Events;

namespace AmpSessions.Module.Infrastructure;

/// <summary>
/// Raises the core's events as PowerShell engine events (AmpSessions.&lt;Type&gt;) in every runspace
/// that imported the module, so `Register-EngineEvent -SourceIdentifier AmpSessions.SessionCreated`
/// sees what this process's cmdlets and jobs do. An event is generated only where someone subscribed
/// to its source identifier, so the event queue of a runspace that never subscribes stays empty.
/// Events recorded by other processes are read with Get-AmpEvent -Follow.
/// </summary>
internal static class EngineEventForwarder
{
    private static readonly object Sync = new();
    private static readonly List<Runspace> Runspaces = [];

    public static void Attach(Runspace? runspace)
    {
        if (runspace is null)
        {
            return;
        }
        lock (Sync)
        {
            if (Runspaces.Contains(runspace))
            {
                return;
            }
            if (Runspaces.Count == 0)
            {
                EventHub.Published += Forward;
            }
            Runspaces.Add(runspace);
        }
    }

    public static void Detach(Runspace? runspace)
    {
        lock (Sync)
        {
            if (runspace is null || !Runspaces.Remove(runspace) || Runspaces.Count > 0)
            {
                return;
            }
            EventHub.Published -= Forward;
        }
    }

    private static void Forward(AmpEvent e, string dataRoot)
    {
        Runspace[] targets;
        lock (Sync)
        {
            Runspaces.RemoveAll(r => r.RunspaceStateInfo.State is RunspaceState.Closed or RunspaceState.Closing or RunspaceState.Broken);
            targets = [.. Runspaces];
        }
        foreach (var runspace in targets)
        {
            var manager = runspace.Events;
            bool subscribed;
            lock (manager.Subscribers)
            {
                subscribed = manager.Subscribers.Any(s => string.Equals(s.SourceIdentifier, e.SourceIdentifier, StringComparison.OrdinalIgnoreCase));
            }
            if (subscribed)
            {
                // The sender is the data directory, so a listener can tell stores apart; the event is the one argument.
                manager.GenerateEvent(e.SourceIdentifier, dataRoot, [e], null);
            }
        }
    }
}
