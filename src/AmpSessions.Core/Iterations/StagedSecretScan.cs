using System.Text.Json.Nodes;
using AmpSessions.Core.Git;
using AmpSessions.Core.Processes;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Core.Iterations;

/// <summary>
/// Before the product commits, the staged change and the message are checked for secrets: every
/// value it knows is secret (its environment's secret-looking variables, AMP_API_KEY, the session's
/// agent environment, MCP env values) and every string in a well-known token format. A hit means no
/// commit; what was found is said by kind and place, never by value.
/// </summary>
internal static class StagedSecretScan
{
    /// <summary>One secret found: where (a path and line of the staged change, or the message) and what kind.</summary>
    public sealed record Hit(string Place, string Kind)
    {
        public override string ToString() => $"{Kind} in {Place}";
    }

    public static async Task<IReadOnlyList<Hit>> ScanAsync(Session session, GitClient worktree, string message, CancellationToken cancellationToken)
    {
        var known = KnownSecrets(session);
        var hits = new List<Hit>();
        Check(message, "the commit message", known, hits);
        // Added lines only, without context; binary files show as "Binary files differ" and are not read.
        // In process from the staged blobs where libgit2's patch is git's; else git diff --cached.
        var added = worktree.StagedAddedLinesInProcess()
            ?? AddedLines(await worktree.ReadAsync(StagedDiffArguments, cancellationToken).ConfigureAwait(false));
        foreach (var (file, number, text) in added)
        {
            Check(text, $"{file}:{number}", known, hits);
        }
        return hits;
    }

    /// <summary>The staged change as git shows it: added lines without context, no rename pairing, submodules left out.</summary>
    internal static IReadOnlyList<string> StagedDiffArguments { get; } = ["diff", "--cached", "--no-color", "--no-ext-diff", "--no-renames", "-U0", "--ignore-submodules=all"];

    /// <summary>The added lines of a -U0 patch: path, line number in the new file, text.</summary>
    internal static IReadOnlyList<(string Path, int Line, string Text)> AddedLines(string diff)
    {
        var added = new List<(string, int, string)>();
        string? path = null;
        var line = 0;
        foreach (var text in diff.Split('\n'))
        {
            if (text.StartsWith("+++ ", StringComparison.Ordinal))
            {
                path = text.StartsWith("+++ b/", StringComparison.Ordinal) ? text[6..] : text[4..];
            }
            else if (text.StartsWith("@@ ", StringComparison.Ordinal))
            {
                // "@@ -a,b +c,d @@": the added lines start at c.
                var plus = text.IndexOf('+', 3);
                var end = text.IndexOfAny([',', ' '], plus);
                line = int.TryParse(text.AsSpan(plus + 1, end - plus - 1), out var start) ? start : 0;
            }
            else if (text.StartsWith('+') && path is not null)
            {
                added.Add((path, line, text[1..]));
                line++;
            }
        }
        return added;
    }

    private static void Check(string text, string place, IReadOnlyCollection<string> known, List<Hit> hits)
    {
        if (known.Any(secret => text.Contains(secret, StringComparison.Ordinal)))
        {
            hits.Add(new Hit(place, "a secret value the product knows (from its environment or the session's settings)"));
        }
        else if (SecretRedactor.FindTokenKind(text) is { } kind)
        {
            hits.Add(new Hit(place, kind));
        }
    }

    private static IReadOnlyCollection<string> KnownSecrets(Session session)
    {
        var secrets = new HashSet<string>(SecretRedactor.SecretsFromEnvironment(), StringComparer.Ordinal);
        foreach (var (name, value) in session.AgentEnvironment)
        {
            if (SecretRedactor.IsSecretName(name) && value.Length >= 4)
            {
                secrets.Add(value);
            }
        }
        foreach (var value in McpEnvironmentValues(session.McpConfig))
        {
            secrets.Add(value);
        }
        return secrets;
    }

    /// <summary>The env values of the session's MCP servers (inline JSON or a JSON file); tokens, typically.</summary>
    private static IEnumerable<string> McpEnvironmentValues(string? mcpConfig)
    {
        if (string.IsNullOrWhiteSpace(mcpConfig))
        {
            return [];
        }
        try
        {
            var json = mcpConfig.TrimStart().StartsWith('{') ? mcpConfig : File.Exists(mcpConfig) ? File.ReadAllText(mcpConfig) : null;
            if (json is null || JsonNode.Parse(json) is not JsonObject root)
            {
                return [];
            }
            var servers = root["mcpServers"] as JsonObject ?? root["amp.mcpServers"] as JsonObject ?? root;
            return servers.Select(server => server.Value?["env"] as JsonObject)
                .Where(env => env is not null)
                .SelectMany(env => env!.Select(e => e.Value?.GetValueKind() == System.Text.Json.JsonValueKind.String ? e.Value.GetValue<string>() : null))
                .Where(value => value is { Length: >= 4 })
                .Select(value => value!)
                .ToArray();
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            return [];
        }
    }
}
