using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;

namespace AmpSessions.Core.Evaluation;

/// <summary>One test's outcome in a run.</summary>
public enum TestOutcome
{
    Passed,
    Failed,
    /// <summary>The test errored (JUnit's &lt;error&gt;): not a pass.</summary>
    Error,
    /// <summary>Skipped or TODO: not a pass.</summary>
    Skipped,
    /// <summary>A listed test the run did not report at all: not a pass.</summary>
    Missing,
}

/// <summary>Where the per-test outcomes of a run came from.</summary>
public enum GradingMethod
{
    /// <summary>JUnit XML written where the command's <c>{junit}</c> said.</summary>
    JUnit,
    /// <summary>TAP lines in the command's output (node --test, prove, tap reporters).</summary>
    Tap,
    /// <summary>No per-test report: every listed test takes the command's exit code.</summary>
    ExitCode,
}

/// <summary>One test case as a report names it, with the other names it is known by (see <see cref="TestNames"/>).</summary>
public sealed record ReportedTest(string Name, TestOutcome Outcome, IReadOnlyList<string> Aliases);

/// <summary>What a test run reported, test by test.</summary>
public sealed record TestRunReport(GradingMethod Method, IReadOnlyList<ReportedTest> Tests)
{
    /// <summary>
    /// The one reading rule for every test run (grading, baselines, a session's script): JUnit XML at
    /// <paramref name="junitPath"/> when the command asked for it with {junit}, else TAP in its output,
    /// else nothing per test (the exit code decides).
    /// </summary>
    public static TestRunReport Read(string command, string? junitPath, IEnumerable<string> outputLines) =>
        TestCommand.WantsJUnit(command) && junitPath is not null && JUnitReport.TryRead(junitPath) is { } junit ? new TestRunReport(GradingMethod.JUnit, junit)
        : TapReport.TryParse(outputLines) is { } tap ? new TestRunReport(GradingMethod.Tap, tap)
        : new TestRunReport(GradingMethod.ExitCode, []);
}

