using System.Reflection;

namespace AmpSessions.Module.Tests;

[Collection(StagedModuleCollection.Name)]
public sealed class ManifestTests(StagedModule module)
{
    private ModuleManifest Staged => new(module.StagedFile("AmpSessions.psd1"));

    [Fact]
    public void The_manifest_exports_exactly_the_compiled_cmdlets() =>
        Assert.Equal(module.Cmdlets.Select(c => c.Name).Order(StringComparer.Ordinal), Staged.List("CmdletsToExport")!.Order(StringComparer.Ordinal));

    [Fact]
    public void The_manifest_exports_exactly_the_cmdlets_aliases_and_no_functions_or_wildcards()
    {
        Assert.Equal(module.Cmdlets.SelectMany(c => c.Aliases).Order(StringComparer.Ordinal), Staged.List("AliasesToExport")!.Order(StringComparer.Ordinal));
        Assert.Empty(Staged.List("FunctionsToExport")!);
        Assert.Empty(Staged.List("VariablesToExport")!);
        Assert.DoesNotContain(Staged.List("CmdletsToExport")!.Concat(Staged.List("AliasesToExport")!), e => e.Contains('*', StringComparison.Ordinal));
    }

    [Fact]
    public void The_manifest_describes_a_PowerShell_7_4_Core_module_whose_files_are_staged()
    {
        var manifest = Staged;
        Assert.Equal("AmpSessions.dll", manifest.Scalar("RootModule"));
        Assert.Equal("7.4", manifest.Scalar("PowerShellVersion"));
        Assert.Equal(["Core"], manifest.List("CompatiblePSEditions"));
        Assert.True(Guid.TryParse(manifest.Scalar("GUID"), out _));
        var formats = manifest.List("FormatsToProcess")!;
        Assert.NotEmpty(formats);
        Assert.All(formats, f => Assert.True(File.Exists(module.StagedFile(f)), $"{f} is not staged"));
        Assert.True(File.Exists(module.StagedFile(manifest.Scalar("RootModule")!)));
    }

    [Fact]
    public void The_manifest_carries_the_version_from_Directory_Build_props_like_the_assembly()
    {
        Assert.Equal(module.Version, Staged.Scalar("ModuleVersion"));
        Assert.Equal(module.Version, AssemblyName.GetAssemblyName(module.StagedFile("AmpSessions.dll")).Version!.ToString(3));
    }

    [Fact]
    public void The_template_defines_no_version_of_its_own_and_otherwise_equals_the_staged_manifest()
    {
        var template = File.ReadAllText(module.RepositoryFile("AmpSessions.psd1"));
        Assert.Contains("ModuleVersion        = '{{ModuleVersion}}'", template, StringComparison.Ordinal);
        var body = template[template.IndexOf("@{", StringComparison.Ordinal)..].Replace("{{ModuleVersion}}", module.Version, StringComparison.Ordinal);
        Assert.Equal(Normalize(body), Normalize(File.ReadAllText(module.StagedFile("AmpSessions.psd1"))));
    }

    [Fact]
    public void The_gallery_metadata_has_the_tags_links_and_release_notes()
    {
        var manifest = Staged;
        Assert.Equal(["PSEdition_Core", "Windows", "Linux", "MacOS", "Git", "AI", "Agents"], manifest.List("Tags"));
        Assert.StartsWith("https://", manifest.Scalar("ProjectUri"), StringComparison.Ordinal);
        Assert.StartsWith("https://", manifest.Scalar("LicenseUri"), StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(manifest.Scalar("ReleaseNotes")));
        Assert.False(string.IsNullOrWhiteSpace(manifest.Scalar("Description")));
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal).Trim();
}
