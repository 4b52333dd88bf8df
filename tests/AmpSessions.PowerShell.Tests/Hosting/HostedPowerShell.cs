using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using PS = System.Management.Automation.PowerShell;

namespace AmpSessions.PowerShell.Tests.Hosting;

/// <summary>
/// A real runspace with the staged AmpSessions module imported (Import-Module of the staged
/// manifest, as a user does), a temporary folder for repositories and a data directory of its own
/// ($Data) so tests never share state.
/// </summary>
public sealed class HostedPowerShell : IDisposable
{
    public HostedPowerShell(bool importModule = true)
    {
        Root = Path.Combine(Path.GetTempPath(), "amp-hosted-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Root);
        DataPath = Path.Combine(Root, "data");
        var state = InitialSessionState.CreateDefault2();
        if (OperatingSystem.IsWindows())
        {
            state.ExecutionPolicy = Microsoft.PowerShell.ExecutionPolicy.Bypass;
        }
        Runspace = RunspaceFactory.CreateRunspace(state);
        Runspace.Open();
        Runspace.SessionStateProxy.SetVariable("Data", DataPath);
        Runspace.SessionStateProxy.SetVariable("Root", Root);
        Runspace.SessionStateProxy.SetVariable("Manifest", TestEnvironment.StagedManifest);
        Runspace.SessionStateProxy.SetVariable("FakeAgent", $"amp:'{TestEnvironment.FakeAgent}'");
        Runspace.SessionStateProxy.Path.SetLocation(Root);
        if (importModule)
        {
            Invoke("Import-Module $Manifest -ErrorAction Stop");
        }
    }

    public Runspace Runspace { get; }

    /// <summary>A temporary folder for this host's repositories (the runspace's current location).</summary>
    public string Root { get; }

    /// <summary>The data directory every command here passes as -DataPath ($Data).</summary>
    public string DataPath { get; }

    /// <summary>Runs a script; any error record (terminating or not) fails the test with its text.</summary>
    public Collection<PSObject> Invoke(string script, params (string Name, object? Value)[] variables)
    {
        var (output, errors) = InvokeWithErrors(script, variables);
        if (errors.Count > 0)
        {
            throw new Xunit.Sdk.XunitException($"The script reported {errors.Count} error(s):\n{string.Join("\n", errors.Select(Describe))}\n--- script ---\n{script}");
        }
        return output;
    }

    /// <summary>Runs a script and returns its output and error records (a terminating error becomes the last record).</summary>
    public (Collection<PSObject> Output, IReadOnlyList<ErrorRecord> Errors) InvokeWithErrors(string script, params (string Name, object? Value)[] variables)
    {
        foreach (var (name, value) in variables)
        {
            Runspace.SessionStateProxy.SetVariable(name, value);
        }
        using var shell = PS.Create();
        shell.Runspace = Runspace;
        shell.AddScript(script);
        var errors = new List<ErrorRecord>();
        Collection<PSObject> output;
        try
        {
            output = shell.Invoke();
        }
        catch (RuntimeException ex)
        {
            output = [];
            errors.AddRange(shell.Streams.Error);
            errors.Add(ex.ErrorRecord);
            return (output, errors);
        }
        errors.AddRange(shell.Streams.Error);
        return (output, errors);
    }

    /// <summary>The text a script's output renders to (Out-String at the given width).</summary>
    public string Render(string script, int width, params (string Name, object? Value)[] variables) =>
        string.Concat(Invoke($"{script} | Out-String -Width {width}", variables).Select(o => o.BaseObject as string));

    /// <summary>Makes a git repository with one commit (README.md and src/greet.ts) under <see cref="Root"/>.</summary>
    public string NewRepository(string name = "repo") => GitRepository.Create(Path.Combine(Root, name));

    public static string Describe(ErrorRecord error) =>
        $"{error.FullyQualifiedErrorId}: {error.ErrorDetails?.Message ?? error.Exception.Message}";

    public void Dispose()
    {
        Runspace.Dispose();
        GitRepository.DeleteFolder(Root);
    }
}
