using AmpSessions.Core.Configuration;
using AmpSessions.Core.Errors;
using AmpSessions.Core.Iterations;
using AmpSessions.Core.Sessions;
using AmpSessions.Core.SlashCommands;
using AmpSessions.Core.Tests.Iterations;

namespace AmpSessions.Core.Tests.Configuration;

/// <summary>Seed 000 §3.1: parameterised prompt templates, built in and the repository's own, expanded before the turn.</summary>
public sealed class SlashCommandTests : IDisposable
{
    private readonly ConfigurationTestBed bed = new();

    public void Dispose() => bed.Dispose();

    private void WriteCommand(string name, string text)
    {
        var folder = bed.Repo.Path(".amp-sessions", "commands");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, name + ".md"), text);
    }

    private ExpandedPrompt Expand(string prompt) => SlashCommandExpander.Expand(prompt, bed.Load());

    [Fact]
    public void The_seeds_built_ins_and_the_expected_ones_exist()
    {
        var names = bed.Load().Commands.Keys.Order(StringComparer.Ordinal);

        Assert.Equal(["agent-mode", "batch", "benchmark", "fix-ci", "mcp", "review", "test", "toolbox", "worktree"], names);
        var benchmark = bed.Load().Command("benchmark");
        Assert.Equal("/benchmark benchmark_name=<benchmark_name> [agent_config=the default agent configuration]", benchmark.Usage);
    }

    [Fact]
    public void Named_and_positional_arguments_fill_the_template_and_defaults_the_rest()
    {
        WriteCommand("fix-ci", "---\ndescription: Fix a CI job\nparameters:\n  job:\n  attempts: 3\n---\nFix {job} within {attempts} tries; keep {{braces}} and {not a parameter}.\n");

        Assert.Equal("Fix build within 3 tries; keep {braces} and {not a parameter}.", Expand("/fix-ci job=build").Text);
        Assert.Equal("Fix unit tests within 5 tries; keep {braces} and {not a parameter}.", Expand("/fix-ci job=\"unit tests\" attempts=5").Text);
        Assert.Equal("Fix build within 2 tries; keep {braces} and {not a parameter}.", Expand("/fix-ci build 2").Text);
        var expanded = Expand("  /fix-ci attempts=1 lint");
        Assert.Equal(("fix-ci", "lint", "1"), (expanded.Command, expanded.Arguments["job"], expanded.Arguments["attempts"]));
        // The last parameter takes the rest of the words.
        Assert.StartsWith("Review the changes on this branch against its base branch with a focus on error handling and logging.", Expand("/review error handling and logging").Text);
    }

    [Fact]
    public void Plain_prompts_pass_through_and_a_double_slash_escapes()
    {
        Assert.Equal("Rename hello to greet", Expand("Rename hello to greet").Text);
        Assert.Equal("/usr/bin/env is missing in the image", Expand("/usr/bin/env is missing in the image").Text);
        Assert.Equal("/review is a word I want to say", Expand("//review is a word I want to say").Text);
        Assert.Null(Expand("//review").Command);
    }

    [Fact]
    public void Unknown_commands_parameters_and_missing_values_are_clear_errors()
    {
        WriteCommand("fix-ci", "---\nparameters:\n  job:\n---\nFix {job}.\n");

        var unknown = Assert.Throws<AmpSessionsException>(() => Expand("/deploy now"));
        Assert.Equal("AmpSlashCommandUnknown", unknown.ErrorId);
        Assert.StartsWith("Unknown slash command '/deploy' (known: /agent-mode, /batch, /benchmark, /fix-ci, /mcp, /review, /test, /toolbox, /worktree)", unknown.Message);
        Assert.EndsWith("list them with `amp-sessions commands`, define /deploy in .amp-sessions/commands/deploy.md, or start the prompt with // to send it as written.", unknown.Message);
        Assert.Contains("list them with Get-AmpSlashCommand", unknown.Render(RemedyStyle.PowerShell));

        var missing = Assert.Throws<AmpSessionsException>(() => Expand("/fix-ci"));
        Assert.Equal("AmpSlashCommandArgumentMissing", missing.ErrorId);
        Assert.Equal("/fix-ci needs job: give it like this: /fix-ci job=<job>.", missing.Message);

        var wrong = Assert.Throws<AmpSessionsException>(() => Expand("/fix-ci jobb=build"));
        Assert.Equal("/fix-ci has no parameter 'jobb' (it has job): write it as /fix-ci job=<job>.", wrong.Message);
        Assert.Contains("given 'job' twice", Assert.Throws<AmpSessionsException>(() => Expand("/fix-ci job=a job=b")).Message);
        Assert.Contains("more words than it has parameters", Assert.Throws<AmpSessionsException>(() => Expand("/fix-ci job=a extra")).Message);
    }

    [Fact]
    public async Task New_and_iterate_expand_before_the_turn_and_bad_commands_make_nothing()
    {
        WriteCommand("fix-ci", "---\nparameters:\n  job:\n---\nThe CI job {job} fails: fix it.\n");
        var before = bed.Repo.Git("for-each-ref");

        var bad = await Assert.ThrowsAsync<AmpSessionsException>(() => bed.Sessions.CreateAsync(new NewSessionRequest { RepoPath = bed.Repo.Root, Name = "x", Prompt = "/fix-ci" }));
        Assert.Equal("AmpSlashCommandArgumentMissing", bad.ErrorId);
        Assert.Empty(bed.Context.Sessions.List());
        Assert.Equal(before, bed.Repo.Git("for-each-ref"));

        var session = await bed.Sessions.CreateAsync(new NewSessionRequest { RepoPath = bed.Repo.Root, Name = "x", Prompt = "/fix-ci job=build" });
        Assert.Equal("The CI job build fails: fix it.", session.Prompt);
    }
}
