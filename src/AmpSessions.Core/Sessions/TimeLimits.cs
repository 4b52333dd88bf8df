using AmpSessions.Core.Errors;

namespace AmpSessions.Core.Sessions;

/// <summary>
/// The one rule for time limits (agent turns, test scripts): positive and at most a week. A longer
/// one is a typo, and past about 24 days the timers underneath cannot even represent it.
/// </summary>
public static class TimeLimits
{
    public static readonly TimeSpan Maximum = TimeSpan.FromDays(7);

    /// <summary>What is wrong with the limit, as the end of a sentence ("is not positive"), or null.</summary>
    public static string? Problem(TimeSpan limit) =>
        limit <= TimeSpan.Zero ? "is not positive"
        : limit > Maximum ? $"is longer than the longest time limit ({Maximum.TotalDays:0} days)"
        : null;

    /// <summary>Throws AmpTimeoutInvalid when the limit is given and <see cref="Problem"/> finds something wrong.</summary>
    public static void Require(TimeSpan? limit)
    {
        if (limit is { } value && Problem(value) is { } problem)
        {
            throw new AmpSessionsException("AmpTimeoutInvalid", ErrorKind.InvalidArgument, $"The time limit {value} {problem}", value,
                remedy: $"give a time limit from 1 second to {Maximum.TotalDays:0} days, for example 90s, 10m or 2h");
        }
    }
}
