using AmpSessions.PowerShell.Tests.Hosting;

namespace AmpSessions.PowerShell.Tests;

/// <summary>
/// "Name or object" (powershell-conventions.md): a session cmdlet takes sessions from the pipeline as
/// objects, as objects with an Id or SessionId property, and as plain strings (an id, a unique id
/// prefix or a name), each string one pipeline item.
/// </summary>
public sealed class PipelineBindingTests : IDisposable
{
    private readonly HostedPowerShell host = new();
    private readonly string id;

    public PipelineBindingTests()
    {
        var repo = host.NewRepository();
        id = (string)host.Invoke("(New-AmpSession -Name 'Rename greet' -Prompt 'p' -RepoPath $Repo -Agent $Agent -DataPath $Data).Id",
            ("Repo", repo), ("Agent", $"amp:{TestEnvironment.FakeAgent}")).Single().BaseObject;
    }

    public void Dispose() => host.Dispose();

    [Fact]
    public void A_plain_id_string_piped_to_a_session_cmdlet_binds_to_Id()
    {
        var (output, errors) = host.InvokeWithErrors("$Id | Get-AmpIteration -DataPath $Data; ($Id | Get-AmpRunEnvironment -DataPath $Data).SessionId", ("Id", id));

        Assert.Empty(errors);
        Assert.Equal(id, Assert.Single(output).ToString());
    }

    [Fact]
    public void Each_piped_string_is_one_item_a_prefix_and_a_name_resolve_and_an_unknown_one_is_its_own_error()
    {
        var (output, errors) = host.InvokeWithErrors("$Id.Substring(0, 4), 'Rename greet', 'no-such-session' | Get-AmpRunEnvironment -DataPath $Data | ForEach-Object SessionId", ("Id", id));

        Assert.Equal([id, id], output.Select(o => o.ToString()));
        Assert.StartsWith("AmpSessionNotFound,", Assert.Single(errors).FullyQualifiedErrorId);
    }

    [Fact]
    public void Session_objects_and_objects_with_a_SessionId_still_bind_as_before()
    {
        var output = host.Invoke("""
            (Get-AmpSession -Id $Id -DataPath $Data | Get-AmpRunEnvironment -DataPath $Data).SessionId
            ([pscustomobject]@{ SessionId = $Id } | Get-AmpRunEnvironment -DataPath $Data).SessionId
            """, ("Id", id));

        Assert.Equal([id, id], output.Select(o => o.ToString()));
    }
}
