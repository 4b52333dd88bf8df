using AmpSessions.Core.Configuration;
using AmpSessions.Core.Iterations;
using Spectre.Console;

namespace AmpSessions.Cli.Commands;

/// <summary>
/// How the CLI behaves as a CI job step: plain output (no colours, no live view) when CI is set,
/// NO_COLOR is set or output is not a terminal; GitHub Actions error annotations for iterations that
/// did not pass (their exit codes fail the step already: 1, or 3 for failed tests).
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

    /// <summary>On GitHub Actions, an iteration that did not pass is an error annotation on the step.</summary>
    public static void Annotate(IterationRecord iteration, Verdict verdict, Output output)
    {
        if (!IsGitHubActions || output.IsJson || verdict is Verdict.Passed or Verdict.Cancelled)
        {
            return;
        }
        var why = verdict == Verdict.TestsFailed ? "the tests failed" : iteration.Error ?? iteration.Status.ToString();
        output.Line($"::error title=amp-sessions iterate {iteration.SessionId}::{Escape($"Iteration {iteration.Number}: {why}")}");
    }

    // GitHub's workflow commands take %, CR and LF escaped.
    private static string Escape(string text) => text.Replace("%", "%25").Replace("\r", "%0D").Replace("\n", "%0A");
}
