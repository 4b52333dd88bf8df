using AmpSessions.Core.Processes;

namespace AmpSessions.Core.Notifications;

/// <summary>
/// The OS's own notifications: notify-send on Linux, osascript on macOS, a toast through
/// PowerShell on Windows. Where none exists it stays quiet; AMP_SESSIONS_NOTIFICATIONS=0 turns it off.
/// </summary>
public sealed class DesktopNotifier : INotifier
{
    public const string SwitchVariable = "AMP_SESSIONS_NOTIFICATIONS";
    private static readonly TimeSpan LaunchTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Whether notifications are switched on for this process (the global switch).</summary>
    public static bool GloballyEnabled =>
        Environment.GetEnvironmentVariable(SwitchVariable) is not { } value
        || !(value == "0" || value.Equals("false", StringComparison.OrdinalIgnoreCase) || value.Equals("off", StringComparison.OrdinalIgnoreCase));

    public void Notify(Notification notification)
    {
        if (!GloballyEnabled || Command(notification) is not { } command)
        {
            return;
        }
        try
        {
            // Waited for (briefly), so a notification is never lost when the CLI exits right after.
            ProcessRunner.RunAsync(command with { Timeout = LaunchTimeout }, (Func<OutputLine, LineDecision>?)null).GetAwaiter().GetResult();
        }
        catch (ExecutableNotFoundException)
        {
            // No notifier on this machine: notifications are a convenience, never a failure.
        }
    }

    /// <summary>The process that shows the notification on this OS; null where there is none.</summary>
    internal static ProcessSpec? Command(Notification notification)
    {
        var title = $"AmpSessions: {notification.Title}";
        if (OperatingSystem.IsMacOS())
        {
            return new ProcessSpec("osascript", ["-e", $"display notification {AppleScriptString(notification.Message)} with title {AppleScriptString(title)}"]);
        }
        if (OperatingSystem.IsWindows())
        {
            var script = "[Windows.UI.Notifications.ToastNotificationManager, Windows.UI.Notifications, ContentType = WindowsRuntime] > $null;" +
                "$x = [Windows.UI.Notifications.ToastNotificationManager]::GetTemplateContent([Windows.UI.Notifications.ToastTemplateType]::ToastText02);" +
                "$t = $x.GetElementsByTagName('text'); $t.Item(0).InnerText = $env:AMP_TITLE; $t.Item(1).InnerText = $env:AMP_MESSAGE;" +
                "[Windows.UI.Notifications.ToastNotificationManager]::CreateToastNotifier('AmpSessions').Show([Windows.UI.Notifications.ToastNotification]::new($x))";
            // Text goes through the environment, so nothing the message says is ever parsed as script.
            return new ProcessSpec("powershell.exe", ["-NoProfile", "-NonInteractive", "-Command", script])
            {
                Environment = new Dictionary<string, string?> { ["AMP_TITLE"] = title, ["AMP_MESSAGE"] = notification.Message },
            };
        }
        if (ExecutableLocator.Find("notify-send") is null)
        {
            return null;
        }
        var urgency = notification.Kind is NotificationKind.AwaitingInput or NotificationKind.Conflict or NotificationKind.IterationFailed or NotificationKind.MainCheckoutTouched ? "critical" : "normal";
        return new ProcessSpec("notify-send", ["--app-name=AmpSessions", $"--urgency={urgency}", "--", title, notification.Message]);
    }

    private static string AppleScriptString(string text) => "\"" + text.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
