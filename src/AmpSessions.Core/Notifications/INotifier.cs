namespace AmpSessions.Core.Notifications;

/// <summary>Why a notification fires.</summary>
public enum NotificationKind
{
    /// <summary>The agent stopped for a person (a tool needs approval).</summary>
    AwaitingInput,
    /// <summary>The session's test script finished.</summary>
    TestsFinished,
    /// <summary>An iteration failed.</summary>
    IterationFailed,
    /// <summary>A rebase stopped on conflicts that a person must resolve.</summary>
    Conflict,
}

/// <summary>Something a person should know about a session now.</summary>
public sealed record Notification(string Title, string Message, NotificationKind Kind, string SessionId);

/// <summary>Delivers notifications (desktop alerts, a log, a test's list); the core only raises them.</summary>
public interface INotifier
{
    void Notify(Notification notification);
}
