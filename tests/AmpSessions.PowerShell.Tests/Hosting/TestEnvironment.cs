using System.Reflection;
using System.Runtime.CompilerServices;

namespace AmpSessions.PowerShell.Tests.Hosting;

/// <summary>Paths the build wrote into this assembly, and the process-wide settings every hosted test shares.</summary>
public static class TestEnvironment
{
    private static string Metadata(string key) =>
        typeof(TestEnvironment).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    public static string RepositoryRoot => Path.GetFullPath(Metadata("RepositoryRoot"));

    public static string ModuleVersion => Metadata("ModuleVersion");

    /// <summary>The staged module folder, exactly what a Gallery install holds.</summary>
    public static string StagedModuleDirectory => Path.Combine(RepositoryRoot, "out", "AmpSessions", ModuleVersion);

    public static string StagedManifest => Path.Combine(StagedModuleDirectory, "AmpSessions.psd1");

    public static string FakeAgent => Path.GetFullPath(Path.Combine(Metadata("FakeAgentDirectory"), OperatingSystem.IsWindows() ? "fake-amp.exe" : "fake-amp"));

    /// <summary>The CLI (amp-sessions.dll), whose hidden __demo-agent command is the bundled demo agent.</summary>
    public static string CliAssembly => Path.GetFullPath(Metadata("CliAssembly"));

    /// <summary>An older YamlDotNet, as another module (powershell-yaml) would load it.</summary>
    public static string OtherYamlDotNet => Metadata("OtherYamlDotNet");

    /// <summary>An empty global git configuration: the product must work with no git identity, as on a fresh CI runner.</summary>
    public static string EmptyGitConfig { get; } = Path.Combine(Path.GetTempPath(), "amp-hosted-empty-gitconfig");

    /// <summary>
    /// Runs before any test: times render in UTC (the approved views do not depend on the machine's
    /// zone), git sees no identity and no user configuration, and no desktop notification pops up.
    /// </summary>
    [ModuleInitializer]
    internal static void Initialize()
    {
        Environment.SetEnvironmentVariable("TZ", "UTC");
        TimeZoneInfo.ClearCachedData();
        File.WriteAllText(EmptyGitConfig, "");
        Environment.SetEnvironmentVariable("GIT_CONFIG_GLOBAL", EmptyGitConfig);
        Environment.SetEnvironmentVariable("GIT_CONFIG_NOSYSTEM", "1");
        Environment.SetEnvironmentVariable("AMP_SESSIONS_NOTIFICATIONS", "0");
        // A fresh runner has no identity in the environment either.
        foreach (var name in new[] { "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL" })
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }
}
