using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using AmpSessions.PowerShell.Tests.Hosting;

namespace AmpSessions.PowerShell.Tests.Views;

/// <summary>
/// Every view in the staged format file, rendered by real PowerShell with Out-String at 80 and 120
/// columns from fixed sample objects (Views/samples.json, deserialized by the staged core), and
/// compared with the approved text in Views/Approved/. A changed rendering is a reviewed diff:
/// run with AMP_SESSIONS_APPROVE=1 to write the new renderings over the approved files, then read
/// the diff before committing. Beyond the approved text, every rendering must keep the rules a
/// person reading it relies on: one header line, nothing wider than the console, no raw .NET values.
/// </summary>
public sealed partial class FormatViewTests(FormatViewTests.ViewHost host) : IClassFixture<FormatViewTests.ViewHost>
{
    public sealed class ViewHost : IDisposable
    {
        public HostedPowerShell Shell { get; } = new();

        public ViewHost()
        {
            // Approved text has no colour codes.
            Shell.Invoke("$PSStyle.OutputRendering = 'PlainText'");
        }

        public void Dispose() => Shell.Dispose();
    }

    private static readonly string ViewsDirectory = Path.Combine(TestEnvironment.RepositoryRoot, "tests", "AmpSessions.PowerShell.Tests", "Views");

    internal static readonly JsonElement Samples = JsonDocument.Parse(File.ReadAllText(Path.Combine(ViewsDirectory, "samples.json"))).RootElement;

    public sealed record View(string Name, string TypeName, string Kind)
    {
        public string ShortType => TypeName[(TypeName.LastIndexOf('.') + 1)..];

        public override string ToString() => $"{ShortType}.{Name}";
    }

    public static IReadOnlyList<View> AllViews()
    {
        var formats = XDocument.Load(Path.Combine(TestEnvironment.StagedModuleDirectory, "AmpSessions.Format.ps1xml"));
        return formats.Descendants("View").Select(v => new View(
            v.Element("Name")!.Value,
            v.Element("ViewSelectedBy")!.Element("TypeName")!.Value,
            v.Elements().Last().Name.LocalName switch { "TableControl" => "Table", "ListControl" => "List", _ => "Custom" })).ToArray();
    }

    public static TheoryData<string, int> Renderings()
    {
        var data = new TheoryData<string, int>();
        foreach (var view in AllViews())
        {
            data.Add(view.ToString(), 80);
            data.Add(view.ToString(), 120);
        }
        return data;
    }

    [Fact]
    public void Every_view_has_samples_to_render()
    {
        Assert.All(AllViews(), view => Assert.True(Samples.TryGetProperty(view.TypeName, out var list) && list.GetArrayLength() > 0,
            $"view {view}: add samples of {view.TypeName} to Views/samples.json"));
    }

    [Theory]
    [MemberData(nameof(Renderings))]
    public void Every_view_renders_as_approved_and_readable(string viewKey, int width)
    {
        var view = AllViews().Single(v => v.ToString() == viewKey);
        var text = Render(view, width);

        var lines = text.Split('\n');
        Assert.All(lines, line => Assert.True(line.TrimEnd().Length <= width, $"{view} at {width}: a line is {line.TrimEnd().Length} wide: '{line}'"));
        foreach (var raw in new[] { "TokenUsage {", "System.String[]", "System.Collections", "AmpSessions.Core.", "System.Object[]" })
        {
            Assert.DoesNotContain(raw, text, StringComparison.Ordinal);
        }
        Assert.DoesNotMatch(RawTimeSpan(), text);
        Assert.DoesNotMatch(RawDateTimeOffset(), text);
        if (view.Kind == "Table")
        {
            AssertOneHeaderLine(view, width, lines);
        }
        if (view.TypeName is "AmpSessions.Core.Sessions.SessionDiff" or "AmpSessions.Core.Git.FileDiff" or "AmpSessions.Core.Git.DiffHunk" && view.Kind == "Custom")
        {
            AssertEveryDiffLineShown(view, text);
        }
        Approve(view, width, text);
    }

