using System.Text.Json;
using AmpSessions.Testing;

namespace AmpSessions.Cli.Tests;

/// <summary>Issue 10 items 13, 14, 17, 18 and 19: bad input gets one clear error, nothing crashes or floods, nothing the agent prints acts on the terminal.</summary>
public sealed class HostileInputTests : IDisposable
{
    private readonly CliSessionBed bed = new();

    public void Dispose() => bed.Dispose();

    private static void AssertUsageError(CliResult result, string contains)
    {
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(contains, result.StandardError);
        Assert.DoesNotContain("Exception", result.StandardError);
        Assert.DoesNotContain("   at ", result.StandardError);
    }

    [Theory]
    [InlineData("99999999999h")]
    [InlineData("2000h")]
    [InlineData("0s")]
    public async Task Time_limits_out_of_range_are_usage_errors_and_create_nothing(string timeout)
    {
        var created = await bed.RunAsync("new", "--repo", bed.Repo.Root, "--name", "Too long", "--prompt", "p", "--timeout", timeout);
        AssertUsageError(created, $"'{timeout}'");
        Assert.Equal("[]", (await bed.RunAsync("list", "--json")).StandardOutput.Trim());

        var id = await bed.NewSessionAsync();
        AssertUsageError(await bed.RunAsync("iterate", id, "--timeout", timeout), "time limit");
        AssertUsageError(await bed.RunAsync("set", id, "--timeout", timeout), "time limit");
        Assert.Empty(bed.Invocations);
    }

    [Fact]
    public async Task Yaml_the_parser_chokes_on_and_deep_nesting_are_file_line_column_errors()
    {
        var folder = bed.Repo.Scratch("batches");
        var odd = Path.Combine(folder, "odd.yaml");
        File.WriteAllText(odd, ":\n[{ \n\t\\\n!]a");
        var deep = Path.Combine(folder, "deep.yaml");
        File.WriteAllText(deep, new string('[', 100_000));

        var oddResult = await bed.RunAsync("batch", "validate", odd);
        var deepResult = await bed.RunAsync("batch", "validate", deep);

        Assert.True(oddResult.ExitCode == 1, oddResult.ToString());
        Assert.StartsWith($"{odd}:1:1: YAML syntax error", oddResult.StandardError);
        Assert.DoesNotContain("unexpected", oddResult.StandardError);
        Assert.True(deepResult.ExitCode == 1, deepResult.ToString());
        Assert.StartsWith($"{deep}:1:65: The batch file nests lists and mappings more than 64 levels deep", deepResult.StandardError);
    }

    [Fact]
    public async Task Terminal_escapes_from_the_agent_are_shown_not_obeyed()
    {
        var agent = ShellAgent.Write(Path.Combine(bed.Repo.Scratch("agent"), "agent.sh"),
            "printf '{\"type\":\"assistant\",\"message\":{\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"clear \\\\u001b[2J\\\\u001b]0;pwned\\\\u0007 done\"}]}}\\n'\n");
        var id = await bed.NewSessionWithAgentAsync(agent);

        var result = await bed.RunAsync("iterate", id);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.DoesNotContain('\u001b', result.StandardOutput);
        Assert.DoesNotContain('\u0007', result.StandardOutput);
        Assert.Contains("  agent: clear ␛[2J␛]0;pwned␇ done", result.StandardOutput);
    }

    [Theory]
    [InlineData("two\nlines", "AmpSessionNameInvalid")]
    [InlineData("bell\u0007", "AmpSessionNameInvalid")]
    public async Task Names_with_control_characters_are_refused(string name, string errorId)
    {
        var result = await bed.RunAsync("new", "--repo", bed.Repo.Root, "--name", name, "--prompt", "p", "--json");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal(errorId, CliSessionBed.Json(result).GetProperty("error").GetProperty("id").GetString());
        Assert.Single(result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain('\u0007', result.StandardError);
    }

    [Fact]
    public async Task A_name_longer_than_the_limit_is_refused()
    {
        var result = await bed.RunAsync("new", "--repo", bed.Repo.Root, "--name", new string('n', 101), "--prompt", "p", "--json");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal("AmpSessionNameTooLong", CliSessionBed.Json(result).GetProperty("error").GetProperty("id").GetString());
    }

    [Fact]
    public async Task A_name_that_is_another_sessions_id_prefix_is_ambiguous_and_an_exact_id_still_wins()
    {
        var first = await bed.NewSessionAsync();
        var prefix = first[..3];
        var second = CliSessionBed.Json(await bed.RunAsync("new", "--repo", bed.Repo.Root, "--name", prefix, "--prompt", "p", "--json")).GetProperty("id").GetString()!;

        var ambiguous = await bed.RunAsync("cleanup", prefix, "--force", "--json");

        Assert.True(ambiguous.ExitCode == 1, ambiguous.ToString());
        Assert.Equal("AmpSessionAmbiguous", CliSessionBed.Json(ambiguous).GetProperty("error").GetProperty("id").GetString());
        Assert.Contains(first, ambiguous.StandardError);
        Assert.Contains(second, ambiguous.StandardError);
        Assert.Equal(2, CliSessionBed.Json(await bed.RunAsync("list", "--json")).EnumerateArray().Count(s => s.GetProperty("status").GetString() == "Idle"));
        Assert.Equal(first, CliSessionBed.Json(await bed.RunAsync("status", first, "--json")).GetProperty("id").GetString());
    }

    [Fact]
    public async Task A_failed_iteration_says_why_on_stderr_too()
    {
        var id = await bed.NewSessionAsync();
        bed.Scenario = "agent-error";

        var result = await bed.RunAsync("iterate", id);

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"amp-sessions: iteration 1 of session {id} Failed: ", line);
    }
}
