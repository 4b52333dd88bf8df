using System.Collections.ObjectModel;
using System.Reflection;

namespace AmpSessions.Module.Tests;

/// <summary>A cmdlet class as PowerShell sees it, read from its attributes.</summary>
public sealed class CompiledCmdlet
{
    public CompiledCmdlet(Type type)
    {
        Type = type;
        var cmdlet = Attribute(type.CustomAttributes, PowerShellTypes.CmdletAttribute)!;
        Verb = (string)cmdlet.ConstructorArguments[0].Value!;
        Noun = (string)cmdlet.ConstructorArguments[1].Value!;
        SupportsShouldProcess = Named(cmdlet, "SupportsShouldProcess") is true;
        // ConfirmImpact: None 0, Low 1, Medium 2 (the default), High 3.
        ConfirmImpact = Named(cmdlet, "ConfirmImpact") is int impact ? impact : 2;
        DefaultParameterSet = Named(cmdlet, "DefaultParameterSetName") as string;
        OutputTypes = type.CustomAttributes.Where(a => a.AttributeType.FullName == PowerShellTypes.OutputTypeAttribute)
            .SelectMany(a => Values(a.ConstructorArguments[0]))
            .Select(v => (Type)v!)
            .ToArray();
        Aliases = type.CustomAttributes.Where(a => a.AttributeType.FullName == PowerShellTypes.AliasAttribute)
            .SelectMany(a => Values(a.ConstructorArguments[0]))
            .Cast<string>()
            .ToArray();
        Parameters = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CustomAttributes.Any(a => a.AttributeType.FullName == PowerShellTypes.ParameterAttribute))
            .Select(p => new CompiledParameter(p))
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .ToArray();
    }

    public const int ConfirmImpactHigh = 3;

    public Type Type { get; }
    public string Verb { get; }
    public string Noun { get; }
    public string Name => $"{Verb}-{Noun}";
    public bool SupportsShouldProcess { get; }
    public int ConfirmImpact { get; }
    public string? DefaultParameterSet { get; }
    public IReadOnlyList<Type> OutputTypes { get; }

    /// <summary>What the cmdlet writes, a type of the core; -AsJob cmdlets also declare the Job they return.</summary>
    public Type CoreOutputType => OutputTypes.Single(t => t.Assembly.GetName().Name == "AmpSessions.Core");
    public IReadOnlyList<string> Aliases { get; }
    public IReadOnlyList<CompiledParameter> Parameters { get; }

    /// <summary>The parameters a user sees: the declared ones plus -WhatIf and -Confirm when ShouldProcess is supported.</summary>
    public IEnumerable<string> UserParameterNames =>
        Parameters.Select(p => p.Name).Concat(SupportsShouldProcess ? ["WhatIf", "Confirm"] : []);

    public CompiledParameter? Parameter(string name) => Parameters.SingleOrDefault(p => p.Name == name);

    /// <summary>The named parameter sets (not the implicit all-sets one), including a default set that only the default parameters make up.</summary>
    public IReadOnlyList<string> ParameterSets =>
        Parameters.SelectMany(p => p.Usages).Select(u => u.ParameterSet).Append(DefaultParameterSet ?? PowerShellTypes.AllParameterSets)
            .Where(s => s != PowerShellTypes.AllParameterSets)
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();

    public override string ToString() => Name;

    internal static CustomAttributeData? Attribute(IEnumerable<CustomAttributeData> attributes, string fullName) =>
        attributes.SingleOrDefault(a => a.AttributeType.FullName == fullName);

    internal static object? Named(CustomAttributeData attribute, string name) =>
        attribute.NamedArguments.Where(n => n.MemberName == name).Select(n => n.TypedValue.Value).FirstOrDefault();

    internal static IEnumerable<object?> Values(CustomAttributeTypedArgument argument) =>
        argument.Value is ReadOnlyCollection<CustomAttributeTypedArgument> items ? items.Select(i => i.Value) : [argument.Value];
}

/// <summary>One [Parameter] property: its type, aliases and one usage per [Parameter] attribute.</summary>
public sealed class CompiledParameter
{
    public CompiledParameter(PropertyInfo property)
    {
        Property = property;
        Usages = property.CustomAttributes.Where(a => a.AttributeType.FullName == PowerShellTypes.ParameterAttribute)
            .Select(a => new ParameterUsage(
                CompiledCmdlet.Named(a, "ParameterSetName") as string ?? PowerShellTypes.AllParameterSets,
                CompiledCmdlet.Named(a, "Mandatory") is true,
                CompiledCmdlet.Named(a, "Position") is int position ? position : int.MinValue,
                CompiledCmdlet.Named(a, "ValueFromPipeline") is true,
                CompiledCmdlet.Named(a, "ValueFromPipelineByPropertyName") is true))
            .ToArray();
        Aliases = property.CustomAttributes.Where(a => a.AttributeType.FullName == PowerShellTypes.AliasAttribute)
            .SelectMany(a => CompiledCmdlet.Values(a.ConstructorArguments[0])).Cast<string>().ToArray();
        SupportsWildcards = property.CustomAttributes.Any(a => a.AttributeType.FullName == PowerShellTypes.SupportsWildcardsAttribute);
        Completer = CompiledCmdlet.Attribute(property.CustomAttributes, PowerShellTypes.ArgumentCompleterAttribute)?.ConstructorArguments[0].Value as Type;
    }

    public PropertyInfo Property { get; }
    public string Name => Property.Name;
    public Type Type => Property.PropertyType;
    public IReadOnlyList<ParameterUsage> Usages { get; }
    public IReadOnlyList<string> Aliases { get; }
    public bool SupportsWildcards { get; }
    public Type? Completer { get; }

    /// <summary>The type name PlatyPS writes: short, arrays kept, Nullable unwrapped.</summary>
    public string DocumentedTypeName
    {
        get
        {
            var type = Type.IsGenericType && Type.GetGenericTypeDefinition().FullName == "System.Nullable`1" ? Type.GetGenericArguments()[0] : Type;
            return type.Name;
        }
    }

    public bool IsSwitch => Type.FullName == PowerShellTypes.SwitchParameter;
}

public sealed record ParameterUsage(string ParameterSet, bool Mandatory, int Position, bool ValueFromPipeline, bool ValueFromPipelineByPropertyName)
{
    public string DocumentedPosition => Position == int.MinValue ? "Named" : Position.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>How PlatyPS writes pipeline input.</summary>
    public string DocumentedPipelineInput => (ValueFromPipeline, ValueFromPipelineByPropertyName) switch
    {
        (true, true) => "True (ByPropertyName, ByValue)",
        (true, false) => "True (ByValue)",
        (false, true) => "True (ByPropertyName)",
        _ => "False",
    };
}
