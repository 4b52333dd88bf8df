using AmpSessions.Core.Agents;

namespace AmpSessions.Core.Configuration;

/// <summary>
/// A named entry of one of the configuration's sections (an environment, an agent profile, an MCP
/// server, a permission preset, a slash command), with the file it was defined in. A higher layer's
/// entry of the same name replaces the lower one whole.
/// </summary>
public abstract record ConfigurationEntry
{
    public string Name { get; init; } = "";

    /// <summary>Where it was defined: a file path, or "default" for the built-in ones.</summary>
    public string Source { get; init; } = ConfigurationSources.Default;

    /// <summary>The line of its definition in <see cref="Source"/> (1-based), when it came from a file.</summary>
    public int? Line { get; init; }

    /// <summary>Where it was defined, for messages: <c>file:line</c>, or "built in".</summary>
    public string Where => Source == ConfigurationSources.Default ? "built in" : Line is { } line ? $"{Source}:{line}" : Source;

    /// <summary>Its keys and values as written in a file (snake_case keys; values are text, numbers, booleans, lists or mappings).</summary>
    public abstract IReadOnlyDictionary<string, object?> Describe();
}

/// <summary>
/// A named runtime (seed 000 §2.4: production, local development, CI): which amp command runs,
/// against which server, with what extra environment and settings, which agent modes are allowed,
/// and whether it behaves as a CI job.
/// </summary>
public sealed record EnvironmentDefinition : ConfigurationEntry
{
    /// <summary>amp_cli_path as resolved (absolute when written as a path, else a name looked up on PATH).</summary>
    public string? AmpCliPath { get; init; }

    /// <summary>The program and fixed arguments that run amp here (command_prefix, or amp_cli_path); empty: `amp` on PATH.</summary>
    public IReadOnlyList<string> Command { get; init; } = [];

    /// <summary>AMP_URL for the agent: the Amp server (a local development server is http://localhost:&lt;port&gt;).</summary>
    public string? AmpServerUrl { get; init; }

    /// <summary>Extra environment for the agent.</summary>
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();

    /// <summary>An Amp settings file to start the per-run settings from, instead of the user's own.</summary>
    public string? SettingsFile { get; init; }

    /// <summary>The agent modes sessions may use here; empty: any.</summary>
    public IReadOnlyList<string> AllowedModes { get; init; } = [];

    /// <summary>CI behaviour: non-interactive, no notifications, no editor, plain output, failing exit codes.</summary>
    public bool Ci { get; init; }

    /// <summary>The permission preset sessions use here unless their agent profile or the session names one.</summary>
    public string? Preset { get; init; }

    public bool AllowsMode(string? mode) => mode is null || AllowedModes.Count == 0 || AllowedModes.Contains(mode, StringComparer.Ordinal);

    public override IReadOnlyDictionary<string, object?> Describe() => Compact(new()
    {
        ["amp_cli_path"] = AmpCliPath,
        ["command_prefix"] = AmpCliPath is null && Command.Count > 0 ? Command : null,
        ["amp_server_url"] = AmpServerUrl,
        ["env"] = Env.Count > 0 ? Env : null,
        ["settings_file"] = SettingsFile,
        ["allowed_modes"] = AllowedModes.Count > 0 ? AllowedModes : null,
        ["ci"] = Ci ? true : null,
        ["preset"] = Preset,
    });

    internal static Dictionary<string, object?> Compact(Dictionary<string, object?> values)
    {
        foreach (var key in values.Where(v => v.Value is null).Select(v => v.Key).ToList())
        {
            values.Remove(key);
        }
        return values;
    }
}

/// <summary>
/// A named agent profile: which agent (amp, claude, or any stream-json command), its mode, model
/// override, environment, MCP servers, skills, toolboxes and permissions. A batch file's agents are
/// the same profiles with an id.
/// </summary>
public record AgentProfile : ConfigurationEntry
{
    /// <summary>Which command-line dialect the agent speaks.</summary>
    public AgentDialect Type { get; init; } = AgentDialect.Amp;

    /// <summary>Whether the file said `type` (a batch agent with only a command is amp-compatible).</summary>
    public bool TypeGiven { get; init; }

    /// <summary>The program and fixed arguments; empty: the dialect's own program (amp via the environment, claude).</summary>
    public IReadOnlyList<string> Command { get; init; } = [];

    public string? AgentMode { get; init; }
    public string? ModelOverride { get; init; }

