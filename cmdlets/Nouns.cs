namespace AmpSessions.Module;

/// <summary>The module's nouns: singular, with the Amp prefix.</summary>
public static class Nouns
{
    public const string Session = "AmpSession";
    public const string SessionState = "AmpSessionState";
    public const string SessionBackup = "AmpSessionBackup";
}
