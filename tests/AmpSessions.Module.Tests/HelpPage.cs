namespace AmpSessions.Module.Tests;

/// <summary>A cmdlet's markdown help page, read independently of the help generator: sections, parameters and their yaml.</summary>
public sealed class HelpPage
{
    public HelpPage(string path)
    {
        Path = path;
        Text = File.ReadAllText(path).Replace("\r\n", "\n", StringComparison.Ordinal);
        string? section = null, subsection = null;
        var inFence = false;
        var fenceLanguage = "";
        var fence = new List<string>();
        foreach (var line in Text.Split('\n'))
        {
            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                if (!inFence)
                {
                    inFence = true;
                    fenceLanguage = line[3..].Trim();
                    fence.Clear();
                }
                else
                {
                    inFence = false;
                    if (section == "PARAMETERS" && fenceLanguage == "yaml" && subsection is not null)
                    {
                        Parameters[subsection].Add(ParseYaml(fence));
                    }
                    if (section == "EXAMPLES")
                    {
                        Examples.Add(string.Join('\n', fence));
                    }
                }
                continue;
            }
            if (inFence)
            {
                fence.Add(line);
                continue;
            }
            if (line.StartsWith("## ", StringComparison.Ordinal))
            {
                section = line[3..].Trim();
                subsection = null;
                Sections.Add(section);
            }
            else if (line.StartsWith("### ", StringComparison.Ordinal))
            {
                subsection = line[4..].Trim();
                switch (section)
                {
                    case "PARAMETERS" when subsection.StartsWith('-'):
                        subsection = subsection[1..];
                        Parameters[subsection] = [];
                        break;
                    case "SYNTAX":
                        SyntaxSets.Add(subsection);
                        break;
                    case "OUTPUTS":
                        Outputs.Add(subsection);
                        break;
                }
            }
        }
    }

    public string Path { get; }
    public string Text { get; }
    public List<string> Sections { get; } = [];
    public List<string> SyntaxSets { get; } = [];
    public List<string> Examples { get; } = [];
    public List<string> Outputs { get; } = [];
    public Dictionary<string, List<IReadOnlyDictionary<string, string>>> Parameters { get; } = new(StringComparer.Ordinal);

    private static Dictionary<string, string> ParseYaml(IEnumerable<string> lines) =>
        lines.Where(l => l.Contains(':', StringComparison.Ordinal))
            .ToDictionary(l => l[..l.IndexOf(':', StringComparison.Ordinal)].Trim(), l => l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim());
}
