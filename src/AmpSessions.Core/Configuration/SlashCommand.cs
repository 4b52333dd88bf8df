namespace AmpSessions.Core.Configuration;

/// <summary>A parameter of a slash command: required unless it has a default.</summary>
public sealed record SlashCommandParameter
{
    public required string Name { get; init; }
    public string? Description { get; init; }

    /// <summary>The value used when the command line gives none; null: the parameter is required.</summary>
    public string? Default { get; init; }

    public bool Required => Default is null;
}

/// <summary>
/// A parameterised prompt template (seed 000 §3.1): <c>/fix-ci job=build</c> becomes the template's
/// text with <c>{job}</c> replaced. Built in, from a configuration file's <c>commands</c>, or a
/// markdown file in <c>.amp-sessions/commands/&lt;name&gt;.md</c>.
/// </summary>
public sealed record SlashCommand : ConfigurationEntry
{
    public string? Description { get; init; }

    /// <summary>The prompt with {parameter} placeholders; {{ and }} stand for literal braces.</summary>
    public required string Template { get; init; }

    /// <summary>In the order they are declared, then the order the template first uses them.</summary>
    public IReadOnlyList<SlashCommandParameter> Parameters { get; init; } = [];

    /// <summary>How it is typed: /name.</summary>
    public string Invocation => "/" + Name;

    /// <summary>A usage line: /fix-ci job=&lt;job&gt; [attempts=3].</summary>
    public string Usage => Invocation + string.Concat(Parameters.Select(p => p.Required ? $" {p.Name}=<{p.Name}>" : $" [{p.Name}={p.Default}]"));

    public override IReadOnlyDictionary<string, object?> Describe() => EnvironmentDefinition.Compact(new()
    {
        ["description"] = Description,
        ["parameters"] = Parameters.Count > 0 ? Parameters.Select(p => p.Required ? p.Name : $"{p.Name}={p.Default}").ToList() : null,
        ["prompt"] = Template,
    });
}
