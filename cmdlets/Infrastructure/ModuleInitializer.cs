using System.Management.Automation;

namespace AmpSessions.Module.Infrastructure;

/// <summary>
/// Runs when pwsh imports the module: puts the module's dependencies in a load context of their
/// own (<see cref="DependencyLoadContext"/>), where the managed and native libraries beside
/// AmpSessions.dll are found (pwsh's deps.json knows nothing of them).
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer
{
    public void OnImport() => DependencyLoadContext.Install(Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)!);
}