/// <summary>
/// JUnit XML as pytest (--junitxml), Jest/Vitest/Mocha reporters, node --test's junit reporter,
/// dotnet test's junit logger and go-junit-report write it: testsuites of testcases, each passed
/// unless it holds &lt;failure&gt;, &lt;error&gt; or &lt;skipped&gt;. Read with LINQ to XML (DTDs refused).
/// </summary>
public static class JUnitReport
{
    public static IReadOnlyList<ReportedTest>? TryRead(string path)
    {
        var files = Directory.Exists(path) ? Directory.EnumerateFiles(path, "*.xml", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList()
            : File.Exists(path) ? [path]
            : [];
        if (files.Count == 0)
        {
            return null;
        }
        var tests = new List<ReportedTest>();
        foreach (var file in files)
        {
            if (TryParse(File.ReadAllText(file)) is { } parsed)
            {
                tests.AddRange(parsed);
            }
        }
        return tests;
    }

    /// <summary>The test cases of a JUnit document; null when the text is not XML.</summary>
    public static IReadOnlyList<ReportedTest>? TryParse(string xml)
    {
        XDocument document;
        try
        {
            using var reader = XmlReader.Create(new StringReader(xml), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
            document = XDocument.Load(reader);
        }
        catch (XmlException)
        {
            return null;
        }
        var tests = new List<ReportedTest>();
        foreach (var testCase in document.Descendants().Where(e => e.Name.LocalName == "testcase"))
        {
            var name = (string?)testCase.Attribute("name") ?? "";
            var className = (string?)testCase.Attribute("classname");
            var file = (string?)testCase.Attribute("file");
            var suites = testCase.Ancestors().Where(a => a.Name.LocalName == "testsuite").Select(a => (string?)a.Attribute("name")).Where(n => !string.IsNullOrEmpty(n)).Reverse().ToList();
            var children = testCase.Elements().Select(e => e.Name.LocalName).ToList();
            var outcome = children.Contains("error") ? TestOutcome.Error
                : children.Contains("failure") ? TestOutcome.Failed
                : children.Contains("skipped") ? TestOutcome.Skipped
                : TestOutcome.Passed;
            var aliases = TestNames.JUnitAliases(name, className, file, suites!);
            tests.Add(new ReportedTest(aliases[0], outcome, aliases));
        }
        return tests;
    }
}

/// <summary>
/// TAP (versions 12 to 14) as node --test, prove and the tap reporters print it: <c>ok</c> / <c>not ok</c>
/// lines with <c># SKIP</c> / <c># TODO</c> directives, YAML diagnostics skipped, and nested subtests
/// (indented, announced by <c># Subtest: name</c>) named by their path, "suite &gt; test". A subtest
/// that has subtests of its own is a suite, not a test.
/// </summary>
public static partial class TapReport
{
    [GeneratedRegex(@"^(?<indent>\s*)(?<not>not )?ok\b\s*(?<number>\d+)?\s*(?:-\s*)?(?<description>.*?)\s*(?:(?<!\\)#\s*(?<directive>(?i:skip|todo))\S*(?:\s.*)?)?$")]
    private static partial Regex ResultLine();

    [GeneratedRegex(@"^(?<indent>\s*)# Subtest: (?<name>.*)$")]
    private static partial Regex SubtestLine();

    /// <summary>The tests of a TAP stream; null when no result line is in it.</summary>
    public static IReadOnlyList<ReportedTest>? TryParse(IEnumerable<string> lines)
    {
        var tests = new List<ReportedTest>();
        var open = new List<(int Indent, string Name, bool HasChildren)>();
        var yamlIndent = -1;
        var sawResult = false;
        foreach (var raw in lines)
        {
            var line = raw.TrimEnd('\r');
            var indent = line.Length - line.TrimStart().Length;
            if (yamlIndent >= 0)
            {
                if (line.Trim() == "..." && indent == yamlIndent)
                {
                    yamlIndent = -1;
                }
                continue;
            }
            if (line.Trim() == "---")
            {
                yamlIndent = indent;
                continue;
            }
            if (SubtestLine().Match(line) is { Success: true } subtest)
            {
                open.RemoveAll(o => o.Indent >= indent);
                if (open.Count > 0)
                {
                    open[^1] = open[^1] with { HasChildren = true };
                }
                open.Add((indent, subtest.Groups["name"].Value.Trim(), false));
                continue;
            }
            if (ResultLine().Match(line) is not { Success: true } result)
            {
                continue;
            }
            sawResult = true;
            open.RemoveAll(o => o.Indent > indent);
            var description = Unescape(result.Groups["description"].Value);
            var self = open.Count > 0 && open[^1].Indent == indent ? open[^1] : ((int, string, bool)?)null;
            if (self is { } entry)
            {
                open.RemoveAt(open.Count - 1);
                if (entry.Item3)
                {
                    continue; // a suite: its tests were reported one by one
                }
                if (description.Length == 0)
                {
                    description = entry.Item2;
                }
            }
            var parents = open.Where(o => o.Indent < indent).Select(o => o.Name).ToList();
            var directive = result.Groups["directive"].Value.ToUpperInvariant();
            var outcome = directive is "SKIP" or "TODO" ? TestOutcome.Skipped
                : result.Groups["not"].Success ? TestOutcome.Failed
                : TestOutcome.Passed;
            var name = string.Join(TestNames.PathSeparator, [.. parents, description]);
            tests.Add(new ReportedTest(name, outcome, parents.Count == 0 ? [name] : [name, description]));
        }
        return sawResult ? tests : null;
    }

    private static string Unescape(string text) => text.Replace("\\#", "#", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
}

/// <summary>
/// The names one test goes by. Instance files name tests the way their runner prints them: pytest
/// node ids (<c>tests/test_x.py::TestY::test_z</c>), Django's <c>test_z (app.tests.TestY)</c>,
/// unittest ids (<c>tests.test_x.TestY.test_z</c>), bare names, or suite paths (<c>suite &gt; test</c>).
/// A JUnit test case answers to all of these, so a listed name matches whichever form it uses.
/// </summary>
public static class TestNames
{
    public const string PathSeparator = " > ";

    /// <summary>The names of a JUnit test case; the first is its canonical name (what reports and mined instances show).</summary>
    public static IReadOnlyList<string> JUnitAliases(string name, string? className, string? file, IReadOnlyList<string> suites)
    {
        var aliases = new List<string>();
        // node --test's junit reporter writes classname="test" for every case; it names nothing.
        var cls = className is { Length: > 0 } c && c != "test" ? c : null;
        if (cls is not null && cls != name)
        {
            aliases.Add($"{cls}.{name}");
            aliases.Add($"{cls}::{name}");
            aliases.Add($"{name} ({cls})");
            var parts = cls.Split('.');
            for (var k = 1; k <= parts.Length; k++)
            {
                var module = string.Join('/', parts[..k]) + ".py";
                aliases.Add(string.Join("::", [module, .. parts[k..], name]));
            }
        }
        var nested = suites.Where(s => s != cls && !s.EndsWith(".xml", StringComparison.Ordinal)).ToList();
        if (cls is null && nested.Count > 0)
        {
            aliases.Insert(0, string.Join(PathSeparator, [.. nested, name]));
        }
        if (file is { Length: > 0 })
        {
            aliases.Add($"{file.Replace('\\', '/')}::{name}");
        }
        aliases.Add(name);
        return aliases.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>The outcome of a listed test: missing if nothing answers to the name, else passed only if every case that does passed.</summary>
    public static TestOutcome OutcomeOf(string listed, ILookup<string, ReportedTest> byAlias)
    {
        var matches = byAlias[listed].ToList();
        if (matches.Count == 0)
        {
            return TestOutcome.Missing;
        }
        if (matches.Any(m => m.Outcome == TestOutcome.Error))
        {
            return TestOutcome.Error;
        }
        if (matches.Any(m => m.Outcome == TestOutcome.Failed))
        {
            return TestOutcome.Failed;
        }
        return matches.All(m => m.Outcome == TestOutcome.Skipped) ? TestOutcome.Skipped : TestOutcome.Passed;
    }

    public static ILookup<string, ReportedTest> Index(IEnumerable<ReportedTest> tests) =>
        tests.SelectMany(t => t.Aliases.Select(a => (Alias: a, Test: t))).ToLookup(x => x.Alias, x => x.Test, StringComparer.Ordinal);
}
