using System.Reflection;
using System.Runtime.InteropServices;

namespace AmpSessions.Module.Tests;

/// <summary>
/// The staged module folder, read with MetadataLoadContext (nothing of it runs): the compiled
/// cmdlets with their PowerShell attributes, and the paths of everything the folder holds.
/// </summary>
public sealed class StagedModule : IDisposable
{
    public const string ModuleName = "AmpSessions";

    private static string Metadata(string key) =>
        typeof(StagedModule).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    public StagedModule()
    {
        RepositoryRoot = Path.GetFullPath(Metadata("RepositoryRoot"));
        Version = Metadata("ModuleVersion");
        Directory = Path.Combine(RepositoryRoot, "out", ModuleName, Version);
        Assert.True(System.IO.Directory.Exists(Directory),
            $"The staged module folder {Directory} does not exist: build cmdlets/AmpSessions.Module.csproj (dotnet build) first.");
        PowerShellReferenceAssembly = Path.GetFullPath(Metadata("PowerShellReferenceAssembly"));

        // The staged assemblies, PowerShell's reference assembly (pwsh provides it) and the framework.
        var paths = System.IO.Directory.GetFiles(Directory, "*.dll")
            .Append(PowerShellReferenceAssembly)
            .Concat(System.IO.Directory.GetFiles(RuntimeEnvironment.GetRuntimeDirectory(), "*.dll"));
        Context = new MetadataLoadContext(new PathAssemblyResolver(paths));
        Assembly = Context.LoadFromAssemblyPath(Path.Combine(Directory, ModuleName + ".dll"));
        Core = Context.LoadFromAssemblyPath(Path.Combine(Directory, "AmpSessions.Core.dll"));
        Cmdlets = Assembly.GetExportedTypes()
            .Where(t => t.CustomAttributes.Any(a => a.AttributeType.FullName == PowerShellTypes.CmdletAttribute))
            .Select(t => new CompiledCmdlet(t))
            .OrderBy(c => c.Name, StringComparer.Ordinal)
            .ToArray();
    }

    public string RepositoryRoot { get; }
    public string Version { get; }
    public string Directory { get; }
    public string PowerShellReferenceAssembly { get; }
    public MetadataLoadContext Context { get; }
    public Assembly Assembly { get; }
    public Assembly Core { get; }
    public IReadOnlyList<CompiledCmdlet> Cmdlets { get; }

    public string StagedFile(params string[] parts) => Path.Combine([Directory, .. parts]);

    public string RepositoryFile(params string[] parts) => Path.Combine([RepositoryRoot, .. parts]);

    /// <summary>A type by full name from the staged module or core assembly, or null.</summary>
    public Type? FindType(string fullName) => Assembly.GetType(fullName) ?? Core.GetType(fullName);

    public Type ModuleType(string fullName) =>
        Assembly.GetType(fullName) ?? throw new Xunit.Sdk.XunitException($"{fullName} is not in the staged AmpSessions.dll");

    public void Dispose() => Context.Dispose();
}

[CollectionDefinition(Name)]
public sealed class StagedModuleCollection : ICollectionFixture<StagedModule>
{
    public const string Name = "staged module";
}

/// <summary>Names of the PowerShell types the tests look for (from the reference assembly).</summary>
public static class PowerShellTypes
{
    public const string CmdletAttribute = "System.Management.Automation.CmdletAttribute";
    public const string ParameterAttribute = "System.Management.Automation.ParameterAttribute";
    public const string OutputTypeAttribute = "System.Management.Automation.OutputTypeAttribute";
    public const string AliasAttribute = "System.Management.Automation.AliasAttribute";
    public const string SupportsWildcardsAttribute = "System.Management.Automation.SupportsWildcardsAttribute";
    public const string ArgumentCompleterAttribute = "System.Management.Automation.ArgumentCompleterAttribute";
    public const string ValidateRangeAttribute = "System.Management.Automation.ValidateRangeAttribute";
    public const string SwitchParameter = "System.Management.Automation.SwitchParameter";
    public const string AllParameterSets = "__AllParameterSets";
}
