using System.Xml.Linq;

namespace AmpSessions.Module.Tests;

[Collection(StagedModuleCollection.Name)]
public sealed class HelpTests(StagedModule module)
{
    private static readonly XNamespace Msh = "http://msh";
    private static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
    private static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    private static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";

    private static readonly string[] Sections =
        ["SYNOPSIS", "SYNTAX", "DESCRIPTION", "EXAMPLES", "PARAMETERS", "INPUTS", "OUTPUTS", "NOTES", "RELATED LINKS"];

    private HelpPage Page(CompiledCmdlet cmdlet)
    {
        var path = module.RepositoryFile("docs", cmdlet.Name + ".md");
        Assert.True(File.Exists(path), $"{cmdlet.Name} has no help page at docs/{cmdlet.Name}.md");
        return new HelpPage(path);
    }

    [Fact]
    public void Every_cmdlet_has_a_page_in_the_PlatyPS_layout() =>
        Assert.All(module.Cmdlets, c =>
        {
            var page = Page(c);
            Assert.StartsWith("---\nexternal help file: AmpSessions.dll-Help.xml\nModule Name: AmpSessions\n", page.Text, StringComparison.Ordinal);
            Assert.Contains("\nschema: 2.0.0\n", page.Text, StringComparison.Ordinal);
            Assert.Contains($"\n# {c.Name}\n", page.Text, StringComparison.Ordinal);
            Assert.Equal(Sections, page.Sections);
        });

    [Fact]
    public void Every_page_has_at_least_two_examples_and_one_is_a_pipeline() =>
        Assert.All(module.Cmdlets, c =>
        {
            var page = Page(c);
            Assert.True(page.Examples.Count >= 2, $"{c.Name}: {page.Examples.Count} examples");
            Assert.Contains(page.Examples, e => e.Contains('|', StringComparison.Ordinal) && e.Contains(c.Name, StringComparison.Ordinal));
        });

    [Fact]
    public void Every_parameter_is_documented_as_compiled_and_nothing_else_is() =>
        Assert.All(module.Cmdlets, c =>
        {
            var page = Page(c);
            Assert.Equal(c.UserParameterNames.Order(StringComparer.Ordinal), page.Parameters.Keys.Order(StringComparer.Ordinal));
            foreach (var parameter in c.Parameters)
            {
                var usage = Assert.Single(parameter.Usages);
                var yaml = Assert.Single(page.Parameters[parameter.Name]);
                var where = $"{c.Name} -{parameter.Name}";
                Assert.True(yaml["Type"] == parameter.DocumentedTypeName, $"{where}: Type {yaml["Type"]}, compiled {parameter.DocumentedTypeName}");
                Assert.True(yaml["Parameter Sets"] == (usage.ParameterSet == PowerShellTypes.AllParameterSets ? "(All)" : usage.ParameterSet), $"{where}: Parameter Sets");
                Assert.True(yaml["Aliases"] == string.Join(", ", parameter.Aliases), $"{where}: Aliases");
                Assert.True(yaml["Required"] == (usage.Mandatory ? "True" : "False"), $"{where}: Required");
                Assert.True(yaml["Position"] == usage.DocumentedPosition, $"{where}: Position");
                Assert.True(yaml["Accept pipeline input"] == usage.DocumentedPipelineInput, $"{where}: Accept pipeline input");
                Assert.True(yaml["Accept wildcard characters"] == (parameter.SupportsWildcards ? "True" : "False"), $"{where}: Accept wildcard characters");
            }
        });

    [Fact]
    public void The_syntax_shows_the_compiled_parameter_sets_and_the_default() =>
        Assert.All(module.Cmdlets, c =>
        {
            var page = Page(c);
            var documented = page.SyntaxSets.Select(s => s.Replace("(Default)", "", StringComparison.Ordinal).Trim()).Order(StringComparer.Ordinal);
            Assert.Equal(c.ParameterSets, documented);
            if (c.DefaultParameterSet is { } defaultSet && c.ParameterSets.Count > 1)
            {
                Assert.Contains($"{defaultSet} (Default)", page.SyntaxSets);
            }
        });

    [Fact]
    public void The_outputs_name_the_output_type() =>
        Assert.All(module.Cmdlets, c => Assert.Contains(c.CoreOutputType.FullName, Page(c).Outputs));