    /// <summary>The environment it runs in; null: the session's or the default.</summary>
    public string? Environment { get; init; }

    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<string> ToolboxPaths { get; init; } = [];

    /// <summary>MCP servers by name (see mcp_servers).</summary>
    public IReadOnlyList<string> McpServers { get; init; } = [];

    /// <summary>Skill folders (Amp's amp.skills.path).</summary>
    public IReadOnlyList<string> Skills { get; init; } = [];

    public string? Preset { get; init; }

    /// <summary>Tools allowed without approval, on top of the preset.</summary>
    public IReadOnlyList<string> AllowedTools { get; init; } = [];

    /// <summary>The agent spec text for this profile's program: amp, claude, or dialect:command.</summary>
    public AgentSpec Spec(IReadOnlyList<string> environmentCommand) => Type switch
    {
        AgentDialect.Amp when Command.Count > 0 => new AgentSpec(AgentDialect.Amp, WithNode(Command)),
        AgentDialect.Amp when environmentCommand.Count > 0 => new AgentSpec(AgentDialect.Amp, WithNode(environmentCommand)),
        AgentDialect.Amp => new AgentSpec(AgentDialect.Amp, ["amp"]),
        AgentDialect.Claude => new AgentSpec(AgentDialect.Claude, Command.Count > 0 ? Command : ["claude"]),
        _ => new AgentSpec(AgentDialect.Plain, Command),
    };

    // A local development build is a JavaScript file that node runs.
    private static IReadOnlyList<string> WithNode(IReadOnlyList<string> command) =>
        command[0].EndsWith(".js", StringComparison.OrdinalIgnoreCase) || command[0].EndsWith(".mjs", StringComparison.OrdinalIgnoreCase)
            ? ["node", .. command]
            : command;

    public override IReadOnlyDictionary<string, object?> Describe() => EnvironmentDefinition.Compact(new()
    {
        ["type"] = TypeName(Type),
        ["command"] = Command.Count > 0 ? Command : null,
        ["agent_mode"] = AgentMode,
        ["model_override"] = ModelOverride,
        ["environment"] = Environment,
        ["env"] = Env.Count > 0 ? Env : null,
        ["toolbox_paths"] = ToolboxPaths.Count > 0 ? ToolboxPaths : null,
        ["mcp_servers"] = McpServers.Count > 0 ? McpServers : null,
        ["skills"] = Skills.Count > 0 ? Skills : null,
        ["preset"] = Preset,
        ["allowed_tools"] = AllowedTools.Count > 0 ? AllowedTools : null,
    });

    public static string TypeName(AgentDialect dialect) => dialect switch
    {
        AgentDialect.Amp => "amp",
        AgentDialect.Claude => "claude",
        _ => "exec",
    };
}

/// <summary>An MCP server defined once and picked by name: a command (with arguments and environment) or a URL.</summary>
public sealed record McpServerDefinition : ConfigurationEntry
{
    public string? Command { get; init; }
    public IReadOnlyList<string> Args { get; init; } = [];

    /// <summary>Environment for the server; values may reference the agent's environment as ${NAME}.</summary>
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();

    public string? Url { get; init; }

    /// <summary>HTTP headers for a URL server; values may reference ${NAME}.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    public override IReadOnlyDictionary<string, object?> Describe() => EnvironmentDefinition.Compact(new()
    {
        ["command"] = Command,
        ["args"] = Args.Count > 0 ? Args : null,
        ["env"] = Env.Count > 0 ? Masked(Env) : null,
        ["url"] = Url,
        ["headers"] = Headers.Count > 0 ? Masked(Headers) : null,
    });

    /// <summary>Values as shown to people: references stay (${NAME}), literal secrets are masked.</summary>
    internal static IReadOnlyDictionary<string, string> Masked(IReadOnlyDictionary<string, string> values) =>
        values.ToDictionary(v => v.Key, v => SecretReferences.MaskLiteral(v.Key, v.Value), StringComparer.Ordinal);
}

/// <summary>One Amp permission rule (amp.permissions): a tool (name or glob), an action, optional input matches.</summary>
public sealed record PermissionRule
{
    public required string Tool { get; init; }

    /// <summary>allow, reject, ask or delegate.</summary>
    public required string Action { get; init; }

    /// <summary>Tool input fields and the glob (or globs) they must match, e.g. cmd: "git *".</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Matches { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>For reject: what the model is told.</summary>
    public string? Message { get; init; }

