using System.Text.Json.Serialization;
using AmpSessions.Core.Agents;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Processes;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Core.Configuration;

/// <summary>What one turn may override on the command line (the parameter layer).</summary>
public sealed record RunOverrides
{
    public string? Environment { get; init; }
    public string? Agent { get; init; }
    public string? Preset { get; init; }
    public string? Mode { get; init; }

    public bool IsEmpty => Environment is null && Agent is null && Preset is null && Mode is null;
}

/// <summary>
/// The composed environment of a session's agent turn (seed 000's compose_environment): which
/// environment and agent profile, the program and its arguments, the environment variables, the
/// permission preset and its rules, the MCP servers, skills, toolboxes and ports, each with where it
/// came from. `amp-sessions env &lt;id&gt;` and Get-AmpRunEnvironment show it with secrets masked; the
/// iteration runs exactly it.
/// </summary>
public sealed class RunEnvironment
{
    public required string SessionId { get; init; }
    public required string SessionName { get; init; }
    public required string WorkingDirectory { get; init; }

    public required string Environment { get; init; }
    public required string EnvironmentSource { get; init; }
    /// <summary>CI behaviour: no notifications, no editor, plain output, failing exit codes.</summary>
    public required bool IsCi { get; init; }

    /// <summary>The agent profile's name, or the agent as given (amp:/path/to/amp).</summary>
    public required string Agent { get; init; }
    public required string AgentSource { get; init; }
    /// <summary>amp, claude or exec.</summary>
    public required string AgentType { get; init; }
    public required string Program { get; init; }
    /// <summary>The arguments after the program; the per-run files appear as placeholders.</summary>
    public required IReadOnlyList<string> Arguments { get; init; }
    /// <summary>The program and its arguments as one line a shell reads as they are: an argument with spaces or shell characters is quoted.</summary>
    public string CommandLine => new Processes.ProcessSpec(Program, Arguments).Describe();

    public string? Mode { get; init; }
    public string? ModeSource { get; init; }
    public string? Model { get; init; }
    public string? ModelSource { get; init; }

    public string? Preset { get; init; }
    public string? PresetSource { get; init; }
    /// <summary>Every tool without approval (only ever from a preset that says so).</summary>
    public bool AllowAllTools { get; init; }
    /// <summary>The permission rules the agent gets, in order (first match wins).</summary>
    public IReadOnlyList<string> PermissionRules { get; init; } = [];

    public IReadOnlyList<string> McpServers { get; init; } = [];
    /// <summary>The MCP configuration the agent gets in its private file, references as written and literal secrets masked.</summary>
    public string? McpConfig { get; init; }
    public IReadOnlyList<string> Skills { get; init; } = [];
    public IReadOnlyList<string> ToolboxPaths { get; init; } = [];
    /// <summary>The tools the toolbox folders offer (AMP_TOOLBOX), and what was left out and why.</summary>
    public IReadOnlyList<string> Toolbox { get; init; } = [];
    public IReadOnlyList<string> ToolboxSkipped { get; init; } = [];

    /// <summary>The environment variables the agent gets on top of this process's (null: removed), secrets masked.</summary>
    public IReadOnlyDictionary<string, string?> Variables { get; init; } = new Dictionary<string, string?>();
    public PortBlock? Ports { get; init; }
    public bool Notifications { get; init; }

    /// <summary>The agent as it runs.</summary>
    [JsonIgnore]
    public AgentSpec Spec { get; init; } = new(AgentDialect.Amp, ["amp"]);

    /// <summary>The turn request without its prompt, transcript and thread: what <see cref="TurnRequest"/> completes.</summary>
    [JsonIgnore]
    internal AgentTurnRequest Template { get; init; } = new() { Prompt = "", WorkingDirectory = "" };

    /// <summary>Checks that every ${NAME} the MCP servers reference is set, before a turn starts (a missing one is a clear error).</summary>
    public void CheckReferences()
    {
        var environment = AgentCommandLine.Environment(Spec, Template);
        McpConfiguration.Compose(Template.McpServers, Template.McpConfig, Spec.Dialect, name => AgentCommandLine.Variable(environment, name), new List<string>());
    }

    /// <summary>The request for one turn of this environment.</summary>
    public AgentTurnRequest TurnRequest(string prompt, string? threadId, string? transcriptPath, TimeSpan timeout) => Template with
    {
        Prompt = prompt,
        ThreadId = threadId,
        TranscriptPath = transcriptPath,
        Timeout = timeout,
    };
}

