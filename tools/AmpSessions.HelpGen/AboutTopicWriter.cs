using System.Text;

namespace AmpSessions.HelpGen;

/// <summary>Turns an about_*.help.md page into the plain-text about topic Get-Help shows.</summary>
internal static class AboutTopicWriter
{
    private const int Width = 80;

    public static void Write(MarkdownDocument page, string path)
    {
        var title = page.Sections.FirstOrDefault(s => s.Level == 1)
            ?? throw new HelpFormatException(page.Path, 1, "no '# about_Name' title");
        if (!title.Title.StartsWith("about_", StringComparison.Ordinal))
        {
            throw new HelpFormatException(page.Path, title.Line, "an about topic's title must start with about_");
        }
        foreach (var required in new[] { "SHORT DESCRIPTION", "LONG DESCRIPTION" })
        {
            if (!page.Sections.Any(s => s.Level == 2 && s.Title == required))
            {
                throw new HelpFormatException(page.Path, title.Line, $"the '## {required}' section is missing");
            }
        }
        var text = new StringBuilder();
        text.Append("TOPIC\n    ").Append(title.Title).Append("\n\n");
        foreach (var section in page.Sections.Where(s => s.Level > 1))
        {
            var indent = section.Level == 2 ? 4 : 4 + 2 * (section.Level - 2);
            text.Append(section.Level == 2 ? section.Title.ToUpperInvariant() : new string(' ', indent - 2) + section.Title).Append('\n');
            foreach (var block in section.Blocks)
            {
                switch (block)
                {
                    case Paragraph paragraph:
                        Wrap(text, paragraph.Text, indent);
                        break;
                    case CodeBlock code:
                        foreach (var line in code.Text.Split('\n'))
                        {
                            text.Append(new string(' ', indent + 4)).Append(line).Append('\n');
                        }
                        break;
                }
                text.Append('\n');
            }
            if (section.Blocks.Count == 0)
            {
                text.Append('\n');
            }
        }
        File.WriteAllText(path, text.ToString().TrimEnd('\n') + "\n", new UTF8Encoding(false));
    }

    private static void Wrap(StringBuilder text, string paragraph, int indent)
    {
        var line = new StringBuilder();
        foreach (var word in paragraph.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Length > 0 && indent + line.Length + 1 + word.Length > Width)
            {
                text.Append(new string(' ', indent)).Append(line).Append('\n');
                line.Clear();
            }
            if (line.Length > 0)
            {
                line.Append(' ');
            }
            line.Append(word);
        }
        if (line.Length > 0)
        {
            text.Append(new string(' ', indent)).Append(line).Append('\n');
        }
    }
}
