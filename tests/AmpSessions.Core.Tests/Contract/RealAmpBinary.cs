using AmpSessions.Testing;

namespace AmpSessions.Core.Tests.Contract;

/// <summary>The real Amp CLI the contract tests run; they never skip: without the binary they fail.</summary>
internal static class RealAmpBinary
{
    /// <summary>The installed binary: AMP_CONTRACT_BINARY, else what .ci/install-amp installs under .tools/amp.</summary>
    public static string Path => Locate();

    private static string Locate()
    {
        var path = Environment.GetEnvironmentVariable("AMP_CONTRACT_BINARY") is { Length: > 0 } configured
            ? configured
            : System.IO.Path.Combine(TestPaths.RepositoryRoot, ".tools", "amp", "node_modules", "@ampcode", "cli-linux-x64", "amp");
        Assert.True(File.Exists(path), $"The real Amp CLI is not installed at {path}: run .ci/install-amp (or set AMP_CONTRACT_BINARY to an amp binary).");
        return System.IO.Path.GetFullPath(path);
    }
}
