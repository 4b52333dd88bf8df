namespace AmpSessions.Testing;

/// <summary>
/// A `notify-send` that records instead of showing: a shell script in its own folder, to put first on
/// PATH, that appends each invocation's arguments (separated by US, one invocation per line) to a file.
/// </summary>
public sealed class RecordingNotifySend : IDisposable
{
    private readonly TempDirectory folder = new("notify");

    public RecordingNotifySend()
    {
        LogPath = folder.Combine("calls.log");
        ExecutableScript.Write(folder.Combine("notify-send"),
            "for argument in \"$@\"; do printf '%s\\037' \"$argument\"; done >> '" + LogPath + "'\n" +
            "printf '\\n' >> '" + LogPath + "'\n");
    }

    /// <summary>The folder holding the script: prepend it to PATH.</summary>
    public string Directory => folder.Path;

    public string LogPath { get; }

    /// <summary>PATH with the recorder first.</summary>
    public string PathWithRecorder => Directory + System.IO.Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");

    /// <summary>Every call so far, each as its argument list.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Calls => File.Exists(LogPath)
        ? File.ReadAllLines(LogPath).Where(l => l.Length > 0).Select(l => (IReadOnlyList<string>)l.TrimEnd('\x1f').Split('\x1f')).ToArray()
        : [];

    public void Dispose() => folder.Dispose();
}
