using System.Text.RegularExpressions;

namespace AmpSessions.Core.Processes;

/// <summary>
/// Removes secret values from text before it is logged, stored or shown: values the caller names,
/// values of secret-looking environment variables, and strings shaped like well-known tokens.
/// </summary>
public static partial class SecretRedactor
{
    public const string Mask = "[REDACTED]";

    // Token shapes worth catching even when nobody told us the value: Amp keys, OpenAI/Anthropic
    // keys, GitHub and Slack tokens, AWS access key ids, bearer headers.
    [GeneratedRegex(@"(sgamp_[A-Za-z0-9_\-]{4,}|sk-(ant-)?[A-Za-z0-9_\-]{16,}|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abprs]-[A-Za-z0-9\-]{10,}|AKIA[0-9A-Z]{16}|(?<=[Bb]earer\s)[A-Za-z0-9_\-\.=]{16,})", RegexOptions.CultureInvariant)]
    private static partial Regex TokenPattern();

    private static readonly string[] SecretNameParts = ["KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL"];

    /// <summary>Whether an environment variable's name says its value is secret (AMP_API_KEY, GITHUB_TOKEN).</summary>
    public static bool IsSecretName(string name)
    {
        var upper = name.ToUpperInvariant();
        return SecretNameParts.Any(upper.Contains);
    }

    /// <summary>The values of this process's secret-looking environment variables.</summary>
    public static IReadOnlyCollection<string> SecretsFromEnvironment()
    {
        var values = new List<string>();
        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            if (entry.Key is string name && entry.Value is string value && IsSecretName(name) && value.Length >= 4)
            {
                values.Add(value);
            }
        }
        return values;
    }

    /// <summary>Text with every named secret, every secret environment value and every token-shaped string masked.</summary>
    public static string Redact(string text, IEnumerable<string>? secrets = null)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text;
        }
        foreach (var secret in (secrets ?? []).Concat(SecretsFromEnvironment()).Where(s => s.Length >= 4).OrderByDescending(s => s.Length))
        {
            text = text.Replace(secret, Mask, StringComparison.Ordinal);
        }
        return TokenPattern().Replace(text, Mask);
    }
}
