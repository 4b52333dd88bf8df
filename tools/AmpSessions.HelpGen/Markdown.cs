using System.Text;

namespace AmpSessions.HelpGen;

/// <summary>A heading with the blocks under it (up to the next heading of any level).</summary>
internal sealed record Section(int Level, string Title, int Line, IReadOnlyList<Block> Blocks);

/// <summary>A paragraph (soft-wrapped lines joined) or a fenced code block.</summary>
internal abstract record Block(int Line);

internal sealed record Paragraph(string Text, int Line) : Block(Line);

internal sealed record CodeBlock(string Language, string Text, int Line) : Block(Line);

/// <summary>A markdown document in the PlatyPS layout: YAML front matter, then headings, paragraphs and fences.</summary>
internal sealed class MarkdownDocument
{
    private MarkdownDocument(string path, IReadOnlyDictionary<string, string> frontMatter, IReadOnlyList<Section> sections)
    {
        Path = path;
        FrontMatter = frontMatter;
        Sections = sections;
    }

    public string Path { get; }
    public IReadOnlyDictionary<string, string> FrontMatter { get; }
    public IReadOnlyList<Section> Sections { get; }

    public static MarkdownDocument Load(string path)
    {
        var lines = File.ReadAllText(path).Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var index = 0;
        var frontMatter = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (lines.Length > 0 && lines[0].Trim() == "---")
        {
            for (index = 1; index < lines.Length && lines[index].Trim() != "---"; index++)
            {
                var colon = lines[index].IndexOf(':', StringComparison.Ordinal);
                if (colon > 0)
                {
                    frontMatter[lines[index][..colon].Trim()] = lines[index][(colon + 1)..].Trim();
                }
            }
            if (index == lines.Length)
            {
                throw new HelpFormatException(path, 1, "the front matter that starts with --- never ends with ---");
            }
            index++;
        }

        var sections = new List<Section>();
        var blocks = new List<Block>();
        (int Level, string Title, int Line)? heading = null;
        var paragraph = new StringBuilder();
        var paragraphLine = 0;

        void FlushParagraph()
        {
            if (paragraph.Length > 0)
            {
                blocks.Add(new Paragraph(paragraph.ToString(), paragraphLine));
                paragraph.Clear();
            }
        }

        void FlushSection()
        {
            FlushParagraph();
            if (heading is { } h)
            {
                sections.Add(new Section(h.Level, h.Title, h.Line, blocks.ToArray()));
            }
            else if (blocks.Count > 0)
            {
                throw new HelpFormatException(path, blocks[0].Line, "text before the first heading");
            }
            blocks.Clear();
        }

        for (; index < lines.Length; index++)
        {
            var line = lines[index];
            var lineNumber = index + 1;
            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                FlushParagraph();
                var language = line[3..].Trim();
                var code = new List<string>();
                for (index++; index < lines.Length && !lines[index].StartsWith("```", StringComparison.Ordinal); index++)
                {
                    code.Add(lines[index]);
                }
                if (index == lines.Length)
                {
                    throw new HelpFormatException(path, lineNumber, "a code fence that is never closed");
                }
                blocks.Add(new CodeBlock(language, string.Join('\n', code), lineNumber));
                continue;
            }
            if (line.StartsWith('#'))
            {
                FlushSection();
                var level = line.TakeWhile(c => c == '#').Count();
                heading = (level, line[level..].Trim(), lineNumber);
                continue;
            }
            if (string.IsNullOrWhiteSpace(line))
            {
                FlushParagraph();
                continue;
            }
            // A list item is a paragraph of its own, as PlatyPS keeps it.
            if (line.TrimStart().StartsWith("- ", StringComparison.Ordinal))
            {
                FlushParagraph();
            }
            if (paragraph.Length == 0)
            {
                paragraphLine = lineNumber;
            }
            else
            {
                paragraph.Append(' ');
            }
            paragraph.Append(line.Trim());
        }
        FlushSection();
        return new MarkdownDocument(path, frontMatter, sections);
    }
}

/// <summary>A help page that does not follow the layout: reported as an MSBuild error at its line.</summary>
internal sealed class HelpFormatException(string path, int line, string message) : Exception(message)
{
    public string File { get; } = path;
    public int LineNumber { get; } = line;

    public override string ToString() => $"{File}({LineNumber}): error AMPHELP: {Message}";
}
