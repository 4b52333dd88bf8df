using System.Text;
using System.Text.RegularExpressions;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Processes;

namespace AmpSessions.Core.Configuration;

/// <summary>
/// References to environment variables in configured values (<c>${GITHUB_TOKEN}</c>), so secrets
/// live in the environment and are resolved only when a turn starts, into a private file: never in
/// the database, a command line or a committed file.
/// </summary>
public static partial class SecretReferences
{
    [GeneratedRegex(@"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", RegexOptions.CultureInvariant)]
    private static partial Regex ReferencePattern();

    /// <summary>The variable names a value references.</summary>
    public static IReadOnlyList<string> Names(string value) =>
        ReferencePattern().Matches(value).Select(m => m.Groups[1].Value).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>Whether the value is made only of references and text that is no secret ("Bearer ${TOKEN}").</summary>
    public static bool HasReference(string value) => ReferencePattern().IsMatch(value);

    /// <summary>
    /// Whether a literal value (one that references nothing) must not be stored: its name says it is
    /// secret (…_TOKEN, …_KEY, Authorization), or it has the shape of a well-known token.
    /// </summary>
    public static bool IsLiteralSecret(string name, string value)
    {
        var literal = ReferencePattern().Replace(value, "");
        if (literal.Trim().Length == 0)
        {
            return false;
        }
        if (HasReference(value) && !LooksLikeToken(literal))
        {
            // "Bearer ${TOKEN}": the secret part is the reference.
            return false;
        }
        return SecretRedactor.IsSecretName(name) || name.Equals("Authorization", StringComparison.OrdinalIgnoreCase) || LooksLikeToken(literal);
    }

    private static bool LooksLikeToken(string text) => SecretRedactor.Redact(text, []) != text;

    /// <summary>The value as shown to people: references as written, literal secrets masked.</summary>
    public static string MaskLiteral(string name, string value) => IsLiteralSecret(name, value) ? SecretRedactor.Mask : value;

    /// <summary>
    /// Replaces every reference with the variable's value from <paramref name="lookup"/>; a missing
    /// or empty variable is a clear error naming what needs it.
    /// </summary>
    public static string Resolve(string value, Func<string, string?> lookup, string neededBy)
    {
        var missing = new List<string>();
        var resolved = ReferencePattern().Replace(value, match =>
        {
            var name = match.Groups[1].Value;
            var found = lookup(name);
            if (string.IsNullOrEmpty(found))
            {
                missing.Add(name);
                return "";
            }
            return found;
        });
        if (missing.Count > 0)
        {
            throw new AmpSessionsException("AmpSecretVariableMissing", ErrorKind.InvalidOperation,
                $"{neededBy} needs the environment variable{(missing.Count == 1 ? "" : "s")} {string.Join(", ", missing)}, which {(missing.Count == 1 ? "is" : "are")} not set: set {(missing.Count == 1 ? "it" : "them")} in the shell that runs amp-sessions (the value is passed to the agent in a private file, never stored).",
                missing[0]);
        }
        return resolved;
    }

    /// <summary>The values a reference resolves to, for redaction: whatever the named variables hold.</summary>
    public static IEnumerable<string> ResolvedValues(string value, Func<string, string?> lookup) =>
        Names(value).Select(lookup).Where(v => !string.IsNullOrEmpty(v)).Select(v => v!);

    /// <summary>A hint for a refused literal: "write it as ${GITHUB_TOKEN}".</summary>
    public static string ReferenceFor(string name)
    {
        var variable = new StringBuilder();
        foreach (var c in name.ToUpperInvariant())
        {
            variable.Append(char.IsAsciiLetterOrDigit(c) ? c : '_');
        }
        return "${" + (variable.Length == 0 || char.IsDigit(variable[0]) ? "SECRET" : variable.ToString()) + "}";
    }
}
