using System.Text.RegularExpressions;

namespace AmpSessions.HelpGen;

/// <summary>Reads one cmdlet page in the PlatyPS layout into a <see cref="CommandHelp"/>, refusing pages that leave something out.</summary>
internal static partial class CommandHelpParser
{
    public const string AllParameterSets = "__AllParameterSets";

    private static readonly string[] RequiredSections = ["SYNOPSIS", "SYNTAX", "DESCRIPTION", "EXAMPLES", "PARAMETERS", "INPUTS", "OUTPUTS", "NOTES", "RELATED LINKS"];

    private static readonly string[] YamlKeys =
        ["Type", "Parameter Sets", "Aliases", "Accepted values", "Required", "Position", "Default value", "Accept pipeline input", "Accept wildcard characters"];

    public static bool IsCommandPageName(string name) => CommandName().IsMatch(name);

    public static CommandHelp Parse(MarkdownDocument page, string moduleName)
    {
        var path = page.Path;
        Expect(page, page.FrontMatter.GetValueOrDefault("Module Name") == moduleName, 1, $"the front matter must say 'Module Name: {moduleName}'");
        Expect(page, page.FrontMatter.GetValueOrDefault("external help file") == moduleName + ".dll-Help.xml", 1,
            $"the front matter must say 'external help file: {moduleName}.dll-Help.xml'");
        Expect(page, page.FrontMatter.GetValueOrDefault("schema") == "2.0.0", 1, "the front matter must say 'schema: 2.0.0'");

        var title = page.Sections.FirstOrDefault(s => s.Level == 1) ?? throw new HelpFormatException(path, 1, "no '# Verb-Noun' title");
        Expect(page, CommandName().IsMatch(title.Title), title.Line, $"the title '{title.Title}' is not a Verb-Noun command name");
        var sections = page.Sections.Where(s => s.Level == 2).ToDictionary(s => s.Title, StringComparer.Ordinal);
        foreach (var required in RequiredSections)
        {
            Expect(page, sections.ContainsKey(required), title.Line, $"the '## {required}' section is missing");
        }

        var synopsis = Paragraphs(sections["SYNOPSIS"]);
        Expect(page, synopsis.Count > 0, sections["SYNOPSIS"].Line, "the SYNOPSIS is empty");
        var description = Paragraphs(sections["DESCRIPTION"]);
        Expect(page, description.Count > 0, sections["DESCRIPTION"].Line, "the DESCRIPTION is empty");
        var examples = Children(page, sections["EXAMPLES"]).Select(e => ParseExample(page, e)).ToArray();
        Expect(page, examples.Length >= 2, sections["EXAMPLES"].Line, "a page needs at least two examples");

        return new CommandHelp
        {
            Name = title.Title,
            Synopsis = string.Join(" ", synopsis),
            Description = description,
            Syntax = ParseSyntax(page, sections["SYNTAX"]),
            Examples = examples,
            Parameters = Children(page, sections["PARAMETERS"])
                .Where(p => p.Title != "CommonParameters")
                .Select(p => ParseParameter(page, p))
                .ToArray(),
            Inputs = Children(page, sections["INPUTS"]).Select(t => new TypeHelp(t.Title, Paragraphs(t))).ToArray(),
            Outputs = Children(page, sections["OUTPUTS"]).Select(t => new TypeHelp(t.Title, Paragraphs(t))).ToArray(),
            Notes = Paragraphs(sections["NOTES"]),
            Links = ParseLinks(sections["RELATED LINKS"]),
            OnlineVersion = page.FrontMatter.GetValueOrDefault("online version") is { Length: > 0 } online ? online : null,
        };
    }

    private static IReadOnlyList<SyntaxHelp> ParseSyntax(MarkdownDocument page, Section syntax)
    {
        var sets = Children(page, syntax);
        if (sets.Count == 0)
        {
            var code = syntax.Blocks.OfType<CodeBlock>().SingleOrDefault()
                ?? throw new HelpFormatException(page.Path, syntax.Line, "SYNTAX needs one code block, or one '### SetName' heading with a code block per parameter set");
            return [new SyntaxHelp(AllParameterSets, true, code.Text.Trim())];
        }
        return sets.Select(set =>
        {
            var code = set.Blocks.OfType<CodeBlock>().SingleOrDefault()
                ?? throw new HelpFormatException(page.Path, set.Line, $"the parameter set '{set.Title}' needs one code block");
            var isDefault = set.Title.EndsWith("(Default)", StringComparison.Ordinal);
            var name = isDefault ? set.Title[..^"(Default)".Length].Trim() : set.Title;
            return new SyntaxHelp(name, isDefault, code.Text.Trim());
        }).ToArray();
    }