    [Fact]
    public void The_session_table_at_80_columns_shows_id_name_status_base_and_branch_on_one_header_line()
    {
        var view = AllViews().First(v => v.TypeName == "AmpSessions.Core.Sessions.Session");
        var header = Render(view, 80).Split('\n').First(l => l.StartsWith("Id", StringComparison.Ordinal));

        Assert.Matches(@"^Id\s+Name\s+Status\s+Base\s+Branch\s*$", header);
    }

    private string Render(View view, int width)
    {
        var samples = Samples.GetProperty(view.TypeName).EnumerateArray()
            .Select(s => new[] { s.GetProperty("type").GetString()!, s.GetProperty("json").GetRawText() }).ToArray();
        var text = host.Shell.Render(
            "$options = [AmpSessions.Core.Serialization.JsonOutput]::Options; " +
            "$objects = foreach ($sample in $Samples) { [System.Text.Json.JsonSerializer]::Deserialize($sample[1], [type]$sample[0], $options) }; " +
            $"$objects | Format-{view.Kind} -View '{view.Name}'", width, ("Samples", samples));
        return text.Replace("\r\n", "\n");
    }

    private static void AssertOneHeaderLine(View view, int width, string[] lines)
    {
        var rules = Enumerable.Range(0, lines.Length).Where(i => HeaderRule().IsMatch(lines[i])).ToArray();
        Assert.True(rules.Length > 0, $"{view} at {width}: no header rule in:\n{string.Join('\n', lines)}");
        foreach (var rule in rules)
        {
            // The line above the dashes is the header; above it a blank line, unless a header label wrapped.
            Assert.True(rule >= 2 && lines[rule - 2].Trim().Length == 0,
                $"{view} at {width}: the column headers take more than one line (a header printed down the page):\n{string.Join('\n', lines.Skip(Math.Max(0, rule - 6)).Take(7))}");
        }
    }

    private static void AssertEveryDiffLineShown(View view, string text)
    {
        foreach (var sample in Samples.GetProperty(view.TypeName).EnumerateArray())
        {
            foreach (var line in sample.GetProperty("json").Descendants("lines"))
            {
                var kind = line.GetProperty("kind").GetString();
                var prefix = kind switch { "Added" => "+", "Removed" => "-", "Context" => " ", _ => "" };
                var expected = prefix + line.GetProperty("text").GetString();
                Assert.Contains("\n" + expected + "\n", "\n" + text, StringComparison.Ordinal);
            }
        }
    }

    private static void Approve(View view, int width, string text)
    {
        var directory = Path.Combine(ViewsDirectory, "Approved");
        var approved = Path.Combine(directory, $"{view}.{width}.txt");
        var received = Path.ChangeExtension(approved, ".received.txt");
        // Trailing spaces are not part of a rendering a person sees.
        var normalized = string.Join('\n', text.Split('\n').Select(l => l.TrimEnd())).Trim('\n') + "\n";
        if (Environment.GetEnvironmentVariable("AMP_SESSIONS_APPROVE") == "1")
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(approved, normalized);
            File.Delete(received);
            return;
        }
        var expected = File.Exists(approved) ? File.ReadAllText(approved).Replace("\r\n", "\n") : null;
        if (expected != normalized)
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(received, normalized);
            Assert.Fail($"{view} at {width} columns differs from {approved} (the new rendering is in {received}; " +
                "if it is right, run the tests with AMP_SESSIONS_APPROVE=1 and review the diff):\n" + normalized);
        }
        File.Delete(received);
    }

    [GeneratedRegex(@"\b\d\d:\d\d:\d\d\.\d{7}\b")]
    private static partial Regex RawTimeSpan();

    [GeneratedRegex(@"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d")]
    private static partial Regex RawDateTimeOffset();

    [GeneratedRegex(@"^ *-+( +-+)* *$")]
    private static partial Regex HeaderRule();
}

internal static class JsonElementExtensions
{
    /// <summary>Every array named <paramref name="name"/> anywhere below this element, flattened to its items.</summary>
    public static IEnumerable<JsonElement> Descendants(this JsonElement element, string name)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                if (property.Name == name && property.Value.ValueKind == JsonValueKind.Array)
                {
                    foreach (var item in property.Value.EnumerateArray())
                    {
                        yield return item;
                    }
                }
                foreach (var inner in property.Value.Descendants(name))
                {
                    yield return inner;
                }
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                foreach (var inner in item.Descendants(name))
                {
                    yield return inner;
                }
            }
        }
    }
}
