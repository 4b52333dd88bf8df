using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace AmpSessions.Core.Git;

/// <summary>Reads the patch text git prints (<c>git diff --patch</c>) into files, hunks and lines.</summary>
public static partial class UnifiedDiffParser
{
    [GeneratedRegex(@"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@", RegexOptions.CultureInvariant)]
    private static partial Regex HunkHeader();

    public static IReadOnlyList<FileDiff> Parse(string patch)
    {
        var files = new List<FileDiff>();
        var lines = patch.Split('\n');
        var i = 0;
        while (i < lines.Length)
        {
            if (!lines[i].StartsWith("diff --git ", StringComparison.Ordinal))
            {
                i++;
                continue;
            }
            var (headerOld, headerNew) = SplitGitHeader(lines[i]["diff --git ".Length..]);
            string? oldPath = headerOld, newPath = headerNew;
            var change = FileChangeKind.Modified;
            var binary = false;
            i++;
            // Extended header lines, up to the first hunk or the next file.
            while (i < lines.Length && !lines[i].StartsWith("@@", StringComparison.Ordinal) && !lines[i].StartsWith("diff --git ", StringComparison.Ordinal))
            {
                var line = lines[i];
                if (line.StartsWith("new file mode", StringComparison.Ordinal)) change = FileChangeKind.Added;
                else if (line.StartsWith("deleted file mode", StringComparison.Ordinal)) change = FileChangeKind.Deleted;
                else if (line.StartsWith("rename from ", StringComparison.Ordinal)) { oldPath = Unquote(line["rename from ".Length..]); change = FileChangeKind.Renamed; }
                else if (line.StartsWith("rename to ", StringComparison.Ordinal)) { newPath = Unquote(line["rename to ".Length..]); change = FileChangeKind.Renamed; }
                else if (line.StartsWith("copy from ", StringComparison.Ordinal)) { oldPath = Unquote(line["copy from ".Length..]); change = FileChangeKind.Copied; }
                else if (line.StartsWith("copy to ", StringComparison.Ordinal)) { newPath = Unquote(line["copy to ".Length..]); change = FileChangeKind.Copied; }
                else if (line.StartsWith("--- ", StringComparison.Ordinal)) { var p = StripPrefix(line[4..]); if (p is not null) oldPath = p; }
                else if (line.StartsWith("+++ ", StringComparison.Ordinal)) { var p = StripPrefix(line[4..]); if (p is not null) newPath = p; }
                else if (line.StartsWith("Binary files ", StringComparison.Ordinal) || line == "GIT binary patch") binary = true;
                i++;
            }
            var hunks = new List<DiffHunk>();
            while (i < lines.Length && lines[i].StartsWith("@@", StringComparison.Ordinal))
            {
                var match = HunkHeader().Match(lines[i]);
                var oldStart = Number(match.Groups[1].Value);
                var oldCount = match.Groups[2].Success ? Number(match.Groups[2].Value) : 1;
                var newStart = Number(match.Groups[3].Value);
                var newCount = match.Groups[4].Success ? Number(match.Groups[4].Value) : 1;
                var header = lines[i];
                i++;
                var body = new List<DiffLine>();
                int oldLine = oldStart, newLine = newStart, oldLeft = oldCount, newLeft = newCount;
                while (i < lines.Length && (oldLeft > 0 || newLeft > 0 || (lines[i].StartsWith('\\'))))
                {
                    var line = lines[i];
                    if (line.StartsWith('\\'))
                    {
                        body.Add(new DiffLine(DiffLineKind.NoNewlineMarker, line, null, null));
                    }
                    else if (line.StartsWith('+'))
                    {
                        body.Add(new DiffLine(DiffLineKind.Added, line[1..], null, newLine++));
                        newLeft--;
                    }
                    else if (line.StartsWith('-'))
                    {
                        body.Add(new DiffLine(DiffLineKind.Removed, line[1..], oldLine++, null));
                        oldLeft--;
                    }
                    else
                    {
                        body.Add(new DiffLine(DiffLineKind.Context, line.Length > 0 ? line[1..] : "", oldLine++, newLine++));
                        oldLeft--;
                        newLeft--;
                    }
                    i++;
                }
                hunks.Add(new DiffHunk { Header = header, OldStart = oldStart, OldLineCount = oldCount, NewStart = newStart, NewLineCount = newCount, Lines = body });
            }
            var path = change == FileChangeKind.Deleted ? oldPath ?? newPath : newPath ?? oldPath;
            files.Add(new FileDiff
            {
                Path = path ?? "",
                OldPath = change is FileChangeKind.Renamed or FileChangeKind.Copied ? oldPath : null,
                Change = change,
                IsBinary = binary,
                Hunks = hunks,
            });
        }
        return files;
    }

    private static int Number(string text) => int.Parse(text, CultureInfo.InvariantCulture);

    // "a/x b/x": unambiguous when both halves are the same path (a mode change or a binary file).
    private static (string? Old, string? New) SplitGitHeader(string rest)
    {
        if (rest.StartsWith('"'))
        {
            var end = ClosingQuote(rest);
            if (end > 0 && end + 2 < rest.Length)
            {
                return (StripPrefix(rest[..(end + 1)]), StripPrefix(rest[(end + 2)..]));
            }
        }
        if (rest.Length % 2 == 1)
        {
            var half = rest.Length / 2;
            var left = rest[..half];
            var right = rest[(half + 1)..];
            if (left.Length > 2 && right.Length > 2 && left[2..] == right[2..])
            {
                return (left[2..], right[2..]);
            }
        }
        return (null, null);
    }

    private static int ClosingQuote(string text)
    {
        for (var i = 1; i < text.Length; i++)
        {
            if (text[i] == '\\') { i++; continue; }
            if (text[i] == '"') return i;
        }
        return -1;
    }

    private static string? StripPrefix(string path)
    {
        path = Unquote(path.TrimEnd('\t'));
        if (path == "/dev/null") return null;
        return path.Length > 2 && path[1] == '/' ? path[2..] : path;
    }

    /// <summary>Undoes git's C-style quoting of unusual paths ("a\tb", octal escapes for bytes).</summary>
    public static string Unquote(string text)
    {
        if (text.Length < 2 || text[0] != '"' || text[^1] != '"')
        {
            return text;
        }
        var bytes = new List<byte>();
        for (var i = 1; i < text.Length - 1; i++)
        {
            var c = text[i];
            if (c != '\\')
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
                continue;
            }
            var next = text[++i];
            switch (next)
            {
                case 'n': bytes.Add((byte)'\n'); break;
                case 't': bytes.Add((byte)'\t'); break;
                case 'r': bytes.Add((byte)'\r'); break;
                case 'a': bytes.Add(7); break;
                case 'b': bytes.Add(8); break;
                case 'f': bytes.Add(12); break;
                case 'v': bytes.Add(11); break;
                case >= '0' and <= '7':
                    bytes.Add(Convert.ToByte(text.Substring(i, 3), 8));
                    i += 2;
                    break;
                default: bytes.Add((byte)next); break;
            }
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }
}
