namespace AmpSessions.Module;

/// <summary>The module's nouns: singular, with the Amp prefix.</summary>
public static class Nouns
{
    public const string Session = "AmpSession";
    public const string SessionState = "AmpSessionState";
    public const string SessionBackup = "AmpSessionBackup";
    public const string Iteration = "AmpIteration";
    public const string Script = "AmpScript";
    public const string Timeline = "AmpTimeline";
    public const string Patch = "AmpPatch";
    public const string Template = "AmpTemplate";
    public const string Batch = "AmpBatch";
    public const string BatchJournal = "AmpBatchJournal";
    public const string Report = "AmpReport";
    public const string Evaluation = "AmpEvaluation";
    public const string Prediction = "AmpPrediction";
    public const string TestBaseline = "AmpTestBaseline";
    public const string Config = "AmpConfig";
    public const string SlashCommand = "AmpSlashCommand";
    public const string RunEnvironment = "AmpRunEnvironment";
    public const string Event = "AmpEvent";
    public const string Attempt = "AmpAttempt";
    public const string MainCheckoutChange = "AmpMainCheckoutChange";
}
