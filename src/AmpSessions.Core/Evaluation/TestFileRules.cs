using Microsoft.Extensions.FileSystemGlobbing;

namespace AmpSessions.Core.Evaluation;

/// <summary>
/// Tells test files from source files, so a fix commit splits into its test patch and its gold
/// patch. The rules are the conventions of the common test runners (pytest, unittest, Jest, Vitest,
/// Mocha, node --test, go test, JUnit, xunit, RSpec); a user's own layout can add glob patterns.
/// </summary>
public sealed class TestFileRules
{
    private static readonly string[] TestFolders = ["test", "tests", "testing", "__tests__", "spec", "specs", "t"];
    private readonly IReadOnlyList<string> extraPatterns;

    public TestFileRules(IReadOnlyList<string>? extraPatterns = null) => this.extraPatterns = extraPatterns ?? [];

    private Matcher Matcher()
    {
        var matcher = new Matcher(StringComparison.Ordinal);
        matcher.AddIncludePatterns(extraPatterns);
        return matcher;
    }

    public static TestFileRules Default { get; } = new();

    /// <summary>Whether a repository-relative path (forward slashes) is a test file.</summary>
    public bool IsTest(string path)
    {
        var normalized = path.Replace('\\', '/');
        if (extraPatterns.Count > 0 && Matcher().Match(normalized).HasMatches)
        {
            return true;
        }
        var segments = normalized.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length == 0)
        {
            return false;
        }
        if (segments[..^1].Any(folder => TestFolders.Contains(folder, StringComparer.OrdinalIgnoreCase)))
        {
            return true;
        }
        var name = segments[^1];
        var stem = Path.GetFileNameWithoutExtension(name);
        return name.StartsWith("test_", StringComparison.Ordinal)
            || stem.EndsWith("_test", StringComparison.Ordinal)
            || stem.EndsWith("-test", StringComparison.Ordinal)
            || stem.EndsWith(".test", StringComparison.Ordinal)
            || stem.EndsWith(".spec", StringComparison.Ordinal)
            || stem.EndsWith("_spec", StringComparison.Ordinal)
            || (stem.Length > 4 && (stem.EndsWith("Test", StringComparison.Ordinal) || stem.EndsWith("Tests", StringComparison.Ordinal)) && char.IsUpper(stem[0]))
            || name is "conftest.py";
    }
}
