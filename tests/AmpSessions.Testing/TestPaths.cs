using System.Reflection;

namespace AmpSessions.Testing;

/// <summary>Where the built programs the tests run as processes live.</summary>
public static class TestPaths
{
    private static string Metadata(string key) =>
        typeof(TestPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    /// <summary>The fake Amp agent executable (apphost).</summary>
    public static string FakeAgent => Path.GetFullPath(Path.Combine(Metadata("FakeAgentDirectory"), OperatingSystem.IsWindows() ? "fake-amp.exe" : "fake-amp"));

    /// <summary>The CLI's main assembly, run with `dotnet`.</summary>
    public static string CliAssembly => Path.GetFullPath(Path.Combine(Metadata("CliDirectory"), "amp-sessions.dll"));

    /// <summary>The CLI's apphost (`amp-sessions`), as a .NET tool install puts it on PATH: the guard's delegate program.</summary>
    public static string CliExecutable => Path.Combine(Path.GetDirectoryName(CliAssembly)!, OperatingSystem.IsWindows() ? "amp-sessions.exe" : "amp-sessions");

    /// <summary>The repository root of this project (fixtures live under tests/fixtures).</summary>
    public static string RepositoryRoot => Path.GetFullPath(Metadata("RepositoryRoot"));

    public static string Fixture(params string[] parts) => Path.Combine([RepositoryRoot, "tests", "fixtures", .. parts]);
}
