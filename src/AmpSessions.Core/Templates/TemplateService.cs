using AmpSessions.Core.Errors;
using AmpSessions.Core.Sessions;

namespace AmpSessions.Core.Templates;

/// <summary>Save, list, remove templates, and turn one into a new session request.</summary>
public sealed class TemplateService
{
    private readonly AmpContext context;

    public TemplateService(AmpContext context) => this.context = context;

    public SessionTemplate Save(string name, string prompt, string? repoPath = null, string? baseBranch = null, string? scriptCommand = null,
        string? modelOverride = null, string? agentMode = null)
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
            CreatedAt = context.Now,
        };
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
        };
    }

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
