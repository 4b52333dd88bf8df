using System.Diagnostics;
using AmpSessions.Testing;

namespace AmpSessions.Cli.Tests;

/// <summary>`--version`, answered before the command tree is built (issue 11), prints what the tree printed.</summary>
public sealed class VersionTests : IDisposable
{
    private readonly CliTestBed bed = new();

    public void Dispose() => bed.Dispose();

    [Fact]
    public async Task Version_prints_the_informational_version_on_one_line_and_exits_0()
    {
        var result = await bed.RunAsync("--version");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("", result.StandardError);
        // The build's informational version (version+commit), as System.CommandLine's --version reads it.
        var informational = FileVersionInfo.GetVersionInfo(TestPaths.CliAssembly).ProductVersion;
        Assert.False(string.IsNullOrEmpty(informational));
        Assert.Equal(informational + Environment.NewLine, result.StandardOutput);
    }

    [Theory]
    [InlineData("--version", "--json")]
    [InlineData("--json", "--version")]
    [InlineData("--version", "--data-dir", ".")]
    public async Task Version_with_other_arguments_is_still_the_command_trees_usage_error(params string[] arguments)
    {
        var result = await bed.RunAsync(arguments);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal("", result.StandardOutput);
        Assert.Equal(
            "amp-sessions: --version option cannot be combined with other arguments." + Environment.NewLine +
            "Run `amp-sessions --help` for usage." + Environment.NewLine,
            result.StandardError);
    }
}
