using System.Diagnostics.Metrics;

namespace AmpSessions.Core;

/// <summary>The core's metrics (System.Diagnostics.Metrics): read by bench/ and by any .NET metrics listener; nothing is sent anywhere.</summary>
public static class Telemetry
{
    public const string MeterName = "AmpSessions";

    internal static readonly Meter Meter = new(MeterName);
}
