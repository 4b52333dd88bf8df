using System.Reflection;
using System.Runtime.InteropServices;

namespace AmpSessions.Module.Tests;

[Collection(StagedModuleCollection.Name)]
public sealed class StagedFolderTests(StagedModule module)
{
    /// <summary>Exactly what a Gallery install needs. A new dependency of the core must be added here and in cmdlets/Staging.targets.</summary>
    private static readonly string[] ExpectedFiles =
    [
        "AmpSessions.psd1",
        "AmpSessions.dll",
        "AmpSessions.pdb",
        "AmpSessions.Core.dll",
        "AmpSessions.Core.pdb",
        "Microsoft.Data.Sqlite.dll",
        "SQLitePCLRaw.batteries_v2.dll",
        "SQLitePCLRaw.core.dll",
        "SQLitePCLRaw.provider.e_sqlite3.dll",
        "YamlDotNet.dll",
        "CliWrap.dll",
        "Microsoft.Extensions.FileSystemGlobbing.dll",
        "LibGit2Sharp.dll",
        "runtimes/linux-x64/native/libgit2-5853918.so",
        "runtimes/linux-arm64/native/libgit2-5853918.so",
        "runtimes/osx-x64/native/libgit2-5853918.dylib",
        "runtimes/osx-arm64/native/libgit2-5853918.dylib",
        "runtimes/win-x64/native/git2-5853918.dll",
        "runtimes/win-arm64/native/git2-5853918.dll",
        "AmpSessions.Format.ps1xml",
        "LICENSE",
        "en-US/AmpSessions.dll-Help.xml",
        "en-US/about_AmpSessions.help.txt",
        "runtimes/win-x64/native/e_sqlite3.dll",
        "runtimes/win-x86/native/e_sqlite3.dll",
        "runtimes/win-arm64/native/e_sqlite3.dll",
        "runtimes/linux-x64/native/libe_sqlite3.so",
        "runtimes/linux-arm64/native/libe_sqlite3.so",
        "runtimes/linux-arm/native/libe_sqlite3.so",
        "runtimes/linux-musl-x64/native/libe_sqlite3.so",
        "runtimes/linux-musl-arm64/native/libe_sqlite3.so",
        "runtimes/osx-x64/native/libe_sqlite3.dylib",
        "runtimes/osx-arm64/native/libe_sqlite3.dylib",
    ];

    [Fact]
    public void The_staged_folder_holds_exactly_the_expected_files()
    {
        var staged = Directory.GetFiles(module.Directory, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(module.Directory, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal);
        Assert.Equal(ExpectedFiles.Order(StringComparer.Ordinal), staged);
    }

    [Fact]
    public void The_PowerShell_reference_assembly_is_never_shipped() =>
        Assert.Empty(Directory.GetFiles(module.Directory, "System.Management.Automation*", SearchOption.AllDirectories));

    [Fact]
    public void Every_assembly_a_staged_assembly_references_is_staged_or_provided_by_pwsh()
    {
        var framework = Directory.GetFiles(RuntimeEnvironment.GetRuntimeDirectory(), "*.dll")
            .Select(Path.GetFileNameWithoutExtension).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var staged = Directory.GetFiles(module.Directory, "*.dll").Select(Path.GetFileNameWithoutExtension).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var missing = Directory.GetFiles(module.Directory, "*.dll")
            .Select(f => module.Context.LoadFromAssemblyPath(f))
            .SelectMany(a => a.GetReferencedAssemblies().Select(r => (Assembly: a.GetName().Name, Reference: r.Name!)))
            .Where(x => !staged.Contains(x.Reference) && !framework.Contains(x.Reference) && x.Reference != "System.Management.Automation")
            .Select(x => $"{x.Assembly} -> {x.Reference}")
            .ToArray();
        Assert.True(missing.Length == 0, "not staged: " + string.Join(", ", missing));
    }

    [Fact]
    public void The_module_and_core_target_net8_so_pwsh_7_4_loads_them()
    {
        foreach (var name in new[] { "AmpSessions.dll", "AmpSessions.Core.dll" })
        {
            var assembly = module.Context.LoadFromAssemblyPath(module.StagedFile(name));
            var framework = assembly.CustomAttributes.Single(a => a.AttributeType.FullName == "System.Runtime.Versioning.TargetFrameworkAttribute");
            Assert.Equal(".NETCoreApp,Version=v8.0", framework.ConstructorArguments[0].Value);
        }
    }
}