/// <summary>
/// compose_environment: one function from the effective configuration (with the session's layer),
/// the session and a turn's overrides to the run environment. Unknown names and a mode the
/// environment does not allow are clear errors, before anything starts.
/// </summary>
public static class RunEnvironmentComposer
{
    public static RunEnvironment Compose(EffectiveConfiguration configuration, Session session, RunOverrides? overrides = null, string? runFilesRoot = null)
    {
        overrides ??= new RunOverrides();
        if (!overrides.IsEmpty)
        {
            configuration = configuration.With(ConfigurationService.ParameterLayer(new Dictionary<string, object?>
            {
                [ConfigurationKeys.Environment] = overrides.Environment,
                [ConfigurationKeys.Agent] = overrides.Agent,
                [ConfigurationKeys.Preset] = overrides.Preset,
            }));
        }
        var agentSetting = configuration.Setting(ConfigurationKeys.Agent)!;
        var (profile, profileSource) = Profile(configuration, (string)agentSetting.Value!, agentSetting.Source);

        // A value given for this session (or turn) wins over the profile's, which wins over the files' default.
        var environmentSetting = configuration.Setting(ConfigurationKeys.Environment)!;
        var (environmentName, environmentSource) = environmentSetting.Layer >= ConfigurationLayerKind.Batch || profile.Environment is null
            ? ((string)environmentSetting.Value!, environmentSetting.Source)
            : (profile.Environment, profileSource);
        var environment = configuration.Environment(environmentName);
        var spec = profile.Spec(environment.Command);

        var (mode, modeSource) = overrides.Mode is { Length: > 0 } givenMode ? (givenMode, ConfigurationSources.Parameter)
            : session.AgentMode is { Length: > 0 } sessionMode ? (sessionMode, ConfigurationSources.Session(session.Id))
            : profile.AgentMode is { Length: > 0 } profileMode ? (profileMode, profileSource)
            : ((string?)null, (string?)null);
        if (mode is not null && !environment.AllowsMode(mode))
        {
            throw new AmpSessionsException("AmpModeNotAllowed", ErrorKind.InvalidArgument,
                $"Mode '{mode}' (from {modeSource}) is not allowed in environment '{environment.Name}', which allows {string.Join(", ", environment.AllowedModes)} ({environment.Where})", mode,
                remedy: $"choose one of those with {Parameter.Mode}, or add '{mode}' to environments.{environment.Name}.allowed_modes");
        }
        if (mode is not null && spec.Dialect != AgentDialect.Amp)
        {
            throw new AmpSessionsException("AmpModeNotSupported", ErrorKind.InvalidArgument,
                $"Mode '{mode}' (from {modeSource}) is an Amp mode, and the agent '{profile.Name}' is {AgentProfile.TypeName(spec.Dialect)}, which has none", mode,
                remedy: $"remove the mode, or choose a model with model_override");
        }
        var (model, modelSource) = session.ModelOverride is { Length: > 0 } sessionModel ? (sessionModel, ConfigurationSources.Session(session.Id))
            : profile.ModelOverride is { Length: > 0 } profileModel ? (profileModel, profileSource)
            : ((string?)null, (string?)null);

        var presetSetting = configuration.Setting(ConfigurationKeys.Preset);
        var (presetName, presetSource) = presetSetting is not null && presetSetting.Layer >= ConfigurationLayerKind.Batch ? ((string?)presetSetting.Value, presetSetting.Source)
            : profile.Preset is { } profilePreset ? (profilePreset, profileSource)
            : environment.Preset is { } environmentPreset ? (environmentPreset, $"environment {environment.Name} ({environment.Where})")
            : ((string?)presetSetting?.Value, presetSetting?.Source);
        var preset = presetName is null ? null : configuration.Preset(presetName);

        var allowedTools = profile.AllowedTools.Concat(session.AllowedTools).Distinct(StringComparer.Ordinal).ToList();
        var rules = preset?.EffectiveRules() ?? [];
        var disallowed = new List<string>();
        if (spec.Dialect == AgentDialect.Claude && preset is not null && !preset.AllowAll)
        {
            (var claudeAllowed, disallowed) = ClaudeTools(preset);
            allowedTools = allowedTools.Concat(claudeAllowed).Distinct(StringComparer.Ordinal).ToList();
            rules = [];
        }
        var mcpNames = profile.McpServers.Concat(session.McpServers).Distinct(StringComparer.Ordinal).ToList();
        var mcpServers = mcpNames.Select(configuration.McpServer).ToList();
        var skills = profile.Skills.Concat(session.Skills).Distinct(StringComparer.Ordinal).ToList();
        var toolboxes = profile.ToolboxPaths.Concat(session.ToolboxPaths).Distinct(StringComparer.Ordinal).ToList();

        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        if (environment.AmpServerUrl is { } url) variables["AMP_URL"] = url;
        if (environment.SettingsFile is { } settings) variables["AMP_SETTINGS_FILE"] = settings;
        foreach (var (name, value) in environment.Env) variables[name] = value;
        foreach (var (name, value) in profile.Env) variables[name] = value;
        foreach (var (name, value) in session.AgentEnvironment) variables[name] = value;
        variables["AMP_SESSION_ID"] = session.Id;
        variables["AMP_SESSION_WORKTREE"] = session.WorktreePath;
        foreach (var (name, value) in PortVariables(session.Ports))
        {
            variables[name] = value;
        }

        var template = new AgentTurnRequest
        {
            Prompt = "",
            WorkingDirectory = session.WorktreePath,
            SessionId = session.Id,
            Mode = mode,
            Model = model,
            McpConfig = session.McpConfig,
            McpServers = mcpServers,
            AllowAllTools = preset?.AllowAll == true,
            AllowedTools = preset?.AllowAll == true ? [] : allowedTools,
            DisallowedTools = disallowed,
            PermissionRules = preset?.AllowAll == true ? [] : rules,
            Skills = skills,
            ToolboxPaths = toolboxes,
            Labels = ["amp-sessions", $"session-{session.Id}"],
            Title = $"{session.Name} ({session.Id})",
            Timeout = session.Timeout ?? AgentDefaults.Timeout,
            Environment = variables,
            RunFilesRoot = runFilesRoot,
        };
        var toolbox = spec.Dialect == AgentDialect.Amp && toolboxes.Count > 0 ? ToolboxResolver.Describe(toolboxes) : null;
        var shownRules = template.AllowAllTools
            ? ["allow every tool (--dangerously-allow-all)"]
            : spec.Dialect == AgentDialect.Claude
                ? [.. allowedTools.Select(t => "allow " + t), .. disallowed.Select(t => "reject " + t)]
                : allowedTools.Select(t => "allow " + t).Concat(rules.Select(r => r.ToString())).ToList();
        return new RunEnvironment
        {
            Spec = spec,
            Template = template,
            SessionId = session.Id,
            SessionName = session.Name,
            WorkingDirectory = session.WorktreePath,
            Environment = environment.Name,
            EnvironmentSource = environmentSource,
            IsCi = environment.Ci,
            Agent = profile.Name,
            AgentSource = profileSource,
            AgentType = AgentProfile.TypeName(spec.Dialect),
            Program = spec.Program,
            Arguments = AgentCommandLine.Arguments(spec, template,
                AgentCommandLine.NeedsSettingsFile(spec, template) ? AgentCommandLine.SettingsFilePlaceholder : null,
                spec.Dialect != AgentDialect.Plain && (mcpServers.Count > 0 || session.McpConfig is not null) ? AgentCommandLine.McpFilePlaceholder : null),
            Mode = mode,
            ModeSource = modeSource,
            Model = model,
            ModelSource = modelSource,
            Preset = preset?.Name,
            PresetSource = preset is null ? null : presetSource,
            AllowAllTools = template.AllowAllTools,
            PermissionRules = shownRules,
            McpServers = mcpNames,
            McpConfig = mcpServers.Count > 0 || session.McpConfig is not null ? McpConfiguration.Describe(mcpServers, session.McpConfig, spec.Dialect) : null,
            Skills = skills,
            ToolboxPaths = toolboxes,
            Toolbox = toolbox?.Tools.Select(t => t.Name).ToList() ?? [],
            ToolboxSkipped = toolbox?.Skipped ?? [],
            Variables = Masked(AgentCommandLine.Environment(spec, template, toolbox is { Tools.Count: > 0 } ? AgentCommandLine.ToolboxPlaceholder : null)),
            Ports = session.Ports,
            Notifications = session.NotificationsEnabled && !environment.Ci,
        };
    }

