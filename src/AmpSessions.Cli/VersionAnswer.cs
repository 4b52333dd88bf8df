using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;

namespace AmpSessions.Cli;

/// <summary>
/// `amp-sessions --version` answered before anything else starts (issue 11: start like a native tool). Building the
/// command tree and everything behind it costs more than the answer. The text is what System.CommandLine's
/// --version prints for this executable (its informational version), and the exit code is the same.
/// Any other argument alongside it goes through the tree, which has its own rules for that.
/// </summary>
internal static class VersionAnswer
{
    public static bool IsRequest(string[] args) => args.Length == 1 && args[0] == "--version";

    /// <summary>The informational version, as System.CommandLine reads it for its own --version.</summary>
    public static string Text =>
        typeof(VersionAnswer).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(VersionAnswer).Assembly.GetName().Version?.ToString()
        ?? "";

    public static int Write()
    {
        var line = Text + Environment.NewLine;
        if (OperatingSystem.IsWindows() || !TryWriteToStandardOutput(Encoding.UTF8.GetBytes(line)))
        {
            Console.Out.Write(line);
        }
        return CliApplication.Success;
    }

    // Why not Console.Out on Unix: creating it looks up the locale's charset through the culture data, which loads
    // ICU (libicuuc, libicudata, libicui18n), measured at about a fifth of this process's CPU. The line is ASCII,
    // the same bytes in every charset a Unix locale uses, so one write(2) of it is what Console.Out would write.
    private static bool TryWriteToStandardOutput(byte[] bytes)
    {
        const int StandardOutput = 1;
        const int Interrupted = 4; // EINTR on Linux and macOS
        try
        {
            var written = 0;
            while (written < bytes.Length)
            {
                var rest = written == 0 ? bytes : bytes[written..];
                var count = NativeWrite(StandardOutput, rest, rest.Length);
                if (count < 0)
                {
                    if (Marshal.GetLastPInvokeError() == Interrupted)
                    {
                        continue;
                    }
                    // Nothing written yet: Console.Out tries, and reports the failure as it always did.
                    return written > 0;
                }
                written += (int)count;
            }
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    // A byte[] is pinned and passed as a pointer (no unsafe code), as the core's other libc calls do.
    [DllImport("libc", EntryPoint = "write", SetLastError = true)]
    private static extern nint NativeWrite(int fileDescriptor, byte[] buffer, nint count);
}
