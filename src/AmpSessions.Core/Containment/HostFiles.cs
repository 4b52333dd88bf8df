using System.Diagnostics.CodeAnalysis;
using System.Reflection;

namespace AmpSessions.Core.Containment;

/// <summary>Where this process's managed files are, for starting another process like it (the guard, the demo agent).</summary>
/// <remarks>
/// A native (AOT) amp-sessions has no managed files at all: it starts itself by <see cref="Environment.ProcessPath"/>,
/// and these return null there.
/// </remarks>
public static class HostFiles
{
    /// <summary>The entry assembly's .dll when the process is `dotnet &lt;app&gt;.dll` (amp-sessions.dll, pwsh.dll), else null.</summary>
    public static string? EntryAssembly()
    {
        var name = Assembly.GetEntryAssembly()?.GetName().Name;
        var path = name is null ? null : Path.Combine(AppContext.BaseDirectory, name + ".dll");
        return path is not null && File.Exists(path) ? path : null;
    }

    /// <summary>The core's .dll as PowerShell loaded it (the module's folder, not the application's), or null in a native or single-file app.</summary>
    [UnconditionalSuppressMessage("SingleFile", "IL3000:Avoid accessing Assembly file path when publishing as a single file",
        Justification = "Only the pwsh-hosted module asks, where the core is a file; embedded, Location is empty and this returns null.")]
    public static string? CoreAssembly() => typeof(HostFiles).Assembly.Location is { Length: > 0 } location ? location : null;
}