    /// <summary>The variables a session's ports give its agent, setup and test script.</summary>
    public static IReadOnlyDictionary<string, string> PortVariables(PortBlock? ports) => ports is null
        ? new Dictionary<string, string>()
        : new Dictionary<string, string>
        {
            ["AMP_SESSION_PORT"] = ports.First.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["AMP_SESSION_PORT_COUNT"] = ports.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["AMP_SESSION_PORTS"] = $"{ports.First}-{ports.Last}",
        };

    /// <summary>The profile an agent setting names: a configured profile, else an ad hoc one for an agent spec (amp:/path, exec:cmd).</summary>
    private static (AgentProfile Profile, string Source) Profile(EffectiveConfiguration configuration, string agent, string settingSource)
    {
        if (configuration.Agents.TryGetValue(agent, out var profile))
        {
            return (profile, profile.Source == ConfigurationSources.Default ? $"agent profile {agent} (built in; chosen by {settingSource})" : $"agent profile {agent} ({profile.Where}; chosen by {settingSource})");
        }
        AgentSpec spec;
        try
        {
            spec = AgentSpec.Parse(agent);
        }
        catch (AmpSessionsException) when (!agent.Contains(':'))
        {
            // The id agents have always had: a name that is neither a profile nor an agent.
            throw new AmpSessionsException("AmpAgentSpecInvalid", ErrorKind.InvalidArgument,
                $"'{agent}' (from {settingSource}) is neither an agent profile (known: {string.Join(", ", configuration.Agents.Keys.Order(StringComparer.Ordinal))}) nor an agent (amp, claude, amp:<command>, claude:<command>, exec:<command>)", agent,
                remedy: $"define it under 'agents' in {configuration.WhereToDefine()}, or choose another with {Parameter.Agent}");
        }
        return (new AgentProfile { Name = agent, Type = spec.Dialect, TypeGiven = true, Command = spec.Command is ["amp"] or ["claude"] ? [] : spec.Command, Source = settingSource }, settingSource);
    }

