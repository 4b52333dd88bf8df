using System.Xml;
using System.Xml.Linq;

namespace AmpSessions.HelpGen;

/// <summary>Writes commands as MAML in the shape PlatyPS's New-ExternalHelp produces, which Get-Help reads.</summary>
internal static class MamlWriter
{
    private static readonly XNamespace Msh = "http://msh";
    private static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
    private static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    private static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";
    private static readonly XNamespace MSHelp = "http://msdn.microsoft.com/mshelp";

    public static void Write(IEnumerable<CommandHelp> commands, string path)
    {
        var document = new XDocument(
            new XDeclaration("1.0", "utf-8", null),
            new XElement(Msh + "helpItems", new XAttribute("schema", "maml"), commands.Select(CommandElement)));
        var settings = new XmlWriterSettings { Indent = true, IndentChars = "  ", Encoding = new System.Text.UTF8Encoding(false) };
        using var writer = XmlWriter.Create(path, settings);
        document.Save(writer);
    }

    private static XElement CommandElement(CommandHelp help) =>
        new(Command + "command",
            new XAttribute(XNamespace.Xmlns + "maml", Maml),
            new XAttribute(XNamespace.Xmlns + "command", Command),
            new XAttribute(XNamespace.Xmlns + "dev", Dev),
            new XAttribute(XNamespace.Xmlns + "MSHelp", MSHelp),
            new XElement(Command + "details",
                new XElement(Command + "name", help.Name),
                new XElement(Command + "verb", help.Verb),
                new XElement(Command + "noun", help.Noun),
                Description(help.Synopsis)),
            Description(help.Description),
            new XElement(Command + "syntax", help.Syntax.Select(s => SyntaxItem(help, s))),
            new XElement(Command + "parameters", help.Parameters.Select(p => Parameter(p, p.First))),
            new XElement(Command + "inputTypes", help.Inputs.Select(t => TypeElement("inputType", t))),
            new XElement(Command + "returnValues", help.Outputs.Select(t => TypeElement("returnValue", t))),
            new XElement(Maml + "alertSet", new XElement(Maml + "alert", Paragraphs(help.Notes))),
            new XElement(Command + "examples", help.Examples.Select((e, i) => Example(e, i + 1))),
            new XElement(Command + "relatedLinks", Links(help)));

    private static XElement SyntaxItem(CommandHelp help, SyntaxHelp syntax)
    {
        var parameters = help.Parameters
            .Select(p => (Parameter: p, Usage: syntax.ParameterSet == CommandHelpParser.AllParameterSets ? p.First : p.In(syntax.ParameterSet)))
            .Where(x => x.Usage is not null)
            // As Get-Help shows syntax: positional parameters in position order, then the named ones.
            .OrderBy(x => int.TryParse(x.Usage!.Position, out var position) ? position : int.MaxValue)
            .Select(x => Parameter(x.Parameter, x.Usage!));
        return new XElement(Command + "syntaxItem", new XElement(Maml + "name", help.Name), parameters);
    }

    private static XElement Parameter(ParameterHelp parameter, ParameterUsage usage) =>
        new(Command + "parameter",
            new XAttribute("required", usage.Required ? "true" : "false"),
            new XAttribute("variableLength", "true"),
            new XAttribute("globbing", usage.AcceptsWildcards ? "true" : "false"),
            new XAttribute("pipelineInput", usage.PipelineInput),
            new XAttribute("position", usage.Position.ToLowerInvariant() == "named" ? "named" : usage.Position),
            new XAttribute("aliases", usage.Aliases.Count == 0 ? "none" : string.Join(", ", usage.Aliases)),
            new XElement(Maml + "name", parameter.Name),
            Description(parameter.Description),
            usage.AcceptedValues.Count == 0
                ? null
                : new XElement(Command + "parameterValueGroup", usage.AcceptedValues.Select(v =>
                    new XElement(Command + "parameterValue", new XAttribute("required", "false"), new XAttribute(Command + "variableLength", "false"), v))),
            usage.IsSwitch
                ? null
                : new XElement(Command + "parameterValue", new XAttribute("required", "true"), new XAttribute("variableLength", "false"), usage.Type),
            new XElement(Dev + "type", new XElement(Maml + "name", usage.Type), new XElement(Maml + "uri")),
            new XElement(Dev + "defaultValue", usage.DefaultValue));

    private static XElement TypeElement(string element, TypeHelp type) =>
        new(Command + element,
            new XElement(Dev + "type", new XElement(Maml + "name", type.TypeName)),
            Description(type.Description));

    private static XElement Example(ExampleHelp example, int number)
    {
        // PlatyPS centres the title between dashes to a width of 64.
        var title = example.Title;
        var padding = Math.Max(1, (64 - title.Length - 2) / 2);
        var dashes = new string('-', padding);
        return new XElement(Command + "example",
            new XElement(Maml + "title", $"{dashes} {title} {dashes}"),
            new XElement(Dev + "code", example.Code),
            // Get-Help prints the next example's title right under the last remark line unless the
            // remarks end with an empty paragraph (what PlatyPS writes), so one closes them.
            new XElement(Dev + "remarks", [.. Paragraphs(example.Remarks), new XElement(Maml + "para", "")]));
    }

    private static IEnumerable<XElement> Links(CommandHelp help)
    {
        if (help.OnlineVersion is { } online)
        {
            yield return Link("Online Version:", online);
        }
        foreach (var link in help.Links)
        {
            yield return Link(link.Text, link.Uri);
        }
    }

    private static XElement Link(string text, string uri) =>
        new(Maml + "navigationLink", new XElement(Maml + "linkText", text), new XElement(Maml + "uri", uri));

    private static XElement Description(string paragraph) => Description([paragraph]);

    private static XElement Description(IReadOnlyList<string> paragraphs) => new(Maml + "description", Paragraphs(paragraphs));

    private static IEnumerable<XElement> Paragraphs(IReadOnlyList<string> paragraphs) =>
        paragraphs.Select(p => new XElement(Maml + "para", p));
}
