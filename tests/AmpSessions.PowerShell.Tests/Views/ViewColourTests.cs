using AmpSessions.PowerShell.Tests.Hosting;

namespace AmpSessions.PowerShell.Tests.Views;

/// <summary>
/// Colours in the default views. $PSStyle is one object for the whole process, so these run in the
/// collection that runs alone: switching it to Ansi here must not reach the approved renderings
/// (plain text) of tests running at the same time, nor theirs reach this.
/// </summary>
[Collection(ProcessEnvironmentCollection.Name)]
public sealed class ViewColourTests : IDisposable
{
    private readonly HostedPowerShell host = new();

    public void Dispose() => host.Dispose();

    [Theory]
    [InlineData("Interrupted", "\u001b[31m")]
    [InlineData("Error", "\u001b[31m")]
    [InlineData("Blocked", "\u001b[31m")]
    [InlineData("AwaitingInput", "\u001b[33m")]
    public void A_status_that_needs_a_person_is_coloured_in_the_session_table(string status, string color)
    {
        var sample = FormatViewTests.Samples.GetProperty("AmpSessions.Core.Sessions.Session")[0].GetProperty("json").GetRawText().Replace("\"status\": \"Idle\"", $"\"status\": \"{status}\"");
        host.Invoke("$before = $PSStyle.OutputRendering; $PSStyle.OutputRendering = 'Ansi'");
        try
        {
            var text = host.Render(
                "[System.Text.Json.JsonSerializer]::Deserialize($Sample, [AmpSessions.Core.Sessions.Session], [AmpSessions.Core.Serialization.JsonOutput]::Options)", 120, ("Sample", sample));

            Assert.Contains(color + status + "\u001b[0m", text);
        }
        finally
        {
            host.Invoke("$PSStyle.OutputRendering = $before");
        }
    }
}
