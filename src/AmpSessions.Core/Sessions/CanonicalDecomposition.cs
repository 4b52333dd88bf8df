using System.Globalization;
using System.Text;

namespace AmpSessions.Core.Sessions;

/// <summary>
/// Canonical decomposition of each code point and Hangul composition, in managed code, for slugs. Written by hand
/// because string.Normalize is ICU's: without ICU (the native CLI runs without it, to start ~14 ms sooner) it leaves
/// "naïve" as it is, and with ICU the answer follows whichever ICU the machine has. With one table (generated from ICU
/// by tools/UnicodeData, checked against it for every code point by the tests) the CLI and the module name branches
/// alike. (Lowercasing still follows ICU inside PowerShell and .NET's own table in the CLI; compared over the whole BMP,
/// they differ only for five letters that Unicode 16 added and ICU 72 does not know.) What it leaves out of full
/// normalization, and why the slug does not need it: combining marks are not reordered (the slug drops them, and no
/// letter or digit is a non-starter), and the only compositions between letters are Hangul's (the tests check both
/// against ICU).
/// </summary>
internal static class CanonicalDecomposition
{
    // Hangul syllables decompose by arithmetic (The Unicode Standard, 3.12).
    private const int SyllableBase = 0xAC00, LeadBase = 0x1100, VowelBase = 0x1161, TrailBase = 0x11A7;
    private const int LeadCount = 19, VowelCount = 21, TrailCount = 28, SyllableCount = LeadCount * VowelCount * TrailCount;
    private const int FirstDecomposable = 0xC0;

    private static readonly Lazy<Dictionary<int, string>> Table = new(Load);

    /// <summary>Each code point replaced by its full canonical decomposition; lone surrogates are kept as they are.</summary>
    public static string DecomposeEach(string text)
    {
        var i = 0;
        while (i < text.Length && text[i] < FirstDecomposable)
        {
            i++;
        }
        if (i == text.Length)
        {
            return text;
        }
        var builder = new StringBuilder(text.Length + 8).Append(text, 0, i);
        while (i < text.Length)
        {
            var pair = char.IsSurrogatePair(text, i);
            var codePoint = pair ? char.ConvertToUtf32(text[i], text[i + 1]) : text[i];
            if (codePoint - SyllableBase is >= 0 and < SyllableCount and var index)
            {
                builder.Append((char)(LeadBase + index / (VowelCount * TrailCount)))
                    .Append((char)(VowelBase + index % (VowelCount * TrailCount) / TrailCount));
                if (index % TrailCount != 0)
                {
                    builder.Append((char)(TrailBase + index % TrailCount));
                }
            }
            else if (codePoint >= FirstDecomposable && Table.Value.TryGetValue(codePoint, out var decomposition))
            {
                builder.Append(decomposition);
            }
            else
            {
                builder.Append(text, i, pair ? 2 : 1);
            }
            i += pair ? 2 : 1;
        }
        return builder.ToString();
    }

    /// <summary>Leading and vowel jamo composed into syllables, and a syllable without a trailing consonant with the one that follows.</summary>
    public static string ComposeHangul(string text)
    {
        if (!text.AsSpan().ContainsAnyInRange((char)LeadBase, (char)(TrailBase + TrailCount)))
        {
            return text;
        }
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            var last = builder.Length - 1;
            var previous = last >= 0 ? builder[last] : '\0';
            if (previous - LeadBase is >= 0 and < LeadCount and var lead && c - VowelBase is >= 0 and < VowelCount and var vowel)
            {
                builder[last] = (char)(SyllableBase + (lead * VowelCount + vowel) * TrailCount);
            }
            else if (previous - SyllableBase is >= 0 and < SyllableCount and var syllable && syllable % TrailCount == 0
                && c - TrailBase is > 0 and < TrailCount and var trail)
            {
                builder[last] = (char)(previous + trail);
            }
            else
            {
                builder.Append(c);
            }
        }
        return builder.ToString();
    }

    private static Dictionary<int, string> Load()
    {
        using var stream = typeof(CanonicalDecomposition).Assembly.GetManifestResourceStream("AmpSessions.Core.Sessions.CanonicalDecompositions.txt")
            ?? throw new InvalidOperationException("The canonical decomposition table is missing from AmpSessions.Core; the build embeds Sessions/CanonicalDecompositions.txt.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var table = new Dictionary<int, string>(2100);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }
            var fields = line.Split(' ');
            var decomposition = new StringBuilder(fields.Length * 2);
            for (var f = 1; f < fields.Length; f++)
            {
                decomposition.Append(char.ConvertFromUtf32(int.Parse(fields[f], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture)));
            }
            table[int.Parse(fields[0], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture)] = decomposition.ToString();
        }
        return table;
    }
}
