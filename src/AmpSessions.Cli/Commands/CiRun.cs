using AmpSessions.Core.Configuration;
using AmpSessions.Core.Iterations;
using Spectre.Console;

namespace AmpSessions.Cli.Commands;

/// <summary>
/// How the CLI behaves as a CI job step: plain output (no colours, no live view) when CI is set, NO_COLOR
/// is set or output is not a terminal; exit codes that fail the step; GitHub Actions error annotations.
/// </summary>
internal static class CiRun
{
    public static bool IsCi => BuiltInConfiguration.IsCiRun(Environment.GetEnvironmentVariable);

    private static bool IsGitHubActions => Environment.GetEnvironmentVariable("GITHUB_ACTIONS") == "true";

    /// <summary>Turns colours and animation off for every Spectre renderer when nobody is watching a terminal.</summary>
    public static void ConfigureConsole()
    {
        var plain = IsCi || Console.IsOutputRedirected || Environment.GetEnvironmentVariable("NO_COLOR") is { Length: > 0 };
        if (plain)
        {
            AnsiConsole.Profile.Capabilities.Ansi = false;
            AnsiConsole.Profile.Capabilities.ColorSystem = ColorSystem.NoColors;
            AnsiConsole.Profile.Capabilities.Interactive = false;
            AnsiConsole.Profile.Capabilities.Links = false;
        }
    }

    /// <summary>
    /// iterate's exit code: 0 for a turn that succeeded; 1 for one that did not, and in a CI run (the
    /// ci environment, or CI set) also for one whose tests failed, so the job step fails.
    /// </summary>
    public static int ExitCode(IterationRecord iteration, Output output, bool ciEnvironment)
    {
        var failed = iteration.Status != IterationStatus.Succeeded || (iteration.ScriptPassed == false && (ciEnvironment || IsCi));
        if (iteration.Status == IterationStatus.Cancelled)
        {
            return CliApplication.Cancelled;
        }
        if (failed && IsGitHubActions && !output.IsJson)
        {
            var why = iteration.Status != IterationStatus.Succeeded ? iteration.Error ?? iteration.Status.ToString() : "the tests failed";
            output.Line($"::error title=amp-sessions iterate {iteration.SessionId}::{Escape($"Iteration {iteration.Number}: {why}")}");
        }
        return failed ? CliApplication.Failed : CliApplication.Success;
    }

    // GitHub's workflow commands take %, CR and LF escaped.
    private static string Escape(string text) => text.Replace("%", "%25").Replace("\r", "%0D").Replace("\n", "%0A");
}
