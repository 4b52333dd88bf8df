using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace AmpSessions.Module.Tests;

[Collection(StagedModuleCollection.Name)]
public sealed partial class FormatTests(StagedModule module)
{
    private XDocument Formats => XDocument.Load(module.StagedFile("AmpSessions.Format.ps1xml"));

    /// <summary>Each view (and each shared control) with the type it formats.</summary>
    private IEnumerable<(string Where, string TypeName, XElement Body)> Formatted()
    {
        var document = Formats;
        foreach (var view in document.Descendants("View"))
        {
            var type = view.Element("ViewSelectedBy")!.Elements("TypeName").Single().Value;
            var name = view.Element("Name")!.Value;
            // Row or list entries with EntrySelectedBy format their own (derived) type; the rest of the view formats the view's type.
            foreach (var entry in SelectedEntries(view))
            {
                yield return ($"view {name} entry", entry.Element("EntrySelectedBy")!.Element("TypeName")!.Value, entry);
            }
            var body = new XElement(view);
            SelectedEntries(body).ToArray().Remove();
            yield return ($"view {name}", type, body);
        }
        foreach (var (control, type) in ControlTypes(document))
        {
            yield return ($"control {control.Element("Name")!.Value}", type, control);
        }
    }

    /// <summary>
    /// The type each named control formats. pwsh 7.6 rejects a named control without a default entry,
    /// so controls carry no EntrySelectedBy: a control formats what the binding that names it reads
    /// (the element type of that property of the using view's or control's type).
    /// </summary>
    private IEnumerable<(XElement Control, string Type)> ControlTypes(XDocument document)
    {
        var controls = document.Root!.Element("Controls")!.Elements("Control").ToDictionary(c => c.Element("Name")!.Value);
        var known = new Dictionary<string, string>();
        var users = document.Descendants("View").Select(v => (Body: (XElement)v, Type: v.Element("ViewSelectedBy")!.Elements("TypeName").Single().Value)).ToList();
        for (var i = 0; i < users.Count; i++)
        {
            var (body, typeName) = users[i];
            var type = module.FindType(typeName);
            foreach (var binding in body.Descendants("ExpressionBinding").Where(b => b.Element("CustomControlName") is not null && b.Element("PropertyName") is not null))
            {
                var name = binding.Element("CustomControlName")!.Value;
                var property = type?.GetProperty(binding.Element("PropertyName")!.Value);
                var element = property is null ? null : ElementType(property.PropertyType);
                if (element is not null && known.TryAdd(name, element.FullName!) && controls.TryGetValue(name, out var control))
                {
                    users.Add((control, element.FullName!));
                }
            }
        }
        Assert.All(controls.Keys, name => Assert.True(known.ContainsKey(name), $"control {name} is bound by no view through a property, so its type is unknown"));
        return controls.Values.Select(c => (c, known[c.Element("Name")!.Value]));
    }

