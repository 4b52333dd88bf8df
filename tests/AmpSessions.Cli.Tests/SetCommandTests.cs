using System.Text.Json;
using AmpSessions.Testing;

namespace AmpSessions.Cli.Tests;

public sealed class SetCommandTests : IDisposable
{
    private readonly TestRepository repo = new();
    private readonly CliRunner cli;

    public SetCommandTests() => cli = new CliRunner(repo.Scratch("data"));

    public void Dispose() => repo.Dispose();

    [Fact]
    public async Task Set_changes_the_settings_and_an_empty_value_clears_one()
    {
        var created = await cli.RunAsync("new", "--repo", repo.Root, "--name", "Rename greet", "--prompt", "rename", "--script", "npm test", "--json");
        Assert.True(created.ExitCode == 0, created.ToString());
        var id = JsonDocument.Parse(created.StandardOutput).RootElement.GetProperty("id").GetString()!;

        var set = await cli.RunAsync("set", id, "--name", "Rename greeting", "--script", "", "--notes", "keep the API", "--json");

        Assert.True(set.ExitCode == 0, set.ToString());
        var listed = await cli.RunAsync("list", "--json");
        var row = JsonDocument.Parse(listed.StandardOutput).RootElement.EnumerateArray().Single();
        Assert.Equal("Rename greeting", row.GetProperty("name").GetString());
        Assert.Equal("keep the API", row.GetProperty("notes").GetString());
        Assert.True(row.TryGetProperty("scriptCommand", out var script) is false || script.ValueKind == JsonValueKind.Null);
    }

    [Fact]
    public async Task Set_without_a_change_fails_with_its_error_id()
    {
        var created = await cli.RunAsync("new", "--repo", repo.Root, "--name", "Rename greet", "--prompt", "rename", "--json");
        var id = JsonDocument.Parse(created.StandardOutput).RootElement.GetProperty("id").GetString()!;

        var set = await cli.RunAsync("set", id, "--json");

        Assert.Equal(1, set.ExitCode);
        Assert.Contains("AmpSessionUpdateEmpty", set.StandardOutput + set.StandardError);
    }
}
