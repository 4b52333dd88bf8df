namespace AmpSessions.HelpGen;

internal sealed record CommandHelp
{
    public required string Name { get; init; }
    public required string Synopsis { get; init; }
    public required IReadOnlyList<string> Description { get; init; }
    public required IReadOnlyList<SyntaxHelp> Syntax { get; init; }
    public required IReadOnlyList<ExampleHelp> Examples { get; init; }
    public required IReadOnlyList<ParameterHelp> Parameters { get; init; }
    public required IReadOnlyList<TypeHelp> Inputs { get; init; }
    public required IReadOnlyList<TypeHelp> Outputs { get; init; }
    public required IReadOnlyList<string> Notes { get; init; }
    public required IReadOnlyList<LinkHelp> Links { get; init; }
    public string? OnlineVersion { get; init; }

    public string Verb => Name[..Name.IndexOf('-', StringComparison.Ordinal)];
    public string Noun => Name[(Name.IndexOf('-', StringComparison.Ordinal) + 1)..];
}

/// <summary>One parameter set of the SYNTAX section ("__AllParameterSets" when the command has one).</summary>
internal sealed record SyntaxHelp(string ParameterSet, bool IsDefault, string Text);

internal sealed record ExampleHelp(string Title, string Code, IReadOnlyList<string> Remarks);

internal sealed record TypeHelp(string TypeName, IReadOnlyList<string> Description);

internal sealed record LinkHelp(string Text, string Uri);

internal sealed record ParameterHelp
{
    public required string Name { get; init; }
    public required IReadOnlyList<string> Description { get; init; }
    /// <summary>One per yaml block: PlatyPS writes one block per group of parameter sets that share settings.</summary>
    public required IReadOnlyList<ParameterUsage> Usages { get; init; }

    public ParameterUsage First => Usages[0];

    /// <summary>The usage that applies to a parameter set, if the parameter is in it.</summary>
    public ParameterUsage? In(string parameterSet) =>
        Usages.FirstOrDefault(u => u.ParameterSets.Contains(parameterSet, StringComparer.Ordinal))
        ?? Usages.FirstOrDefault(u => u.IsInAllSets);
}

/// <summary>One PlatyPS yaml block of a parameter.</summary>
internal sealed record ParameterUsage
{
    public const string AllSets = "(All)";

    public required string Type { get; init; }
    public required IReadOnlyList<string> ParameterSets { get; init; }
    public required IReadOnlyList<string> Aliases { get; init; }
    public required IReadOnlyList<string> AcceptedValues { get; init; }
    public required bool Required { get; init; }
    public required string Position { get; init; }
    public required string DefaultValue { get; init; }
    public required string PipelineInput { get; init; }
    public required bool AcceptsWildcards { get; init; }

    public bool IsInAllSets => ParameterSets.Contains(AllSets, StringComparer.Ordinal);
    public bool IsSwitch => Type is "SwitchParameter" or "System.Management.Automation.SwitchParameter";
}
