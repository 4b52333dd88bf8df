using AmpSessions.PowerShell.Tests.Hosting;

namespace AmpSessions.PowerShell.Tests;

/// <summary>Importing the staged module into a real runspace, the way a user does.</summary>
public sealed class ModuleImportTests
{
    [Fact]
    public void The_staged_module_imports_with_its_format_file_and_loads_its_core_from_the_staged_folder()
    {
        using var host = new HostedPowerShell();

        var module = host.Invoke("Get-Module AmpSessions").Single();
        Assert.Equal(TestEnvironment.StagedModuleDirectory, Path.GetDirectoryName((string)module.Properties["Path"].Value));
        var core = (string)host.Invoke("[AmpSessions.Core.Sessions.Session].Assembly.Location").Single().BaseObject;
        Assert.Equal(Path.Combine(TestEnvironment.StagedModuleDirectory, "AmpSessions.Core.dll"), core);
        // The format data loaded (pwsh 7.6 rejected the whole file when a named control had no default entry).
        Assert.NotEmpty(host.Invoke("Get-FormatData -TypeName AmpSessions.Core.Git.FileDiff"));
    }
}
