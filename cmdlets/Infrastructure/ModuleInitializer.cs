using System.Management.Automation;
using System.Runtime.CompilerServices;

namespace AmpSessions.Module.Infrastructure;

/// <summary>
/// Runs when pwsh imports the module: puts the module's dependencies in a load context of their
/// own (<see cref="DependencyLoadContext"/>), where the managed and native libraries beside
/// AmpSessions.dll are found (pwsh's deps.json knows nothing of them), then forwards the core's
/// events to the runspace's engine events; removing the module stops the forwarding.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    public void OnImport()
    {
        DependencyLoadContext.Install(Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)!);
        AttachEvents();
    }

    public void OnRemove(PSModuleInfo psModuleInfo) => DetachEvents();

    // Separate methods, so nothing that needs the core is compiled before the dependency context is installed.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void AttachEvents() => EngineEventForwarder.Attach(System.Management.Automation.Runspaces.Runspace.DefaultRunspace);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void DetachEvents() => EngineEventForwarder.Detach(System.Management.Automation.Runspaces.Runspace.DefaultRunspace);
}
