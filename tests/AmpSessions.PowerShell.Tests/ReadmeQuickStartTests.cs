using System.Text.RegularExpressions;
using AmpSessions.PowerShell.Tests.Hosting;

namespace AmpSessions.PowerShell.Tests;

/// <summary>
/// The README's PowerShell quick start, taken from README.md itself (so the two cannot drift) and
/// run as written, top to bottom, in the pinned pwsh 7.6: a fresh HOME, git with no identity, an
/// empty data directory, and the fake agent in place of amp.
/// </summary>
public sealed partial class ReadmeQuickStartTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "amp-readme-" + Guid.NewGuid().ToString("N")[..12]);

    public ReadmeQuickStartTests() => Directory.CreateDirectory(root);

    public void Dispose() => GitRepository.DeleteFolder(root);

    public static string QuickStart()
    {
        var readme = File.ReadAllText(Path.Combine(TestEnvironment.RepositoryRoot, "README.md")).Replace("\r\n", "\n");
        var section = readme[readme.IndexOf("## PowerShell quick start", StringComparison.Ordinal)..];
        return FirstPowerShellBlock().Match(section).Groups["code"].Value;
    }

    [Fact]
    public void The_quick_start_runs_as_written_on_a_fresh_machine_with_the_fake_agent()
    {
        var code = QuickStart();
        Assert.Contains("Import-Module ./out/AmpSessions/", code);
        var script = Path.Combine(root, "quick-start.ps1");
        File.WriteAllText(script, code);
        var home = Directory.CreateDirectory(Path.Combine(root, "home")).FullName;
        var temp = Directory.CreateDirectory(Path.Combine(root, "tmp")).FullName;

        // As a person types it: each statement is its own pipeline with its own Out-Default (one script
        // would format everything after the first table as lists), in the same scope, without colour codes.
        var runner = $$"""
            $PSStyle.OutputRendering = 'PlainText'
            $parseErrors = $null
            $block = [System.Management.Automation.Language.Parser]::ParseFile('{{script.Replace("'", "''")}}', [ref]$null, [ref]$parseErrors)
            if ($parseErrors) { throw "README quick start does not parse: $parseErrors" }
            foreach ($statement in $block.EndBlock.Statements) { . ([scriptblock]::Create($statement.Extent.Text)) | Out-Default }
            """;
        var result = PwshProcess.Run(runner, TestEnvironment.RepositoryRoot, new Dictionary<string, string?>
        {
            ["HOME"] = home,
            ["USERPROFILE"] = home,
            ["XDG_CONFIG_HOME"] = null,
            ["XDG_DATA_HOME"] = null,
            ["TMPDIR"] = temp,
            ["AMP_SESSIONS_HOME"] = Path.Combine(root, "data"),
            ["AMP_SESSIONS_AGENT"] = $"amp:'{TestEnvironment.FakeAgent}'",
        }, TimeSpan.FromMinutes(5));

        Assert.True(result.ExitCode == 0 && result.StandardError.Length == 0, result.ToString());
        // What a reader sees: the timeline with the agent's commit, the diff with its lines, the merged commit on main.
        Assert.Matches(@"\n\d{4}-\d\d-\d\d \d\d:\d\d [0-9a-f]{7}\s+1\s+\d+ pass", result.StandardOutput);
        Assert.Contains("+export function greet(name: string): string {", result.StandardOutput);
        Assert.Matches(@"[0-9a-f]{7} Rename hello to greet", result.StandardOutput);
        Assert.Contains("about_AmpSessions", result.StandardOutput);
    }

    [GeneratedRegex(@"```powershell\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex FirstPowerShellBlock();
}