    /// <summary>A preset as Claude Code's --allowedTools/--disallowedTools: plain allow and reject rules, and Bash rules on the command.</summary>
    private static (List<string> Allowed, List<string> Disallowed) ClaudeTools(PermissionPreset preset)
    {
        var allowed = new List<string>();
        var disallowed = new List<string>();
        foreach (var rule in preset.EffectiveRules())
        {
            var pattern = rule.Matches.Count switch
            {
                0 => new[] { rule.Tool },
                1 when rule.Matches.TryGetValue("cmd", out var commands) => commands.Select(c => $"{rule.Tool}({c})").ToArray(),
                _ => null,
            };
            var list = rule.Action switch { "allow" => allowed, "reject" => disallowed, _ => null };
            if (pattern is null || list is null || rule.Context is not null)
            {
                throw new AmpSessionsException("AmpPresetNotSupported", ErrorKind.InvalidArgument,
                    $"The preset '{preset.Name}' ({preset.Where}) has the rule \"{rule}\", which Claude Code's --allowedTools and --disallowedTools cannot express (only allow and reject, on a tool or on Bash's command)", preset.Name,
                    remedy: $"use another preset for claude agents, or express the rule with allowed_tools and disallowed_tools");
            }
            list.AddRange(pattern);
        }
        return (allowed, disallowed);
    }

    private static IReadOnlyDictionary<string, string?> Masked(IReadOnlyDictionary<string, string?> variables) =>
        variables.ToDictionary(v => v.Key, v => v.Value is null ? null : SecretReferences.IsLiteralSecret(v.Key, v.Value) ? SecretRedactor.Mask : SecretRedactor.Redact(v.Value), StringComparer.Ordinal);
}

/// <summary>Composes sessions' run environments from the store and the configuration files.</summary>
public sealed class RunEnvironmentService
{
    private readonly AmpContext context;

    public RunEnvironmentService(AmpContext context) => this.context = context;

    /// <summary>What the session's next turn gets (Get-AmpRunEnvironment, `env`), with a turn's overrides.</summary>
    public RunEnvironment ForSession(string reference, RunOverrides? overrides = null) =>
        ForSession(new SessionManager(context).Resolve(reference), overrides);

    public RunEnvironment ForSession(Session session, RunOverrides? overrides = null) =>
        RunEnvironmentComposer.Compose(new ConfigurationService(context).ForSession(session), session, overrides,
            context.Data.RunsRoot);
}
