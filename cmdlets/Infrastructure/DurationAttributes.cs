using System.Globalization;
using System.Management.Automation;

namespace AmpSessions.Module.Infrastructure;

/// <summary>
/// Lets a TimeSpan parameter take a plain number as seconds (<c>-Timeout 600</c>), as Wait-Job's
/// -Timeout does. Without it PowerShell converts 600 to 600 ticks, and "600" to 600 days.
/// TimeSpans and "hh:mm:ss" strings pass through to PowerShell's own conversion.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class SecondsToTimeSpanAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        var value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        return value switch
        {
            int or long or short or byte or uint or ulong or ushort or sbyte => TimeSpan.FromSeconds(Convert.ToDouble(value, CultureInfo.InvariantCulture)),
            double or float or decimal => TimeSpan.FromSeconds(Convert.ToDouble(value, CultureInfo.InvariantCulture)),
            string text when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) => TimeSpan.FromSeconds(seconds),
            _ => inputData,
        };
    }
}

/// <summary>Refuses a TimeSpan that is zero or negative: a time limit must leave time to work.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ValidatePositiveTimeSpanAttribute : ValidateArgumentsAttribute
{
    protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
    {
        var value = arguments is PSObject wrapped ? wrapped.BaseObject : arguments;
        if (value is TimeSpan span && span <= TimeSpan.Zero)
        {
            throw new ValidationMetadataException($"The time limit must be positive, not {span}: give seconds (600) or a TimeSpan (00:10:00).");
        }
    }
}

/// <summary>Refuses a negative TimeSpan; zero is allowed where it clears a limit (Set-AmpSession -Timeout 0).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ValidateNonNegativeTimeSpanAttribute : ValidateArgumentsAttribute
{
    protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
    {
        var value = arguments is PSObject wrapped ? wrapped.BaseObject : arguments;
        if (value is TimeSpan span && span < TimeSpan.Zero)
        {
            throw new ValidationMetadataException($"The time limit must not be negative, not {span}: give seconds (600) or a TimeSpan (00:10:00), or 0 to clear it.");
        }
    }
}
