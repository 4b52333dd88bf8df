using System.Text.RegularExpressions;

namespace AmpSessions.Core.Evaluation;

/// <summary>
/// The placeholders of a test command: <c>{junit}</c> (where JUnit XML should be written),
/// <c>{tests}</c> (the instance's listed tests) and <c>{test_files}</c> (the files its test patch
/// touches), each replaced by shell-quoted text, since the command runs through the platform shell.
/// </summary>
public static partial class TestCommand
{
    public const string JUnitPlaceholder = "{junit}";
    public const string TestsPlaceholder = "{tests}";
    public const string TestFilesPlaceholder = "{test_files}";

    [GeneratedRegex(@"^diff --git a/(?<a>.+?) b/(?<b>.+)$", RegexOptions.Multiline)]
    private static partial Regex DiffHeader();

    public static bool WantsJUnit(string command) => command.Contains(JUnitPlaceholder, StringComparison.Ordinal);

    public static string Expand(string command, string junitPath, IEnumerable<string> tests, IEnumerable<string> testFiles) => command
        .Replace(JUnitPlaceholder, Quote(junitPath), StringComparison.Ordinal)
        .Replace(TestsPlaceholder, string.Join(' ', tests.Select(Quote)), StringComparison.Ordinal)
        .Replace(TestFilesPlaceholder, string.Join(' ', testFiles.Select(Quote)), StringComparison.Ordinal);

    /// <summary>
    /// A session's own test script with {junit} replaced by where its JUnit XML goes: beside the run's
    /// log (script-7.log → script-7.junit.xml), so the run's record leads to it without a new column.
    /// </summary>
    public static string ForSessionScript(string command, string outputLogPath) =>
        command.Replace(JUnitPlaceholder, Quote(SessionScriptJUnitPath(outputLogPath)), StringComparison.Ordinal);

    /// <summary>Where a session script run whose log is <paramref name="outputLogPath"/> writes its JUnit XML.</summary>
    public static string SessionScriptJUnitPath(string outputLogPath) => Path.ChangeExtension(outputLogPath, ".junit.xml");

    /// <summary>The files a patch touches (its "diff --git" headers), in order.</summary>
    public static IReadOnlyList<string> FilesOf(string? patch) => patch is null ? []
        : DiffHeader().Matches(patch).Select(m => m.Groups["b"].Value.TrimEnd('\r')).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>One argument for the platform shell: single quotes for sh, double quotes for cmd.</summary>
    public static string Quote(string text) => OperatingSystem.IsWindows()
        ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
        : "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
