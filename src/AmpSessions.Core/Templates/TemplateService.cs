using AmpSessions.Core.Errors;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Core.Templates;

/// <summary>Save, list, remove templates, and turn one into a new session request.</summary>
public sealed class TemplateService
{
    private readonly AmpContext context;

    public TemplateService(AmpContext context) => this.context = context;

    public SessionTemplate Save(string name, string prompt, string? repoPath = null, string? baseBranch = null, string? scriptCommand = null,
        string? modelOverride = null, string? agentMode = null, string? environment = null, string? agent = null, string? preset = null,
        IReadOnlyList<string>? mcpServers = null, string? setup = null)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new AmpSessionsException("AmpTemplateNameEmpty", ErrorKind.InvalidArgument, "The template name is empty: give it a short name.", name);
        }
        if (string.IsNullOrWhiteSpace(prompt))
        {
            throw new AmpSessionsException("AmpPromptEmpty", ErrorKind.InvalidArgument, "The template's prompt is empty: say what the agent should do.", prompt);
        }
        var template = new SessionTemplate
        {
            Name = name.Trim(),
            Prompt = prompt,
            RepoRoot = string.IsNullOrWhiteSpace(repoPath) ? null : Path.GetFullPath(repoPath),
            BaseBranch = Blank(baseBranch),
            ScriptCommand = Blank(scriptCommand),
            ModelOverride = Blank(modelOverride),
            AgentMode = Blank(agentMode),
            Environment = Blank(environment),
            Agent = Blank(agent),
            Preset = Blank(preset),
            McpServers = (mcpServers ?? []).Select(m => m.Trim()).Where(m => m.Length > 0).Distinct(StringComparer.Ordinal).ToList(),
            Setup = Blank(setup),
            CreatedAt = context.Now,
        };
        CheckConfiguration(template);
        context.Templates.Save(template);
        return template;
    }

    public IReadOnlyList<SessionTemplate> List() => context.Templates.List();

    public SessionTemplate Get(string name) => context.Templates.List().FirstOrDefault(t => t.Name == name) ?? throw NotFound(name);

    private static AmpSessionsException NotFound(string name) => new("AmpTemplateNotFound", ErrorKind.NotFound,
        $"No template named '{name}': list the saved templates to see their names.", name);

    /// <summary>Removes the template and returns it as it was.</summary>
    public SessionTemplate Remove(string name)
    {
        var template = Get(name);
        if (!context.Templates.Delete(name))
        {
            throw NotFound(name);
        }
        return template;
    }

    /// <summary>A new-session request from the template; what the request already says wins.</summary>
    public NewSessionRequest Apply(string templateName, NewSessionRequest request)
    {
        var template = Get(templateName);
        return request with
        {
            RepoPath = string.IsNullOrWhiteSpace(request.RepoPath) ? template.RepoRoot ?? "" : request.RepoPath,
            BaseBranch = request.BaseBranch ?? template.BaseBranch,
            Prompt = string.IsNullOrWhiteSpace(request.Prompt) ? template.Prompt : request.Prompt,
            ScriptCommand = request.ScriptCommand ?? template.ScriptCommand,
            ModelOverride = request.ModelOverride ?? template.ModelOverride,
            AgentMode = request.AgentMode ?? template.AgentMode,
            Environment = request.Environment ?? template.Environment,
            Agent = request.Agent ?? template.Agent,
            Preset = request.Preset ?? template.Preset,
            McpServers = request.McpServers.Count > 0 ? request.McpServers : template.McpServers,
            Setup = request.Setup ?? template.Setup,
        };
    }

    // The names a template gives must exist in the configuration its sessions will read: the
    // repository's when the template names one, else the user's and the built-in ones.
    private void CheckConfiguration(SessionTemplate template)
    {
        var configuration = new Configuration.ConfigurationService(context).Load(
            template.RepoRoot is { } root && Directory.Exists(root) ? root : null);
        if (template.Environment is { } environment) configuration.Environment(environment);
        if (template.Preset is { } preset) configuration.Preset(preset);
        foreach (var server in template.McpServers) configuration.McpServer(server);
        if (template.Agent is { } agent && !configuration.Agents.ContainsKey(agent)) Agents.AgentSpec.Parse(agent);
    }

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