    /// <summary>For delegate: the program that decides.</summary>
    public string? To { get; init; }

    /// <summary>thread or subagent; null: both.</summary>
    public string? Context { get; init; }

    public static readonly IReadOnlyList<string> Actions = ["allow", "reject", "ask", "delegate"];

    /// <summary>The rule in Amp's settings format.</summary>
    public System.Text.Json.Nodes.JsonObject ToAmpJson()
    {
        var rule = new System.Text.Json.Nodes.JsonObject { ["tool"] = Tool };
        if (Matches.Count > 0)
        {
            var matches = new System.Text.Json.Nodes.JsonObject();
            foreach (var (field, patterns) in Matches)
            {
                matches[field] = patterns.Count == 1
                    ? System.Text.Json.Nodes.JsonValue.Create(patterns[0])
                    : new System.Text.Json.Nodes.JsonArray(patterns.Select(p => (System.Text.Json.Nodes.JsonNode?)System.Text.Json.Nodes.JsonValue.Create(p)).ToArray());
            }
            rule["matches"] = matches;
        }
        rule["action"] = Action;
        if (Message is not null) rule["message"] = Message;
        if (To is not null) rule["to"] = To;
        if (Context is not null) rule["context"] = Context;
        return rule;
    }

    /// <summary>One line for people: "allow Bash cmd=git *".</summary>
    public override string ToString() =>
        $"{Action} {Tool}{string.Concat(Matches.Select(m => $" {m.Key}={string.Join("|", m.Value)}"))}{(To is null ? "" : $" to {To}")}{(Context is null ? "" : $" ({Context})")}";
}

/// <summary>A named set of permission rules (read-only, safe-edit, full-auto, or the user's own).</summary>
public sealed record PermissionPreset : ConfigurationEntry
{
    public string? Description { get; init; }
    public IReadOnlyList<PermissionRule> Permissions { get; init; } = [];

    /// <summary>Tools allowed outright (an allow rule each for Amp, --allowedTools for Claude Code).</summary>
    public IReadOnlyList<string> AllowedTools { get; init; } = [];

    /// <summary>Tools refused outright (a reject rule each for Amp, --disallowedTools for Claude Code).</summary>
    public IReadOnlyList<string> DisallowedTools { get; init; } = [];

    /// <summary>Every tool without approval (Amp's --dangerously-allow-all): only ever through a preset that says so.</summary>
    public bool AllowAll { get; init; }

    /// <summary>The rules in the order Amp reads them (first match wins): explicit rules, then allowed, then disallowed tools.</summary>
    public IReadOnlyList<PermissionRule> EffectiveRules(IEnumerable<string>? extraAllowed = null)
    {
        var rules = new List<PermissionRule>();
        rules.AddRange((extraAllowed ?? []).Select(tool => new PermissionRule { Tool = tool, Action = "allow" }));
        rules.AddRange(Permissions);
        rules.AddRange(AllowedTools.Select(tool => new PermissionRule { Tool = tool, Action = "allow" }));
        rules.AddRange(DisallowedTools.Select(tool => new PermissionRule { Tool = tool, Action = "reject", Message = $"The '{Name}' preset does not allow {tool}." }));
        return rules;
    }

    public override IReadOnlyDictionary<string, object?> Describe() => EnvironmentDefinition.Compact(new()
    {
        ["description"] = Description,
        ["permissions"] = Permissions.Count > 0 ? Permissions.Select(p => p.ToString()).ToList() : null,
        ["allowed_tools"] = AllowedTools.Count > 0 ? AllowedTools : null,
        ["disallowed_tools"] = DisallowedTools.Count > 0 ? DisallowedTools : null,
        ["allow_all"] = AllowAll ? true : null,
    });
}

/// <summary>
/// One entry of <c>prices</c>: what an agent's (or a model's, or by default every) tokens cost, in US
/// dollars per million. There are no built-in prices: they change, and only the user knows theirs.
/// </summary>
public sealed record PriceEntry : ConfigurationEntry
{
    public Batches.ModelPrice Price { get; init; } = new();

    public override IReadOnlyDictionary<string, object?> Describe() => new Dictionary<string, object?>
    {
        ["input"] = Price.InputPerMillion,
        ["output"] = Price.OutputPerMillion,
        ["cache_creation"] = Price.CacheCreationPerMillion,
        ["cache_read"] = Price.CacheReadPerMillion,
    };
}
