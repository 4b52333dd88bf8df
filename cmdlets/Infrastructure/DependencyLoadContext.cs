using System.Reflection;
using System.Runtime.Loader;

namespace AmpSessions.Module.Infrastructure;

/// <summary>
/// The load context of the module's dependencies: AmpSessions.Core and everything it brings
/// (YamlDotNet, Microsoft.Data.Sqlite, LibGit2Sharp, CliWrap and their native libraries) load here,
/// not in pwsh's default context, so another module's version of the same library (powershell-yaml's
/// YamlDotNet 11, say) and ours load side by side in either order. AmpSessions.dll stays in the
/// default context (PowerShell loads cmdlets there) and reaches the core through
/// <see cref="ResolveFromDefault"/>; one instance serves the process, across Remove-Module and
/// Import-Module, since an assembly loaded into the default context is never unloaded.
/// </summary>
internal sealed class DependencyLoadContext : AssemblyLoadContext
{
    private static readonly object Sync = new();
    private static DependencyLoadContext? instance;

    private readonly ModuleDependencyResolver resolver;

    private DependencyLoadContext(ModuleDependencyResolver resolver)
        : base("AmpSessions dependencies")
    {
        this.resolver = resolver;
    }

    /// <summary>Creates the context once and lets the default context find the module's dependencies in it.</summary>
    public static void Install(string moduleDirectory)
    {
        lock (Sync)
        {
            if (instance is not null)
            {
                return;
            }
            instance = new DependencyLoadContext(new ModuleDependencyResolver(moduleDirectory));
            Default.Resolving += ResolveFromDefault;
        }
    }

    // Only what the module's folder ships, and never the module assembly itself.
    private static Assembly? ResolveFromDefault(AssemblyLoadContext context, AssemblyName name) =>
        instance is { } dependencies && name.Name is not (null or "AmpSessions") && dependencies.resolver.FindManagedAssembly(name) is not null
            ? dependencies.LoadFromAssemblyName(name)
            : null;

    protected override Assembly? Load(AssemblyName name) =>
        resolver.FindManagedAssembly(name) is { } path ? LoadFromAssemblyPath(path) : null;

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName) =>
        resolver.FindNativeLibrary(unmanagedDllName) is { } path ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;
}