    private static Type ElementType(Type type) =>
        type.IsArray ? type.GetElementType()!
        : type.IsGenericType && type.GetGenericArguments().Length == 1 && type.Name.StartsWith("IReadOnlyList", StringComparison.Ordinal) ? type.GetGenericArguments()[0]
        : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.Name.StartsWith("IEnumerable", StringComparison.Ordinal))?.GetGenericArguments()[0] is { } item && type.FullName != "System.String" ? item
        : type;

    private static IEnumerable<XElement> SelectedEntries(XElement view) =>
        view.Descendants().Where(e => e.Name.LocalName is "TableRowEntry" or "ListEntry" or "CustomEntry" && e.Element("EntrySelectedBy") is not null);

    [Fact]
    public void Every_type_a_view_selects_exists_in_the_staged_assemblies()
    {
        var typeNames = Formats.Descendants("TypeName").Select(t => t.Value).Distinct().ToArray();
        Assert.NotEmpty(typeNames);
        Assert.All(typeNames, name => Assert.True(module.FindType(name) is not null, $"{name} is not a type of the staged module"));
    }

    [Fact]
    public void Every_property_a_view_reads_exists_on_its_type()
    {
        Assert.All(Formatted(), f =>
        {
            var type = module.FindType(f.TypeName)!;
            // Nested controls (CustomControlName) bind their own types; only this body's own bindings count.
            var properties = f.Body.Descendants("PropertyName").Where(p => p.Parent!.Name != "GroupBy").Select(p => p.Value);
            var scriptProperties = f.Body.Descendants("ScriptBlock").SelectMany(s => DollarUnderscoreProperty().Matches(s.Value).Select(m => m.Groups["name"].Value));
            Assert.All(properties.Concat(scriptProperties).Distinct(), name =>
                Assert.True(HasProperty(type, name), $"{f.Where}: {f.TypeName} has no property '{name}'"));
        });
    }

    [Fact]
    public void Every_entry_a_view_selects_is_the_views_type_or_derives_from_it()
    {
        foreach (var view in Formats.Descendants("View"))
        {
            var viewType = module.FindType(view.Element("ViewSelectedBy")!.Element("TypeName")!.Value)!;
            Assert.All(SelectedEntries(view), entry =>
            {
                var entryType = module.FindType(entry.Element("EntrySelectedBy")!.Element("TypeName")!.Value);
                Assert.True(entryType is not null && (entryType == viewType || entryType.IsSubclassOf(viewType)),
                    $"view {view.Element("Name")!.Value}: an entry selects {entryType?.FullName}, which is not a {viewType.FullName}");
            });
        }
    }

    [Fact]
    public void Every_module_type_a_script_block_names_exists()
    {
        var literals = Formats.Descendants("ScriptBlock").SelectMany(s => TypeLiteral().Matches(s.Value)).Select(m => m.Groups["name"].Value).Distinct().ToArray();
        Assert.NotEmpty(literals);
        Assert.All(literals, name => Assert.True(module.FindType(name) is not null, $"[{name}] is not a type of the staged module"));
    }

    [Fact]
    public void Every_named_control_a_view_uses_is_defined()
    {
        var document = Formats;
        var defined = document.Root!.Element("Controls")!.Elements("Control").Select(c => c.Element("Name")!.Value).ToHashSet();
        Assert.All(document.Descendants("CustomControlName"), use => Assert.Contains(use.Value, defined));
    }

    [Fact]
    public void Sessions_backups_and_diffs_have_their_default_views()
    {
        var firstViewKind = Formats.Descendants("View")
            .GroupBy(v => v.Element("ViewSelectedBy")!.Element("TypeName")!.Value)
            .ToDictionary(g => g.Key, g => g.First().Elements().Last().Name.LocalName);
        Assert.Equal("TableControl", firstViewKind["AmpSessions.Core.Sessions.Session"]);
        Assert.Equal("TableControl", firstViewKind["AmpSessions.Core.Backups.SessionBackup"]);
        Assert.Equal("ListControl", firstViewKind["AmpSessions.Core.Sessions.SessionState"]);
        Assert.Equal("CustomControl", firstViewKind["AmpSessions.Core.Sessions.SessionDiff"]);
        Assert.Equal("CustomControl", firstViewKind["AmpSessions.Core.Git.FileDiff"]);
    }

    [Fact]
    public void Iterations_timelines_scripts_templates_and_watch_events_are_tables_and_integration_results_are_lists()
    {
        var views = Formats.Descendants("View")
            .GroupBy(v => v.Element("ViewSelectedBy")!.Element("TypeName")!.Value)
            .ToDictionary(g => g.Key, g => g.Select(v => (Name: v.Element("Name")!.Value, Kind: v.Elements().Last().Name.LocalName)).ToArray());
        foreach (var table in new[] { "Iterations.IterationRecord", "Timeline.TimelineEntry", "Scripts.ScriptRun", "Templates.SessionTemplate", "Sessions.SessionWatchEvent" })
        {
            Assert.Equal("TableControl", views["AmpSessions.Core." + table][0].Kind);
        }
        foreach (var result in new[] { "SquashResult", "RebaseResult", "MergeResult", "ExportResult", "RestoreResult" })
        {
            Assert.Equal("ListControl", views["AmpSessions.Core.Integration." + result][0].Kind);
        }
        // The timeline: a table named Timeline by default, and Format-Custom -View History.
        Assert.Equal(("Timeline", "TableControl"), views["AmpSessions.Core.Timeline.TimelineEntry"][0]);
        Assert.Contains(("History", "CustomControl"), views["AmpSessions.Core.Timeline.TimelineEntry"]);
    }

    [Fact]
    public void Batches_items_runs_and_reports_are_tables_with_list_views_and_merges_are_lists()
    {
        var views = Formats.Descendants("View")
            .GroupBy(v => v.Element("ViewSelectedBy")!.Element("TypeName")!.Value)
            .ToDictionary(g => g.Key, g => g.Select(v => (Name: v.Element("Name")!.Value, Kind: v.Elements().Last().Name.LocalName)).ToArray());
        foreach (var table in new[] { "Batches.BatchDetails", "Batches.BatchSummary", "Batches.BatchItemResult", "Batches.BatchRunResult", "Reports.BatchReportFile" })
        {
            Assert.Equal("TableControl", views["AmpSessions.Core." + table][0].Kind);
        }
        foreach (var listed in new[] { "Batches.BatchDetails", "Batches.BatchItemResult", "Batches.BatchRunResult" })
        {
            Assert.Contains(("Details", "ListControl"), views["AmpSessions.Core." + listed]);
        }
        Assert.Equal("ListControl", views["AmpSessions.Core.Batches.MergedJournal"][0].Kind);
    }

    [Fact]
    public void The_watch_view_has_a_row_for_every_kind_of_event()
    {
        var view = Formats.Descendants("View").Single(v => v.Element("ViewSelectedBy")!.Element("TypeName")!.Value == "AmpSessions.Core.Sessions.SessionWatchEvent");
        var selected = SelectedEntries(view).Select(e => e.Element("EntrySelectedBy")!.Element("TypeName")!.Value).Order(StringComparer.Ordinal);
        var baseType = module.FindType("AmpSessions.Core.Sessions.SessionWatchEvent")!;
        var kinds = module.Core.GetExportedTypes().Where(t => t.IsSubclassOf(baseType)).Select(t => t.FullName!).Order(StringComparer.Ordinal);
        Assert.Equal(kinds, selected);
    }

    [Fact]
    public void Every_cmdlet_output_type_has_a_view()
    {
        var formatted = Formats.Descendants("ViewSelectedBy").Elements("TypeName").Select(t => t.Value).ToHashSet();
        Assert.All(module.Cmdlets, c => Assert.Contains(c.CoreOutputType.FullName!, formatted));
    }

    [Fact]
    public void The_diff_colours_added_and_removed_lines_through_PSStyle_when_there_is_one()
    {
        var line = Formats.Root!.Element("Controls")!.Elements("Control").Single(c => c.Element("Name")!.Value == "AmpDiffLine").Value;
        Assert.Contains("$PSStyle.Foreground.Green", line, StringComparison.Ordinal);
        Assert.Contains("$PSStyle.Foreground.Red", line, StringComparison.Ordinal);
        Assert.Contains("if (-not $PSStyle) { $text }", line, StringComparison.Ordinal);
    }

    private static bool HasProperty(Type type, string name) =>
        type.GetProperty(name, BindingFlags.Public | BindingFlags.Instance) is not null;

    // $_.Name at the start of a member chain; $_.Name.Substring(...) reads Name.
    [GeneratedRegex(@"\$_\.(?<name>[A-Za-z]+)")]
    private static partial Regex DollarUnderscoreProperty();

    [GeneratedRegex(@"\[(?<name>AmpSessions\.[A-Za-z.]+)\]")]
    private static partial Regex TypeLiteral();
}
