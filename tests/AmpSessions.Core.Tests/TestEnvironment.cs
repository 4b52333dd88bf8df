using System.Runtime.CompilerServices;

namespace AmpSessions.Core.Tests;

internal static class TestEnvironment
{
    /// <summary>
    /// A CI machine sets CI=true, which makes `ci` the default environment (no notifications, failing
    /// exit codes). The tests say when they want a CI run, so the ambient one is dropped for this process
    /// and the processes it starts.
    /// </summary>
#pragma warning disable CA2255 // A test assembly, not a library: its process environment is the tests' own.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void DropAmbientCi() => Environment.SetEnvironmentVariable("CI", null);
}
