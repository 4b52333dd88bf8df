using System.Diagnostics;
using System.Reflection;
using System.Runtime.Loader;

namespace AmpSessions.Module.Tests;

/// <summary>
/// Loads the staged module the way pwsh does — into a load context with no deps.json that knows
/// its dependencies — lets the module's own resolver find them, and opens a real SQLite store
/// through the staged core: proof that the native e_sqlite3 library is found at import.
/// </summary>
[Collection(StagedModuleCollection.Name)]
public sealed class StagedLoadTests(StagedModule module) : IDisposable
{
    private readonly string dataDirectory = Path.Combine(Path.GetTempPath(), "amp-module-load-" + Guid.NewGuid().ToString("N")[..12]);

    public void Dispose()
    {
        if (Directory.Exists(dataDirectory))
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    [Fact]
    public void The_test_host_itself_cannot_load_the_core_so_the_load_below_proves_the_staged_folder()
    {
        Assert.Throws<FileNotFoundException>(() => AssemblyLoadContext.Default.LoadFromAssemblyName(new AssemblyName("AmpSessions.Core")));
        Assert.Throws<FileNotFoundException>(() => AssemblyLoadContext.Default.LoadFromAssemblyName(new AssemblyName("Microsoft.Data.Sqlite")));
    }

    [Fact]
    public void The_staged_core_opens_a_SQLite_store_with_dependencies_resolved_only_from_the_staged_folder()
    {
        var context = new AssemblyLoadContext("staged AmpSessions module");
        // Subscribed first and never resolving: records which native libraries the runtime could not find by itself.
        var unresolvedNative = new List<string>();
        context.ResolvingUnmanagedDll += (_, name) => { lock (unresolvedNative) { unresolvedNative.Add(name); } return IntPtr.Zero; };
        var moduleAssembly = context.LoadFromAssemblyPath(module.StagedFile("AmpSessions.dll"));
        // What ModuleInitializer.OnImport does when pwsh imports the module.
        var resolverType = moduleAssembly.GetType("AmpSessions.Module.Infrastructure.ModuleDependencyResolver", throwOnError: true)!;
        var resolver = Activator.CreateInstance(resolverType, module.Directory)!;
        resolverType.GetMethod("Attach")!.Invoke(resolver, [context]);

        var core = context.LoadFromAssemblyName(new AssemblyName("AmpSessions.Core"));
        Assert.Equal(module.StagedFile("AmpSessions.Core.dll"), core.Location);

        var ampContext = core.GetType("AmpSessions.Core.AmpContext", throwOnError: true)!
            .GetMethod("Open", [typeof(string)])!.Invoke(null, [dataDirectory])!;
        var store = ampContext.GetType().GetProperty("Sessions")!.GetValue(ampContext)!;
        var session = NewSession(core);
        store.GetType().GetMethod("Insert")!.Invoke(store, [session]);
        var stored = store.GetType().GetMethod("Get")!.Invoke(store, ["loadtest"]);

        Assert.NotNull(stored);
        Assert.Equal("Load test", stored.GetType().GetProperty("Name")!.GetValue(stored));
        Assert.True(File.Exists(Path.Combine(dataDirectory, "amp-sessions.db")));
        foreach (var dependency in new[] { "Microsoft.Data.Sqlite", "SQLitePCLRaw.core", "SQLitePCLRaw.provider.e_sqlite3" })
        {
            var loaded = context.Assemblies.Single(a => a.GetName().Name == dependency);
            Assert.Equal(module.StagedFile(dependency + ".dll"), loaded.Location);
        }
        // The runtime found no e_sqlite3 on its own (no deps.json names it), so the module's resolver supplied it.
        Assert.Contains("e_sqlite3", unresolvedNative);
        if (OperatingSystem.IsLinux() || OperatingSystem.IsWindows())
        {
            var nativeFolder = Path.Combine(module.Directory, "runtimes") + Path.DirectorySeparatorChar;
            Assert.Contains(Process.GetCurrentProcess().Modules.Cast<ProcessModule>(),
                m => m.FileName.StartsWith(nativeFolder, StringComparison.OrdinalIgnoreCase) && m.ModuleName.Contains("e_sqlite3", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void The_resolver_finds_this_platforms_native_library_and_the_managed_dependencies_in_the_staged_folder()
    {
        var context = new AssemblyLoadContext("staged AmpSessions resolver", isCollectible: true);
        try
        {
            var moduleAssembly = context.LoadFromAssemblyPath(module.StagedFile("AmpSessions.dll"));
            var resolverType = moduleAssembly.GetType("AmpSessions.Module.Infrastructure.ModuleDependencyResolver", throwOnError: true)!;
            var resolver = Activator.CreateInstance(resolverType, module.Directory)!;

            var native = (string?)resolverType.GetMethod("FindNativeLibrary")!.Invoke(resolver, ["e_sqlite3"]);
            Assert.NotNull(native);
            Assert.StartsWith(Path.Combine(module.Directory, "runtimes"), native, StringComparison.Ordinal);
            Assert.True(File.Exists(native));

            var managed = (string?)resolverType.GetMethod("FindManagedAssembly")!.Invoke(resolver, [new AssemblyName("YamlDotNet")]);
            Assert.Equal(module.StagedFile("YamlDotNet.dll"), managed);
            Assert.Null(resolverType.GetMethod("FindManagedAssembly")!.Invoke(resolver, [new AssemblyName("System.Management.Automation")]));
            Assert.Null(resolverType.GetMethod("FindManagedAssembly")!.Invoke(resolver, [new AssemblyName("YamlDotNet, Version=999.0.0.0")]));
        }
        finally
        {
            context.Unload();
        }
    }

    private static object NewSession(Assembly core)
    {
        var type = core.GetType("AmpSessions.Core.Sessions.Session", throwOnError: true)!;
        var session = Activator.CreateInstance(type)!;
        void Set(string name, object value) => type.GetProperty(name)!.SetValue(session, value);
        var now = DateTimeOffset.UtcNow;
        Set("Id", "loadtest");
        Set("Name", "Load test");
        Set("Prompt", "prove that SQLite loads");
        Set("RepoRoot", "/repo");
        Set("BaseBranch", "main");
        Set("BaseCommit", new string('a', 40));
        Set("BranchName", "amp/load-test/20250101-000000");
        Set("WorktreePath", "/repo/.worktrees/loadtest");
        Set("Status", Enum.Parse(core.GetType("AmpSessions.Core.Sessions.SessionStatus", throwOnError: true)!, "Idle"));
        Set("CreatedAt", now);
        Set("UpdatedAt", now);
        return session;
    }
}
