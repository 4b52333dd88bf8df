namespace AmpSessions.Core.Integration;

/// <summary>The details a merge announces in its session-lock record just before it moves the base (read by repair after a crash).</summary>
public static class MergeIntent
{
    public const string BaseRef = "merge-base-ref";
    public const string From = "merge-from";
    public const string To = "merge-to";
}
