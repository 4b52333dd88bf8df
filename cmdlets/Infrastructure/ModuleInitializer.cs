using System.Management.Automation;
using System.Runtime.Loader;

namespace AmpSessions.Module.Infrastructure;

/// <summary>
/// Runs when pwsh imports the module: teaches the load context that holds AmpSessions.dll where the
/// module's managed and native dependencies are, and forgets it again when the module is removed.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    private static readonly object Sync = new();
    private static ModuleDependencyResolver? resolver;

    public void OnImport()
    {
        EngineEventForwarder.Attach(System.Management.Automation.Runspaces.Runspace.DefaultRunspace);
        lock (Sync)
        {
            // Import-Module may run this more than once (nested imports, -Force).
            if (resolver is not null)
            {
                return;
            }
            var assembly = typeof(ModuleInitializer).Assembly;
            resolver = new ModuleDependencyResolver(Path.GetDirectoryName(assembly.Location)!);
            resolver.Attach(AssemblyLoadContext.GetLoadContext(assembly) ?? AssemblyLoadContext.Default);
        }
    }

    public void OnRemove(PSModuleInfo psModuleInfo)
    {
        EngineEventForwarder.Detach(System.Management.Automation.Runspaces.Runspace.DefaultRunspace);
        lock (Sync)
        {
            if (resolver is null)
            {
                return;
            }
            var assembly = typeof(ModuleInitializer).Assembly;
            resolver.Detach(AssemblyLoadContext.GetLoadContext(assembly) ?? AssemblyLoadContext.Default);
            resolver = null;
        }
    }
}
