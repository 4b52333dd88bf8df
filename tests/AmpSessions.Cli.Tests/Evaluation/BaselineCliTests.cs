using AmpSessions.Testing;

namespace AmpSessions.Cli.Tests.Evaluation;

/// <summary>
/// Regressions on a user's own repository: `baseline record` runs the session's test command once on
/// its base commit (in a scratch worktree), and `baseline show` classifies an iteration's tests
/// against it, newly failing first. The repository's tests are a shell script printing TAP.
/// </summary>
public sealed class BaselineCliTests : IDisposable
{
    private readonly CliSessionBed bed = new();

    public void Dispose() => bed.Dispose();

    [Fact]
    [Trait("Platform", "Posix")]
    public async Task An_iteration_is_classified_against_the_baseline_with_regressions_first()
    {
        // On the base commit: a fails, b passes, c always fails, d always passes; e is reported once e.txt exists.
        bed.Repo.WriteFile("a.txt", "broken\n");
        bed.Repo.WriteFile("b.txt", "good\n");
        bed.Repo.WriteFile("tests.sh", """
            if grep -q fixed a.txt; then echo 'ok 1 - a'; else echo 'not ok 1 - a'; fi
            if grep -q good b.txt; then echo 'ok 2 - b'; else echo 'not ok 2 - b'; fi
            echo 'not ok 3 - c'
            echo 'ok 4 - d'
            if [ -f e.txt ]; then echo 'ok 5 - e'; fi

            """);
        bed.Repo.CommitAll("tests");
        // The agent fixes a, breaks b and adds e.
        var agent = ShellAgent.Write(Path.Combine(bed.Repo.Scratch("agent"), "agent.sh"), "echo fixed > a.txt; echo bad > b.txt; echo new > e.txt");
        var id = await bed.NewSessionWithAgentAsync(agent, "--script", "sh tests.sh");

        var recorded = CliSessionBed.Json(await bed.RunAsync("baseline", "record", id, "--json"));
        var again = await bed.RunAsync("baseline", "record", id);
        var iterate = await bed.RunAsync("iterate", id);
        var show = await bed.RunAsync("baseline", "show", id, "--json");
        var text = await bed.RunAsync("baseline", "show", id);

        Assert.Equal("Tap", recorded.GetProperty("method").GetString());
        Assert.Equal(["a=Failed", "b=Passed", "c=Failed", "d=Passed"],
            recorded.GetProperty("tests").EnumerateArray().Select(t => $"{t.GetProperty("name").GetString()}={t.GetProperty("outcome").GetString()}"));
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("already has a test baseline", again.StandardError, StringComparison.Ordinal);
        Assert.True(iterate.ExitCode == 0, iterate.ToString());
        // A regression makes `baseline show` exit 3 (tests failed), as a failed test script does.
        Assert.True(show.ExitCode == 3, show.ToString());
        var classified = CliSessionBed.Json(show).GetProperty("tests").EnumerateArray()
            .Select(t => $"{t.GetProperty("name").GetString()}={t.GetProperty("change").GetString()}").ToArray();
        Assert.Equal(["b=NewlyFailing", "c=StillFailing", "a=Fixed", "e=Added", "d=StillPassing"], classified);
        var rows = text.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("1 newly failing, 1 still failing, 1 fixed, 1 added, 1 still passing", rows[0], StringComparison.Ordinal);
        Assert.Matches(@"^REGRESSION\s+passed\s+failed\s+b$", rows[2].TrimEnd());
        // The baseline ran in a scratch worktree: the main checkout is clean and only the session's worktree remains.
        Assert.Equal("", bed.Repo.Git("status", "--porcelain").Trim());
        Assert.Equal(2, bed.Repo.Git("worktree", "list", "--porcelain").Split('\n').Count(l => l.StartsWith("worktree ", StringComparison.Ordinal)));
    }

    /// <summary>
    /// A session script that writes JUnit XML to {junit} (no TAP on its output): the baseline, each
    /// iteration's run and the views read it; the timeline, `iterations` and `iterate` show the
    /// classification with the regression first and named.
    /// </summary>
    [Fact]
    public async Task A_script_writing_junit_is_classified_and_the_timeline_and_iterations_show_regressions_first()
    {
        // On the base commit: a fails, b passes, c always passes. The script prints no TAP, only where it wrote.
        bed.Repo.WriteFile("a.txt", "broken\n");
        bed.Repo.WriteFile("b.txt", "good\n");
        bed.Repo.WriteFile("tests.sh", """
            case_of() { if [ "$2" = pass ]; then echo "<testcase classname=\"suite\" name=\"$1\"/>"; else echo "<testcase classname=\"suite\" name=\"$1\"><failure message=\"no\"/></testcase>"; fi; }
            if grep -q fixed a.txt; then a=pass; else a=fail; fi
            if grep -q good b.txt; then b=pass; else b=fail; fi
            { echo '<testsuites><testsuite name="suite">'; case_of a $a; case_of b $b; case_of c pass; echo '</testsuite></testsuites>'; } > "$1"
            echo "wrote JUnit XML"
            [ "$a$b" = passpass ]

            """);
        bed.Repo.CommitAll("tests");
        var agent = ShellAgent.Write(Path.Combine(bed.Repo.Scratch("agent"), "agent.sh"), "echo fixed > a.txt; echo bad > b.txt");
        var id = await bed.NewSessionWithAgentAsync(agent, "--script", "sh tests.sh {junit}");

        var recorded = CliSessionBed.Json(await bed.RunAsync("baseline", "record", id, "--json"));
        var iterate = await bed.RunAsync("iterate", id);
        var show = CliSessionBed.Json(await bed.RunAsync("baseline", "show", id, "--json"));
        var timeline = await bed.RunAsync("timeline", id);
        var iterations = await bed.RunAsync("iterations", id);
        var iterationsJson = CliSessionBed.Json(await bed.RunAsync("iterations", id, "--json"));

        Assert.Equal("JUnit", recorded.GetProperty("method").GetString());
        Assert.Equal(["suite.a=Failed", "suite.b=Passed", "suite.c=Passed"],
            recorded.GetProperty("tests").EnumerateArray().Select(t => $"{t.GetProperty("name").GetString()}={t.GetProperty("outcome").GetString()}"));
        // The iteration's own run wrote JUnit beside its log and was read from there.
        Assert.Equal("JUnit", show.GetProperty("method").GetString());
        Assert.Equal(["suite.b=NewlyFailing", "suite.a=Fixed", "suite.c=StillPassing"],
            show.GetProperty("tests").EnumerateArray().Select(t => $"{t.GetProperty("name").GetString()}={t.GetProperty("change").GetString()}"));
        const string Summary = "1 newly failing (suite.b), 0 still failing, 1 fixed, 0 added, 1 still passing";
        Assert.Contains("  against the baseline: " + Summary, iterate.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("  #1: " + Summary, timeline.StandardOutput, StringComparison.Ordinal);
        Assert.Matches(@"FAIL, 1 REGRESSION\s", timeline.StandardOutput);
        Assert.Contains("  #1: " + Summary, iterations.StandardOutput, StringComparison.Ordinal);
        Assert.Matches(@"FAILED, 1 REGRESSION\s", iterations.StandardOutput);
        var changes = iterationsJson[0].GetProperty("testChanges");
        Assert.Equal("suite.b", changes.GetProperty("tests")[0].GetProperty("name").GetString());
        Assert.True(changes.GetProperty("hasRegressions").GetBoolean());
    }
}