    private static ExampleHelp ParseExample(MarkdownDocument page, Section example)
    {
        var code = example.Blocks.OfType<CodeBlock>().ToArray();
        Expect(page, code.Length > 0, example.Line, $"the example '{example.Title}' has no code block");
        return new ExampleHelp(example.Title, string.Join("\n\n", code.Select(c => c.Text.Trim())), Paragraphs(example));
    }

    private static ParameterHelp ParseParameter(MarkdownDocument page, Section parameter)
    {
        Expect(page, parameter.Title.StartsWith('-'), parameter.Line, $"a parameter heading must be '### -Name', not '### {parameter.Title}'");
        var yaml = parameter.Blocks.OfType<CodeBlock>().Where(c => c.Language == "yaml").ToArray();
        Expect(page, yaml.Length > 0, parameter.Line, $"the parameter {parameter.Title} has no ```yaml block");
        var description = Paragraphs(parameter);
        Expect(page, description.Count > 0, parameter.Line, $"the parameter {parameter.Title} has no description");
        return new ParameterHelp
        {
            Name = parameter.Title[1..],
            Description = description,
            Usages = yaml.Select(y => ParseUsage(page, y)).ToArray(),
        };
    }

    private static ParameterUsage ParseUsage(MarkdownDocument page, CodeBlock yaml)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in yaml.Text.Split('\n').Where(l => l.Trim().Length > 0))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var key = colon > 0 ? line[..colon].Trim() : "";
            Expect(page, YamlKeys.Contains(key), yaml.Line, $"unknown line in a parameter's yaml block: '{line}'");
            values[key] = line[(colon + 1)..].Trim();
        }
        foreach (var key in YamlKeys.Where(k => k != "Accepted values"))
        {
            Expect(page, values.ContainsKey(key), yaml.Line, $"a parameter's yaml block lacks '{key}:'");
        }
        return new ParameterUsage
        {
            Type = values["Type"],
            ParameterSets = List(values["Parameter Sets"]),
            Aliases = values["Aliases"] is "" or "None" ? [] : List(values["Aliases"]),
            AcceptedValues = values.TryGetValue("Accepted values", out var accepted) ? List(accepted) : [],
            Required = Boolean(page, yaml, values["Required"]),
            Position = values["Position"],
            DefaultValue = values["Default value"],
            PipelineInput = values["Accept pipeline input"],
            AcceptsWildcards = Boolean(page, yaml, values["Accept wildcard characters"]),
        };
    }

    private static IReadOnlyList<LinkHelp> ParseLinks(Section links) =>
        links.Blocks.OfType<Paragraph>()
            .SelectMany(p => MarkdownLink().Matches(p.Text))
            .Select(m => new LinkHelp(m.Groups["text"].Value, m.Groups["uri"].Value))
            .ToArray();

    /// <summary>The level-3 sections that follow a level-2 section, up to the next level-2 one.</summary>
    private static IReadOnlyList<Section> Children(MarkdownDocument page, Section parent)
    {
        var start = page.Sections.ToList().IndexOf(parent);
        return page.Sections.Skip(start + 1).TakeWhile(s => s.Level > parent.Level).Where(s => s.Level == parent.Level + 1).ToArray();
    }

    private static IReadOnlyList<string> Paragraphs(Section section) =>
        section.Blocks.OfType<Paragraph>().Select(p => p.Text).ToArray();

    private static IReadOnlyList<string> List(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static bool Boolean(MarkdownDocument page, CodeBlock yaml, string text) => text switch
    {
        "True" => true,
        "False" => false,
        _ => throw new HelpFormatException(page.Path, yaml.Line, $"'{text}' is not True or False"),
    };

    private static void Expect(MarkdownDocument page, bool condition, int line, string message)
    {
        if (!condition)
        {
            throw new HelpFormatException(page.Path, line, message);
        }
    }

    [GeneratedRegex(@"^[A-Z][a-z]+-[A-Z][A-Za-z]+$")]
    private static partial Regex CommandName();

    [GeneratedRegex(@"\[(?<text>[^\]]+)\]\((?<uri>[^)]*)\)")]
    private static partial Regex MarkdownLink();
}
