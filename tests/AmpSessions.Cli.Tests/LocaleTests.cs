using AmpSessions.Testing;

namespace AmpSessions.Cli.Tests;

/// <summary>
/// The CLI prints and parses the same whatever the user's locale: counts, money, dates, times and decimal options are
/// invariant, as git's output is, so scripts and people read one format, and a session's name gives the same branch.
/// Held in locales that differ where it shows: German (decimal comma, dot grouping), Finnish (a dot between hours and
/// minutes: `events` and the live view of `iterate` printed 15.09.57 there), Turkish (dotted and dotless i), Arabic in
/// Saudi Arabia (another calendar) and Thai (a Buddhist era).
/// </summary>
public sealed class LocaleTests : IDisposable
{
    private readonly CliSessionBed bed = new();

    public void Dispose() => bed.Dispose();

    [Fact]
    public async Task Every_locale_gets_the_same_output_and_the_same_parsing()
    {
        Assert.Equal(0, (await bed.RunAsync("config", "set", "prices.amp.output", "1000")).ExitCode);
        var id = await bed.NewSessionAsync("--budget-cost", "1.5", "--timeout", "90s");
        var iterated = await bed.RunAsync("iterate", id);
        Assert.True(iterated.ExitCode == 0, iterated.ToString());
        string[][] commands =
        [
            ["list"], ["status", id], ["iterations", id], ["timeline", id], ["status", id, "--json"], ["list", "--json"],
            ["events"], ["diff", id], ["config", "get", "prices.amp.output"], ["new", "--help"],
        ];

        async Task<string> OutputIn(string locale)
        {
            bed.Cli.Environment["LANG"] = locale;
            bed.Cli.Environment["LC_ALL"] = locale;
            var outputs = new List<string>();
            foreach (var command in commands)
            {
                var result = await bed.RunAsync(command);
                Assert.True(result.ExitCode == 0, $"{locale}: {result}");
                outputs.Add($"$ amp-sessions {string.Join(' ', command)}\n{result.StandardOutput}{result.StandardError}");
            }
            return string.Join('\n', outputs);
        }

        var invariant = await OutputIn("C.UTF-8");
        // The budget given as 1.5 is one and a half dollars everywhere, and shown with a decimal point.
        Assert.Contains("  budget:   $1.50 (spent: 46,501 tokens, 1 iteration, ", invariant);
        Assert.Contains("\"costUsd\": 1.5", invariant);
        foreach (var locale in new[] { "de_DE.UTF-8", "fi_FI.UTF-8", "tr_TR.UTF-8", "ar_SA.UTF-8", "th_TH.UTF-8" })
        {
            Assert.Equal(invariant, await OutputIn(locale));
        }
        // Parsed the same in every locale: 1.5 is one and a half dollars in German too. Accents dropped and letters
        // lowercased the same way everywhere (Unicode's rules, not the locale's: in Turkish the capital dotted İ is an i,
        // the dotless ı stays).
        foreach (var locale in new[] { "C.UTF-8", "tr_TR.UTF-8", "de_DE.UTF-8" })
        {
            bed.Cli.Environment["LANG"] = bed.Cli.Environment["LC_ALL"] = locale;
            var made = await bed.RunAsync("new", "--repo", bed.Repo.Root, "--name", "Naïve İşık café", "--prompt", "p", "--agent", CliSessionBed.FakeAgent,
                "--budget-cost", "1.5", "--json");
            Assert.True(made.ExitCode == 0, $"{locale}: {made}");
            var session = CliSessionBed.Json(made);
            Assert.StartsWith("amp/naive-isık-cafe/", session.GetProperty("branchName").GetString());
            Assert.Equal(1.5m, session.GetProperty("budget").GetProperty("costUsd").GetDecimal());
        }
    }

    /// <summary>
    /// The CLI runs without ICU, the module inside PowerShell with it; a name gives the same branch in both. The expected
    /// slugs are what ICU's normalization gave (the slug before the core's own table, SlugTests' reference).
    /// </summary>
    [Theory]
    [InlineData("Tiếng Việt ổn", "tieng-viet-on")]
    [InlineData("Ελληνικά τόνος", "ελληνικα-τονος")]
    [InlineData("Йогурт і ї", "иогурт-і-і")]
    [InlineData("한글 이름", "한글-이름")]
    [InlineData("\uF900\u212A\u212B test", "\u8C48ka-test")]
    [InlineData("Ærøskøbing Łódź", "ærøskøbing-łodz")]
    public async Task The_CLI_without_ICU_names_branches_as_ICU_normalization_does(string name, string slug)
    {
        var made = await bed.RunAsync("new", "--repo", bed.Repo.Root, "--name", name, "--prompt", "p", "--agent", CliSessionBed.FakeAgent, "--json");
        Assert.True(made.ExitCode == 0, made.ToString());
        Assert.StartsWith($"amp/{slug}/", CliSessionBed.Json(made).GetProperty("branchName").GetString());
    }
}
