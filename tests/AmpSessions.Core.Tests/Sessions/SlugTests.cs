using System.Text;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Core.Tests.Sessions;

/// <summary>
/// Slugs made without ICU are the slugs ICU's normalization made: the managed decomposition table against
/// string.Normalize (ICU in this test process) for every code point, and the slug against the ICU-based slug it
/// replaced, for every code point, every Hangul syllable and random mixed names.
/// </summary>
public sealed class SlugTests
{
    /// <summary>The slug made with ICU's normalization, as before the managed table: the reference.</summary>
    private static string SlugWithIcu(string name) =>
        SessionNaming.Slugify(name, n => n.Normalize(NormalizationForm.FormD), n => n.Normalize(NormalizationForm.FormC));

    private static IEnumerable<string> EveryCodePoint() =>
        Enumerable.Range(0, 0x110000).Where(c => c is < 0xD800 or > 0xDFFF).Select(char.ConvertFromUtf32);

    private static void AssertIcuIsLoaded() =>
        Assert.True("é".Normalize(NormalizationForm.FormD).Length == 2, "these tests compare with ICU's normalization; this process runs without ICU");

    [Fact]
    public void Every_code_point_decomposes_as_ICU_decomposes_it()
    {
        AssertIcuIsLoaded();
        var differ = new List<string>();
        foreach (var text in EveryCodePoint())
        {
            string expected;
            try
            {
                expected = text.Normalize(NormalizationForm.FormD);
            }
            catch (ArgumentException)
            {
                expected = text; // U+FFFE: .NET refuses to normalize it; it has no decomposition.
            }
            if (CanonicalDecomposition.DecomposeEach(text) != expected)
            {
                differ.Add($"U+{char.ConvertToUtf32(text, 0):X4}");
            }
        }
        Assert.True(differ.Count == 0, $"{differ.Count} code points decompose otherwise than ICU says, first {string.Join(", ", differ.Take(10))}; " +
            "regenerate the table: dotnet run tools/UnicodeData/generate-decompositions.cs");
    }

    [Fact]
    public void Every_code_point_and_every_Hangul_syllable_slugs_as_with_ICU()
    {
        AssertIcuIsLoaded();
        var differ = EveryCodePoint().Where(c => c != "\uFFFE")
            .Select(c => "x" + c + "y")
            .Where(name => SessionNaming.Slugify(name) != SlugWithIcu(name))
            .Take(10).ToList();
        Assert.Empty(differ);
    }

    [Fact]
    public void Random_names_of_accents_marks_jamo_and_scripts_slug_as_with_ICU()
    {
        AssertIcuIsLoaded();
        string[] pool =
        [
            "a", "Z", "7", " ", "-", "_", "/", ".", "é", "È", "ñ", "Ö", "ß", "ẞ", "ø", "Å", "\u212B", "\u212A", "\u2126", "ı", "İ", "ş", "Ğ",
            "\u0301", "\u0308", "\u0327", "\u0334", "\u0345", "ά", "Ώ", "ΐ", "й", "Ё", "ệ", "Ở", "ǖ", "\u1E9B", "\uFB2C", "\u05BC", "\u0651",
            "\u0958", "\u093C", "\u0903", "\u0BCA", "\u0BBE", "\u0B4B", "\u0DDA", "ก", "\u0E33",
            "가", "각", "한", "\u1100", "\u1161", "\u11A8", "\u11A7", "\u1175", "\u11C2", "\u3131", "日", "\uF900", "\uFA10",
            char.ConvertFromUtf32(0x2F800), char.ConvertFromUtf32(0x1D400), char.ConvertFromUtf32(0x1F600), char.ConvertFromUtf32(0x1D15E),
            "\uFF21", "\u00BD", "\u2460", "٣",
        ];
        var random = new Random(20261204);
        var differ = new List<string>();
        for (var i = 0; i < 50_000; i++)
        {
            var name = string.Concat(Enumerable.Range(0, random.Next(1, 16)).Select(_ => pool[random.Next(pool.Length)]));
            if (SessionNaming.Slugify(name) != SlugWithIcu(name))
            {
                differ.Add(name);
            }
        }
        Assert.Empty(differ.Take(10));
    }

    [Theory]
    [InlineData("Ünïcödé café naïve", "unicode-cafe-naive")]
    [InlineData("Naïve İşık café", "naive-isık-cafe")]
    [InlineData("한글 이름", "한글-이름")]
    [InlineData("Ελληνικά τόνος", "ελληνικα-τονος")]
    [InlineData("Tiếng Việt", "tieng-viet")]
    [InlineData("Fix login", "fix-login")]
    public void Accents_are_dropped_and_letters_of_every_script_kept(string name, string slug) =>
        Assert.Equal(slug, SessionNaming.Slugify(name));

    [Fact]
    public void Names_ICU_refused_to_normalize_still_slug()
    {
        // ICU's Normalize throws on a lone surrogate or U+FFFE; a name is whatever the user typed or piped.
        Assert.Equal("a-b", SessionNaming.Slugify("a\uD800b"));
        Assert.Equal("x-y", SessionNaming.Slugify("x\uFFFEy"));
    }
}
