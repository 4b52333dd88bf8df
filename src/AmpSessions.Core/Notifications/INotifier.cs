namespace AmpSessions.Core.Notifications;

/// <summary>What a notification is about.</summary>
public enum NotificationKind
{
    AwaitingInput,
    TestsFinished,
    IterationFailed,
    Conflict,
    /// <summary>An agent changed the user's main checkout.</summary>
    MainCheckoutTouched,
    /// <summary>A session or batch reached a budget.</summary>
    BudgetReached,
}

/// <summary>One desktop notification.</summary>
public sealed record Notification(string Title, string Message, NotificationKind Kind, string? SessionId);

/// <summary>Shows notifications to the person at the machine.</summary>
public interface INotifier
{
    void Notify(Notification notification);
}
