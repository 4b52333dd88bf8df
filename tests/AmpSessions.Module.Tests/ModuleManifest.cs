using System.Text.RegularExpressions;

namespace AmpSessions.Module.Tests;

/// <summary>The values of a .psd1 module manifest, read as text (no PowerShell here): 'scalars' and @('lists').</summary>
public sealed partial class ModuleManifest
{
    private readonly string text;

    public ModuleManifest(string path)
    {
        Path = path;
        // Comments are not values.
        text = string.Join('\n', File.ReadAllLines(path).Select(l => CommentOutsideQuotes().Replace(l, "")));
    }

    public string Path { get; }

    public string? Scalar(string key) =>
        Regex.Match(text, $@"(?m)^\s*{key}\s*=\s*'(?<value>[^']*)'") is { Success: true } m ? m.Groups["value"].Value : null;

    public IReadOnlyList<string>? List(string key) =>
        Regex.Match(text, $@"(?ms)^\s*{key}\s*=\s*@\((?<items>[^)]*)\)") is { Success: true } m
            ? Quoted().Matches(m.Groups["items"].Value).Select(q => q.Groups["value"].Value).ToArray()
            : null;

    [GeneratedRegex(@"#[^']*$")]
    private static partial Regex CommentOutsideQuotes();

    [GeneratedRegex(@"'(?<value>[^']*)'")]
    private static partial Regex Quoted();
}
