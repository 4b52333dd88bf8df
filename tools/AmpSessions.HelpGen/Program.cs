using AmpSessions.HelpGen;

// Usage: AmpSessions.HelpGen <docs folder> <module name> <output folder>
// Writes <output>/<module>.dll-Help.xml from every Verb-Noun.md page and <output>/about_*.help.txt
// from every about_*.help.md page. Errors are printed as MSBuild errors (file(line): error ...).
if (args.Length != 3)
{
    Console.Error.WriteLine("usage: AmpSessions.HelpGen <docs folder> <module name> <output folder>");
    return 2;
}
var (docs, module, output) = (Path.GetFullPath(args[0]), args[1], Path.GetFullPath(args[2]));
try
{
    Directory.CreateDirectory(output);
    // Cmdlet pages are Verb-Noun.md; other docs (ARCHITECTURE.md, GIT-WORKTREES.md) are not help.
    var pages = Directory.GetFiles(docs, "*-*.md").Where(p => CommandHelpParser.IsCommandPageName(Path.GetFileNameWithoutExtension(p))).Order(StringComparer.Ordinal).ToArray();
    if (pages.Length == 0)
    {
        Console.Error.WriteLine($"{docs}: error AMPHELP: no cmdlet pages (Verb-Noun.md) found");
        return 1;
    }
    var commands = pages.Select(p => CommandHelpParser.Parse(MarkdownDocument.Load(p), module)).ToArray();
    MamlWriter.Write(commands, Path.Combine(output, module + ".dll-Help.xml"));
    foreach (var about in Directory.GetFiles(docs, "about_*.help.md"))
    {
        var name = Path.GetFileName(about)[..^".md".Length] + ".txt";
        AboutTopicWriter.Write(MarkdownDocument.Load(about), Path.Combine(output, name));
    }
    Console.WriteLine($"{module}: help for {commands.Length} commands written to {output}");
    return 0;
}
catch (HelpFormatException ex)
{
    Console.Error.WriteLine(ex.ToString());
    return 1;
}
