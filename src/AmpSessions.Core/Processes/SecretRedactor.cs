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
    // keys, GitHub, GitLab and Slack tokens, AWS access key ids, Google API keys, bearer headers,
    // the password of a URL with credentials (postgres://user:password@host), private key blocks.
    [GeneratedRegex(@"(?<amp>sgamp_[A-Za-z0-9_\-]{4,})|(?<openai>sk-(ant-)?[A-Za-z0-9_\-]{16,})|(?<github>gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})|(?<gitlab>glpat-[A-Za-z0-9_\-]{20,})|(?<slack>xox[abprs]-[A-Za-z0-9\-]{10,})|(?<aws>AKIA[0-9A-Z]{16})|(?<google>AIza[0-9A-Za-z_\-]{35})|(?<bearer>(?<=[Bb]earer\s)[A-Za-z0-9_\-\.=]{16,})|(?<url>(?<=[A-Za-z][A-Za-z0-9+.\-]*://[^\s/:@]+:)[^\s/@]{3,}(?=@))|(?<key>-----BEGIN [A-Z ]*PRIVATE KEY-----)", RegexOptions.CultureInvariant)]
    private static partial Regex TokenPattern();

    private static readonly (string Group, string Kind)[] TokenKinds =
    [
        ("amp", "an Amp API key"), ("openai", "an OpenAI or Anthropic API key"), ("github", "a GitHub token"), ("gitlab", "a GitLab token"),
        ("slack", "a Slack token"), ("aws", "an AWS access key id"), ("google", "a Google API key"), ("bearer", "a bearer token"),
        ("url", "the password of a URL"), ("key", "a private key"),
    ];

    /// <summary>What kind of well-known token the text holds, or null (used to say why a commit was held back, never showing the value).</summary>
    public static string? FindTokenKind(string text)
    {
        var match = TokenPattern().Match(text);
        return match.Success ? TokenKinds.First(k => match.Groups[k.Group].Success).Kind : null;
    }

    [GeneratedRegex(@"(?<=[A-Za-z][A-Za-z0-9+.\-]*://[^\s/:@]+:)[^\s/@]+(?=@)", RegexOptions.CultureInvariant)]
    private static partial Regex UrlPassword();

    private static readonly string[] SecretNameParts = ["KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL"];

    /// <summary>Whether an environment variable's name says its value is secret (AMP_API_KEY, GITHUB_TOKEN).</summary>
    public static bool IsSecretName(string name)
    {
        var upper = name.ToUpperInvariant();
        return SecretNameParts.Any(upper.Contains);
    }

    /// <summary>The values of this process's secret-looking environment variables (the environment as it is now).</summary>
    public static IReadOnlyCollection<string> SecretsFromEnvironment()
    {
        var variables = Environment.GetEnvironmentVariables();
        // The answer is a function of the environment alone, which is read again at every call: when it holds the same
        // variables with the same values as at the last call, that call's answer is this one too. Composing a turn's
        // environment asked this twice per variable, each time running the URL-password pattern over every value
        // (perf: ~0.9 ms of the CLI's CPU per batch item).
        if (Volatile.Read(ref lastEnvironment) is { } last && last.Matches(variables))
        {
            return last.Secrets;
        }
        var values = new List<string>();
        var snapshot = new Dictionary<string, string>(variables.Count, StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry entry in variables)
        {
            if (entry.Key is not string name || entry.Value is not string value)
            {
                continue;
            }
            snapshot[name] = value;
            if (IsSecretName(name) && value.Length >= 4)
            {
                values.Add(value);
            }
            // DATABASE_URL=postgres://user:password@host/db: the name says nothing, the value does.
            else if (UrlPassword().Match(value) is { Success: true } password && password.Value.Length >= 4)
            {
                values.Add(password.Value);
            }
        }
        var secrets = values.AsReadOnly();
        Volatile.Write(ref lastEnvironment, new EnvironmentSecrets(snapshot, variables.Count, secrets));
        return secrets;
    }

    private static EnvironmentSecrets? lastEnvironment;

    /// <summary>The secrets found in one reading of the environment, with that reading to compare the next one against.</summary>
    private sealed class EnvironmentSecrets(Dictionary<string, string> variables, int count, IReadOnlyCollection<string> secrets)
    {
        public IReadOnlyCollection<string> Secrets { get; } = secrets;

        public bool Matches(System.Collections.IDictionary current)
        {
            if (current.Count != count)
            {
                return false;
            }
            foreach (System.Collections.DictionaryEntry entry in current)
            {
                if (entry.Key is not string name || entry.Value is not string value)
                {
                    return false;
                }
                if (!variables.TryGetValue(name, out var known) || !string.Equals(known, value, StringComparison.Ordinal))
                {
                    return false;
                }
            }
            return true;
        }
    }

    /// <summary>Text with every named secret, every secret environment value and every token-shaped string masked.</summary>
    public static string Redact(string text, IEnumerable<string>? secrets = null) =>
        string.IsNullOrEmpty(text) ? text : For(secrets)(text);

    /// <summary>
    /// <see cref="Redact"/> with the secrets gathered once (the environment read now), for text that
    /// arrives line by line: an agent's output can be millions of lines.
    /// </summary>
    public static Func<string, string> For(IEnumerable<string>? secrets)
    {
        var values = (secrets ?? []).Concat(SecretsFromEnvironment()).Where(s => s.Length >= 4).Distinct(StringComparer.Ordinal).OrderByDescending(s => s.Length).ToArray();
        return text =>
        {
            if (string.IsNullOrEmpty(text))
            {
                return text;
            }
            foreach (var secret in values)
            {
                text = text.Replace(secret, Mask, StringComparison.Ordinal);
            }
            return TokenPattern().Replace(text, Mask);
        };
    }
}
