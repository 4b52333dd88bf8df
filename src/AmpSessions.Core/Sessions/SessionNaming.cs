using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace AmpSessions.Core.Sessions;

/// <summary>Ids, slugs and branch names for sessions.</summary>
public static class SessionNaming
{
    // No 0/o, 1/l/i: ids are read aloud and typed.
    private const string IdAlphabet = "abcdefghjkmnpqrstuvwxyz23456789";
    private const string IdFirstLetters = "abcdefghjkmnpqrstuvwxyz";
    public const int IdLength = 8;
    public const int MaxSlugLength = 40;

    /// <summary>A new random id: 8 characters, starting with a letter.</summary>
    public static string NewId()
    {
        Span<char> id = stackalloc char[IdLength];
        id[0] = IdFirstLetters[RandomNumberGenerator.GetInt32(IdFirstLetters.Length)];
        for (var i = 1; i < id.Length; i++)
        {
            id[i] = IdAlphabet[RandomNumberGenerator.GetInt32(IdAlphabet.Length)];
        }
        return new string(id);
    }

    /// <summary>
    /// A branch-safe slug: accents dropped, letters and digits of any script kept and lowercased,
    /// everything else a single hyphen. Empty when the name has no letters or digits. The same with or without
    /// ICU (<see cref="CanonicalDecomposition"/>), but for lowercasing letters newer than the machine's ICU knows.
    /// </summary>
    public static string Slugify(string name) => Slugify(name, CanonicalDecomposition.DecomposeEach, CanonicalDecomposition.ComposeHangul);

    /// <summary>The slug with the given decomposition and composition; the tests pass ICU's (string.Normalize) as the reference.</summary>
    internal static string Slugify(string name, Func<string, string> decompose, Func<string, string> compose)
    {
        var decomposed = decompose(name);
        var builder = new StringBuilder();
        var pendingHyphen = false;
        foreach (var c in decomposed)
        {
            var category = CharUnicodeInfo.GetUnicodeCategory(c);
            if (category == UnicodeCategory.NonSpacingMark)
            {
                continue;
            }
            if (char.IsLetterOrDigit(c))
            {
                if (pendingHyphen && builder.Length > 0)
                {
                    builder.Append('-');
                }
                pendingHyphen = false;
                builder.Append(char.ToLowerInvariant(c));
            }
            else
            {
                pendingHyphen = true;
            }
        }
        var slug = compose(builder.ToString());
        if (slug.Length > MaxSlugLength)
        {
            slug = slug[..MaxSlugLength].TrimEnd('-');
        }
        return slug;
    }

    /// <summary>amp/&lt;slug&gt;/&lt;yyyyMMdd-HHmmss&gt; in UTC.</summary>
    public static string BranchName(string slug, DateTimeOffset createdAt) =>
        $"amp/{slug}/{createdAt.UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}";
}
