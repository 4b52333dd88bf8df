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
    [Trait("Platform", "Posix")]
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

    [Fact]
    public async Task Names_with_line_breaks_and_escapes_keep_the_list_table_one_line_per_session_and_act_on_nothing()
    {
        await bed.NewSessionAsync();
        var odd = CliSessionBed.Json(await bed.RunAsync("new", "--repo", bed.Repo.Root, "--name", "two\nlines \u001b]0;pwned\u0007", "--prompt", "p", "--json"));
        Assert.Equal("two\nlines \u001b]0;pwned\u0007", odd.GetProperty("name").GetString());

        var table = await bed.RunAsync("list");

        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Equal(3, table.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains("two␊lines ␛]0;pwned␇", table.StandardOutput);
        Assert.DoesNotContain('\u001b', table.StandardOutput);
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
    [Trait("Platform", "Posix")]
    public async Task A_failed_iteration_says_why_on_stderr_too()
    {
        var id = await bed.NewSessionAsync();
        bed.Scenario = "agent-error";

        var result = await bed.RunAsync("iterate", id);

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"amp-sessions: Iteration 1 of session {id}", line);
    }

    // Issue 10 item 25: the test script runs in /bin/sh unless the session chooses another shell.
    [Fact]
    [Trait("Platform", "Posix")]
    public async Task A_session_can_run_its_script_in_bash_where_sh_would_not_understand_it()
    {
        const string script = "true | false; exit ${PIPESTATUS[0]}";
        var inSh = await bed.NewSessionAsync("--script", script);
        var inBash = await bed.NewSessionAsync("--script", script, "--shell", "bash");

        Assert.NotEqual(0, (await bed.RunAsync("run", inSh)).ExitCode);
        var bash = await bed.RunAsync("run", inBash);
        Assert.True(bash.ExitCode == 0, bash.ToString());

        var unknown = await bed.RunAsync("set", inSh, "--shell", "fish", "--json");
        Assert.Equal("AmpScriptShellUnknown", CliSessionBed.Json(unknown).GetProperty("error").GetProperty("id").GetString());
        Assert.Contains("/bin/sh", (await bed.RunAsync("new", "--help")).StandardOutput);
    }
}