    [Fact]
    public void The_staged_MAML_has_the_shape_PlatyPS_writes()
    {
        var document = XDocument.Load(module.StagedFile("en-US", "AmpSessions.dll-Help.xml"));
        var root = document.Root!;
        Assert.Equal(Msh + "helpItems", root.Name);
        Assert.Equal("maml", root.Attribute("schema")?.Value);
        var commands = root.Elements(Command + "command").ToArray();
        Assert.NotEmpty(commands);
        Assert.All(commands, command =>
        {
            Assert.Equal(Maml.NamespaceName, command.Attribute(XNamespace.Xmlns + "maml")?.Value);
            Assert.Equal(Command.NamespaceName, command.Attribute(XNamespace.Xmlns + "command")?.Value);
            Assert.Equal(Dev.NamespaceName, command.Attribute(XNamespace.Xmlns + "dev")?.Value);
            Assert.Equal("http://msdn.microsoft.com/mshelp", command.Attribute(XNamespace.Xmlns + "MSHelp")?.Value);
            Assert.Equal(
                [Command + "details", Maml + "description", Command + "syntax", Command + "parameters", Command + "inputTypes",
                 Command + "returnValues", Maml + "alertSet", Command + "examples", Command + "relatedLinks"],
                command.Elements().Select(e => e.Name));
            Assert.NotEmpty(command.Element(Command + "details")!.Element(Maml + "description")!.Elements(Maml + "para").Single().Value);
            Assert.NotEmpty(command.Element(Command + "syntax")!.Elements(Command + "syntaxItem"));
            Assert.True(command.Element(Command + "examples")!.Elements(Command + "example").Count() >= 2);
        });
    }

    [Fact]
    public void Every_cmdlet_and_parameter_has_its_MAML_entry()
    {
        var commands = XDocument.Load(module.StagedFile("en-US", "AmpSessions.dll-Help.xml")).Root!.Elements(Command + "command")
            .ToDictionary(c => c.Element(Command + "details")!.Element(Command + "name")!.Value);
        Assert.Equal(module.Cmdlets.Select(c => c.Name).Order(StringComparer.Ordinal), commands.Keys.Order(StringComparer.Ordinal));
        Assert.All(module.Cmdlets, c =>
        {
            var command = commands[c.Name];
            Assert.Equal(c.Verb, command.Element(Command + "details")!.Element(Command + "verb")!.Value);
            Assert.Equal(c.Noun, command.Element(Command + "details")!.Element(Command + "noun")!.Value);
            var documented = command.Element(Command + "parameters")!.Elements(Command + "parameter").Select(p => p.Element(Maml + "name")!.Value);
            Assert.Equal(c.UserParameterNames.Order(StringComparer.Ordinal), documented.Order(StringComparer.Ordinal));
            var syntaxItems = command.Element(Command + "syntax")!.Elements(Command + "syntaxItem").ToArray();
            Assert.Equal(Math.Max(1, c.ParameterSets.Count), syntaxItems.Length);
            foreach (var parameter in c.Parameters)
            {
                var entry = command.Element(Command + "parameters")!.Elements(Command + "parameter").Single(p => p.Element(Maml + "name")!.Value == parameter.Name);
                Assert.Equal(parameter.Usages.Single().Mandatory ? "true" : "false", entry.Attribute("required")!.Value);
                Assert.Equal(parameter.Usages.Single().DocumentedPipelineInput, entry.Attribute("pipelineInput")!.Value);
                Assert.Equal(parameter.IsSwitch, entry.Element(Command + "parameterValue") is null);
            }
        });
    }

    [Fact]
    public void The_about_topic_is_staged_as_text()
    {
        Assert.True(File.Exists(module.RepositoryFile("docs", "about_AmpSessions.help.md")));
        var text = File.ReadAllText(module.StagedFile("en-US", "about_AmpSessions.help.txt"));
        Assert.StartsWith("TOPIC\n    about_AmpSessions\n\nSHORT DESCRIPTION\n", text.Replace("\r\n", "\n", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains("LONG DESCRIPTION", text, StringComparison.Ordinal);
        Assert.All(module.Cmdlets, c => Assert.Contains(c.Name, text, StringComparison.Ordinal));
    }
}
