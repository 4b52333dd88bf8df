using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace AmpSessions.Module.Infrastructure;

/// <summary>
/// Finds the module's own dependencies in its folder when the host cannot: pwsh's deps.json
/// knows nothing of them. Managed assemblies sit beside AmpSessions.dll; native libraries (SQLite's
/// e_sqlite3) under runtimes/&lt;rid&gt;/native/. Deliberately free of PowerShell types so it can
/// run before anything else of the module is loaded, and in a test's load context.
/// </summary>
public sealed class ModuleDependencyResolver
{
    public ModuleDependencyResolver(string moduleDirectory)
    {
        ModuleDirectory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(moduleDirectory));
    }

    public string ModuleDirectory { get; }

    /// <summary>The file of a managed assembly the module ships, when its version is at least the one asked for.</summary>
    public string? FindManagedAssembly(AssemblyName name)
    {
        if (string.IsNullOrEmpty(name.Name) || !string.IsNullOrEmpty(name.CultureName))
        {
            return null;
        }
        var path = Path.Combine(ModuleDirectory, name.Name + ".dll");
        if (!File.Exists(path))
        {
            return null;
        }
        var found = AssemblyName.GetAssemblyName(path);
        return name.Version is null || found.Version >= name.Version ? path : null;
    }

    /// <summary>The native library file for this platform, trying the most specific runtime folder first.</summary>
    public string? FindNativeLibrary(string libraryName)
    {
        foreach (var rid in RuntimeIdentifierCandidates())
        {
            foreach (var file in NativeFileNameCandidates(libraryName))
            {
                var path = Path.Combine(ModuleDirectory, "runtimes", rid, "native", file);
                if (File.Exists(path))
                {
                    return path;
                }
            }
        }
        return null;
    }

    /// <summary>Resolves the module's dependencies in the given load context (the one pwsh loaded the module into).</summary>
    public void Attach(AssemblyLoadContext context)
    {
        context.Resolving += ResolveManaged;
        context.ResolvingUnmanagedDll += ResolveNative;
    }

    public void Detach(AssemblyLoadContext context)
    {
        context.Resolving -= ResolveManaged;
        context.ResolvingUnmanagedDll -= ResolveNative;
    }

    private Assembly? ResolveManaged(AssemblyLoadContext context, AssemblyName name) =>
        FindManagedAssembly(name) is { } path ? context.LoadFromAssemblyPath(path) : null;

    private IntPtr ResolveNative(Assembly requester, string libraryName)
    {
        // Only for the module's own assemblies: other modules in the same process resolve their own.
        if (string.IsNullOrEmpty(requester.Location) || !IsInModuleDirectory(requester.Location))
        {
            return IntPtr.Zero;
        }
        return FindNativeLibrary(libraryName) is { } path && NativeLibrary.TryLoad(path, out var handle) ? handle : IntPtr.Zero;
    }

    private bool IsInModuleDirectory(string file) =>
        string.Equals(Path.GetDirectoryName(Path.GetFullPath(file)), ModuleDirectory,
            OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

    /// <summary>Runtime folders to try, most specific first: e.g. linux-musl-x64 then linux-x64 on Alpine.</summary>
    public static IReadOnlyList<string> RuntimeIdentifierCandidates()
    {
        var architecture = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => "x64",
            Architecture.X86 => "x86",
            Architecture.Arm64 => "arm64",
            Architecture.Arm => "arm",
            var other => other.ToString().ToLowerInvariant(),
        };
        if (OperatingSystem.IsWindows())
        {
            return [$"win-{architecture}"];
        }
        if (OperatingSystem.IsMacOS())
        {
            return [$"osx-{architecture}"];
        }
        return IsMusl() ? [$"linux-musl-{architecture}", $"linux-{architecture}"] : [$"linux-{architecture}"];
    }

    /// <summary>File names a library may have on this platform (e_sqlite3 → libe_sqlite3.so on Linux).</summary>
    public static IReadOnlyList<string> NativeFileNameCandidates(string libraryName)
    {
        var (prefix, extension) = OperatingSystem.IsWindows() ? ("", ".dll") : OperatingSystem.IsMacOS() ? ("lib", ".dylib") : ("lib", ".so");
        var names = new List<string>();
        if (Path.HasExtension(libraryName))
        {
            names.Add(libraryName);
        }
        names.Add(libraryName + extension);
        if (!libraryName.StartsWith(prefix, StringComparison.Ordinal))
        {
            names.Add(prefix + libraryName + extension);
        }
        return names;
    }

    // The runtime identifier of a musl build names it; a glibc-built host on Alpine does not run at all.
    private static bool IsMusl() =>
        RuntimeInformation.RuntimeIdentifier.Contains("musl", StringComparison.OrdinalIgnoreCase)
        || File.Exists("/etc/alpine-release");
}
