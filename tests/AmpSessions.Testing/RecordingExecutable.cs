namespace AmpSessions.Testing;

/// <summary>
/// A small shell script standing in for a program the product launches (an editor): it writes its
/// working directory and then each argument, NUL-terminated, to a record file.
/// </summary>
public sealed class RecordingExecutable
{
    public RecordingExecutable(string directory, string name)
    {
        System.IO.Directory.CreateDirectory(directory);
        Directory = directory;
        Path = System.IO.Path.Combine(directory, name);
        RecordPath = System.IO.Path.Combine(directory, name + ".record");
        File.WriteAllText(Path,
            "#!/bin/sh\n" +
            $"{{ pwd -P; printf '\\0'; for a in \"$@\"; do printf '%s\\0' \"$a\"; done; }} > '{RecordPath}.tmp'\n" +
            $"mv '{RecordPath}.tmp' '{RecordPath}'\n");
        FileModes.MakeExecutable(Path);
    }

    public string Directory { get; }
    public string Path { get; }
    public string RecordPath { get; }

    /// <summary>Waits for the program to have run (it is started detached) and returns its working directory and arguments.</summary>
    public async Task<(string WorkingDirectory, IReadOnlyList<string> Arguments)> WaitForRecordAsync(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (!File.Exists(RecordPath))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"'{Path}' did not run: no record at '{RecordPath}'.");
            }
            await Task.Delay(50);
        }
        var fields = File.ReadAllText(RecordPath).Split('\0');
        // pwd ends with a newline; every field ends with NUL, so the last split part is empty.
        return (fields[0].TrimEnd('\n'), fields[1..^1]);
    }
}
