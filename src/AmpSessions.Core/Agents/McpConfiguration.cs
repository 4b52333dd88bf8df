using System.Text.Json;
using System.Text.Json.Nodes;
using AmpSessions.Core.Configuration;
using AmpSessions.Core.Errors;

namespace AmpSessions.Core.Agents;

/// <summary>
/// The MCP servers of a turn: the named servers of the configuration plus a session's own
/// <c>--mcp-config</c> (JSON, or the path of a JSON file), validated when they are given and composed
/// when a turn starts, with ${NAME} references resolved from the agent's environment. The result goes
/// to the agent in a private file; the database holds only names, references and non-secret values.
/// </summary>
public static class McpConfiguration
{
    private static readonly JsonDocumentOptions Strict = new() { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 32 };

    /// <summary>
    /// Checks a session's --mcp-config before it is stored: JSON must parse and describe servers
    /// (each a command or a url); a path must name a readable JSON file of the same shape. Literal
    /// secrets in JSON given on the command line are refused (the database and `list --json` would
    /// hold them): they must be references to environment variables.
    /// </summary>
    public static void Validate(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return;
        }
        var text = value.Trim();
        if (LooksLikeJson(text))
        {
            var servers = Parse(text, "The MCP configuration");
            foreach (var (server, env, name, literal) in Values(servers))
            {
                if (SecretReferences.IsLiteralSecret(name, literal))
                {
                    throw new AmpSessionsException("AmpSecretNotStored", ErrorKind.InvalidArgument,
                        $"The MCP configuration gives {env}.{name} of server '{server}' as a literal secret, and secrets are never stored or passed on a command line",
                        $"{server}.{env}.{name}",
                        remedy: $"write it as \"{name}\": \"{SecretReferences.ReferenceFor(name)}\" and set that variable in the shell that runs amp-sessions (or define the server in your config.yaml's mcp_servers)");
                }
            }
            return;
        }
        var path = Path.GetFullPath(text);
        if (!File.Exists(path))
        {
            throw new AmpSessionsException("AmpMcpConfigInvalid", ErrorKind.InvalidArgument,
                $"The MCP configuration '{text}' is neither JSON (it does not start with {{) nor an existing file", text,
                remedy: $"give JSON such as {{\"github\": {{\"command\": \"npx\", \"args\": [\"-y\", \"@modelcontextprotocol/server-github\"]}}}}, or the path of a file that holds it");
        }
        Parse(File.ReadAllText(path), $"The MCP configuration file '{path}'");
    }

    /// <summary>A path given as --mcp-config, made absolute so the session finds it from any folder; JSON stays as given.</summary>
    public static string? Normalize(string? value) =>
        string.IsNullOrWhiteSpace(value) ? null : LooksLikeJson(value.Trim()) ? value.Trim() : Path.GetFullPath(value.Trim());

    /// <summary>
    /// The servers of a turn as JSON in the agent's format (Amp: an object of servers; Claude Code:
    /// {"mcpServers": ...}), references resolved through <paramref name="lookup"/>; null when there are none.
    /// The resolved secret values are added to <paramref name="secrets"/> so they are redacted from output.
    /// </summary>
    public static string? Compose(IEnumerable<McpServerDefinition> named, string? raw, AgentDialect dialect, Func<string, string?> lookup, ICollection<string> secrets) =>
        Build(named, raw, dialect, value =>
        {
            foreach (var resolved in SecretReferences.ResolvedValues(value.Text, lookup))
            {
                secrets.Add(resolved);
            }
            if (SecretReferences.IsLiteralSecret(value.Name, value.Text))
            {
                secrets.Add(value.Text);
            }
            return SecretReferences.Resolve(value.Text, lookup, $"MCP server '{value.Server}' ({value.Where})");
        });

    /// <summary>The same JSON for people: references as written (${NAME}), literal secrets masked.</summary>
    public static string? Describe(IEnumerable<McpServerDefinition> named, string? raw, AgentDialect dialect) =>
        Build(named, raw, dialect, value => SecretReferences.MaskLiteral(value.Name, value.Text));

    private sealed record ValueAt(string Server, string Name, string Text, string Where);

    private static string? Build(IEnumerable<McpServerDefinition> named, string? raw, AgentDialect dialect, Func<ValueAt, string> render)
    {
        var servers = new JsonObject();
        foreach (var server in named)
        {
            var entry = new JsonObject();
            if (server.Url is { } url)
            {
                if (dialect == AgentDialect.Claude)
                {
                    entry["type"] = url.TrimEnd('/').EndsWith("/sse", StringComparison.OrdinalIgnoreCase) ? "sse" : "http";
                }
                entry["url"] = url;
                if (server.Headers.Count > 0)
                {
                    entry["headers"] = Map(server.Name, server.Headers, server.Where, render);
                }
            }
            else
            {
                entry["command"] = server.Command;
                entry["args"] = new JsonArray(server.Args.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray());
                if (server.Env.Count > 0)
                {
                    entry["env"] = Map(server.Name, server.Env, server.Where, render);
                }
            }
            servers[server.Name] = entry;
        }
        if (!string.IsNullOrWhiteSpace(raw))
        {
            var text = raw.Trim();
            var source = LooksLikeJson(text) ? "the session's --mcp-config" : text;
            var given = Parse(LooksLikeJson(text) ? text : File.ReadAllText(text), source);
            foreach (var (name, node) in given)
            {
                var entry = node!.DeepClone().AsObject();
                foreach (var field in new[] { "env", "headers" })
                {
                    if (entry[field] is JsonObject values)
                    {
                        entry[field] = Map(name, values.ToDictionary(v => v.Key, v => v.Value?.GetValue<string>() ?? ""), source, render);
                    }
                }
                servers[name] = entry;
            }
        }
        if (servers.Count == 0)
        {
            return null;
        }
        var document = dialect == AgentDialect.Claude ? new JsonObject { ["mcpServers"] = servers } : servers;
        return document.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static JsonObject Map(string server, IReadOnlyDictionary<string, string> values, string where, Func<ValueAt, string> render)
    {
        var result = new JsonObject();
        foreach (var (name, value) in values)
        {
            result[name] = render(new ValueAt(server, name, value, where));
        }
        return result;
    }

    private static bool LooksLikeJson(string text) => text.StartsWith('{');

    /// <summary>The servers of an MCP JSON document (either {name: server} or Claude's {"mcpServers": {...}}), its shape checked.</summary>
    private static JsonObject Parse(string json, string what)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json, documentOptions: Strict);
        }
        catch (JsonException ex)
        {
            throw new AmpSessionsException("AmpMcpConfigInvalid", ErrorKind.InvalidArgument,
                $"{what} is not valid JSON (line {(ex.LineNumber ?? 0) + 1}, character {(ex.BytePositionInLine ?? 0) + 1}: {FirstSentence(ex.Message)})", json,
                remedy: $"give an object of servers, such as {{\"github\": {{\"command\": \"npx\", \"args\": [\"-y\", \"@modelcontextprotocol/server-github\"]}}}}");
        }
        if (root is not JsonObject servers)
        {
            throw Shape(what, "it must be an object whose keys are server names");
        }
        if (servers["mcpServers"] is JsonObject wrapped && servers.Count == 1)
        {
            servers = wrapped;
        }
        foreach (var (name, node) in servers)
        {
            if (node is not JsonObject server)
            {
                throw Shape(what, $"server '{name}' must be an object with a command or a url");
            }
            var hasCommand = server["command"] is JsonValue command && command.TryGetValue<string>(out var program) && program.Length > 0;
            var hasUrl = server["url"] is JsonValue url && url.TryGetValue<string>(out var address) && address.Length > 0;
            if (!hasCommand && !hasUrl)
            {
                throw Shape(what, $"server '{name}' has neither a command (text) nor a url (text)");
            }
            if (server["args"] is { } args && (args is not JsonArray list || list.Any(a => a is not JsonValue v || !v.TryGetValue<string>(out _))))
            {
                throw Shape(what, $"the args of server '{name}' must be a list of text");
            }
            foreach (var field in new[] { "env", "headers" })
            {
                if (server[field] is { } values && (values is not JsonObject map || map.Any(v => v.Value is not JsonValue s || !s.TryGetValue<string>(out _))))
                {
                    throw Shape(what, $"the {field} of server '{name}' must be an object of text values");
                }
            }
        }
        return servers;
    }

    private static IEnumerable<(string Server, string Field, string Name, string Value)> Values(JsonObject servers)
    {
        foreach (var (server, node) in servers)
        {
            foreach (var field in new[] { "env", "headers" })
            {
                if (node?[field] is JsonObject values)
                {
                    foreach (var (name, value) in values)
                    {
                        yield return (server, field, name, value!.GetValue<string>());
                    }
                }
            }
        }
    }

    private static AmpSessionsException Shape(string what, string problem) =>
        new("AmpMcpConfigInvalid", ErrorKind.InvalidArgument, $"{what} is not an MCP configuration: {problem}", what,
            remedy: $"give an object of servers, such as {{\"github\": {{\"command\": \"npx\", \"args\": [\"-y\", \"@modelcontextprotocol/server-github\"], \"env\": {{\"GITHUB_TOKEN\": \"${{GITHUB_TOKEN}}\"}}}}}}");

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return (end < 0 ? message : message[..end]).TrimEnd('.');
    }
}
