using AmpSessions.Core.Configuration;

namespace AmpSessions.Core.SlashCommands;

/// <summary>
/// The slash commands every repository has: seed 000 §3.1's (/benchmark, /batch, /worktree,
/// /agent-mode, /toolbox, /mcp) and the ones users of coding agents expect (/review, /test, /fix-ci).
/// A configuration file or a commands folder may redefine any of them.
/// </summary>
public static class BuiltInSlashCommands
{
    public static IReadOnlyList<SlashCommand> All { get; } =
    [
        Make("benchmark", "Run an evaluation benchmark and report its results",
            "Run the benchmark {benchmark_name} in this repository with {agent_config}. Report each case's result, the pass rate and anything that failed to run, and do not change the benchmark's cases or expected results.",
            Required("benchmark_name", "the benchmark to run"), Optional("agent_config", "the default agent configuration", "which agent configuration to run it with")),
        Make("batch", "Carry out one change across several repositories",
            "Execute the batch {batch_config} across {repositories}: make the same change in each, keep each repository's own conventions, and list per repository what changed and what could not be done.",
            Required("batch_config", "what to do (a description or a batch file)"), Required("repositories", "the repositories, comma-separated")),
        Make("worktree", "Work on a task in this session's own worktree",
            "You are working in an isolated Git worktree on a branch of your own; other sessions work in parallel elsewhere. {task} Keep every change inside this worktree and leave the repository in a state whose tests pass.",
            Required("task", "what to do")),
        Make("agent-mode", "Work on a task in a given style (fast and small, or thorough)",
            "Work in {mode} mode: {task} In low mode make the smallest change that works; in high mode investigate first, consider alternatives and verify thoroughly.",
            Required("mode", "low, medium or high"), Required("task", "what to do")),
        Make("toolbox", "Use a tool from the toolbox (AMP_TOOLBOX) for a task",
            "Use the toolbox tool {tool} to {task}. If the tool is missing or fails, say so and stop rather than working around it.",
            Required("tool", "the toolbox tool's name"), Required("task", "what to use it for")),
        Make("mcp", "Use an MCP server for a task",
            "Use the MCP server {server} to {task}. Quote what the server returned where it matters, and say so if the server is unavailable.",
            Required("server", "the MCP server's name"), Required("task", "what to use it for")),
        Make("review", "Review this branch's changes against its base",
            "Review the changes on this branch against its base branch with a focus on {focus}. List concrete problems with file and line, most important first; fix the clear mistakes and explain what you changed.",
            Optional("focus", "correctness, tests and readability", "what to pay most attention to")),
        Make("test", "Run the tests and fix what fails",
            "Run the tests with `{command}`. For every failure, find the cause and fix the code (not the test, unless the test is wrong, and then say why). Run them again until they pass.",
            Optional("command", "the project's usual test command", "the test command")),
        Make("fix-ci", "Find and fix why a CI job fails",
            "The CI job {job} is failing. Find out why from {log}, reproduce it locally where you can, fix the cause, and run the job's steps again to show they pass. Do not disable or skip checks.",
            Required("job", "the failing job's name"), Optional("log", "the job's configuration and the most recent changes", "a log or where to find it")),
    ];

    private static SlashCommand Make(string name, string description, string template, params SlashCommandParameter[] parameters) =>
        SlashCommandTemplate.Build(name, description, template, parameters);

    private static SlashCommandParameter Required(string name, string description) => new() { Name = name, Description = description };

    private static SlashCommandParameter Optional(string name, string fallback, string description) => new() { Name = name, Default = fallback, Description = description };
}
