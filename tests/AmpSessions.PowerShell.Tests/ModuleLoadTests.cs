using AmpSessions.PowerShell.Tests.Hosting;

namespace AmpSessions.PowerShell.Tests;

/// <summary>
/// Removing and importing the module again in one process, and the module beside another module
/// that loads a different YamlDotNet (as powershell-yaml does with Add-Type), in either order.
/// </summary>
public sealed class ModuleLoadTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "amp-load-" + Guid.NewGuid().ToString("N")[..12]);

    public ModuleLoadTests()
    {
        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, "batch.yaml"), """
            version: 3
            metadata:
              name: "side by side"
            agents:
              - id: fake
                command: ["fake-amp"]
            tasks:
              - id: t
                type: batch
                prompts: ["do it"]
                repositories: ["./repo"]
            """);
        GitRepository.Create(Path.Combine(root, "repo"));
    }

    public void Dispose() => GitRepository.DeleteFolder(root);

    [Fact]
    public void Remove_Module_then_Import_Module_in_the_same_runspace_works_again()
    {
        using var host = new HostedPowerShell();
        var repo = host.NewRepository();
        host.Invoke("New-AmpSession -Name before -Prompt p -RepoPath $Repo -DataPath $Data | Out-Null", ("Repo", repo));

        host.Invoke("Remove-Module AmpSessions");
        Assert.Empty(host.Invoke("Get-Module AmpSessions"));
        host.Invoke("Import-Module $Manifest");

        var names = host.Invoke("New-AmpSession -Name after -Prompt p -RepoPath $Repo -DataPath $Data | Out-Null; (Get-AmpSession -DataPath $Data).Name", ("Repo", repo))
            .Select(o => o.ToString()).Order().ToArray();
        Assert.Equal(["after", "before"], names);
        // The views came back with the module.
        Assert.Matches(@"Id\s+Name\s+Status\s+Base\s+Branch", string.Concat(host.Invoke("Get-AmpSession -DataPath $Data | Out-String -Width 80").Select(o => o.ToString())));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_module_works_beside_a_module_that_loads_an_older_YamlDotNet(bool otherModuleFirst)
    {
        var other = $"Add-Type -LiteralPath '{TestEnvironment.OtherYamlDotNet}'";
        var ours = $"Import-Module '{TestEnvironment.StagedManifest}'; $check = Test-AmpBatch -Path ./batch.yaml -DataPath ./data; \"items: $($check.Items.Count)\"";
        var script = string.Join("; ", otherModuleFirst ? [other, ours] : [ours, other]) + """
            ; $yaml = [YamlDotNet.Serialization.DeserializerBuilder]::new().Build().Deserialize[object]("a: 1")
            "other: $([YamlDotNet.Serialization.DeserializerBuilder].Assembly.GetName().Version.Major) $($yaml['a'])"
            "ours: $([AmpSessions.Core.Sessions.Session].Assembly.GetReferencedAssemblies().Where({ $_.Name -eq 'YamlDotNet' }).Version.Major)"
            """;

        var result = PwshProcess.Run(script, root);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("items: 1", result.StandardOutput);
        Assert.Contains("other: 11 1", result.StandardOutput);
        Assert.Contains("ours: 16", result.StandardOutput);
    }
}
